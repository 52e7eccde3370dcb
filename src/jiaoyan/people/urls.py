from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/status/", views.person_status, name="person_status"),
    path("<int:pk>/transfer/", views.person_transfer, name="person_transfer"),
    path("<int:pk>/roles/", views.role_add, name="role_add"),
    path("<int:pk>/roles/<int:role_pk>/end/", views.role_end, name="role_end"),
    path("<int:pk>/homerooms/", views.homeroom_add, name="homeroom_add"),
    path("<int:pk>/homerooms/<int:homeroom_pk>/end/", views.homeroom_end, name="homeroom_end"),
    path("<int:pk>/honours/", views.honour_add, name="honour_add"),
    path("<int:pk>/honours/<int:honour_pk>/remove/", views.honour_remove, name="honour_remove"),
    path("<int:pk>/account/", views.account_create, name="account_create"),
    path("<int:pk>/account/password/", views.account_reset, name="account_reset"),
    path("<int:pk>/account/active/", views.account_toggle, name="account_toggle"),
]
