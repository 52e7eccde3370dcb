from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("calendar/", views.calendar, name="calendar"),
    path("stats/", views.stats, name="stats"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/publish/", views.activity_publish, name="publish"),
    path("<int:pk>/start/", views.activity_start, name="start"),
    path("<int:pk>/finish/", views.activity_finish, name="finish"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/venues/new/", views.venue_add, name="venue_add"),
    path("venues/<int:pk>/", views.venue_edit, name="venue_edit"),
    path("venues/<int:pk>/projector/", views.projector, name="projector"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/register/", views.register, name="register"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/checkin/", views.checkin, name="checkin"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/minutes/", views.minutes, name="minutes"),
    path("decisions/<int:pk>/delete/", views.decision_delete, name="decision_delete"),
    path("<int:pk>/materials/new/", views.material_add, name="material_add"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("materials/<int:pk>/delete/", views.material_delete, name="material_delete"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/themes/new/", views.theme_add, name="theme_add"),
    path("themes/<int:pk>/", views.theme_edit, name="theme_edit"),
]
