from django.urls import path

from . import views

app_name = "pairing"

urlpatterns = [
    path("", views.pairing_list, name="list"),
    path("new/", views.pairing_create, name="create"),
    path("funds/", views.fund_list, name="funds"),
    path("people/", views.person_list, name="people"),
    path("<int:pk>/", views.pairing_detail, name="detail"),
    path("<int:pk>/edit/", views.pairing_edit, name="edit"),
    path("<int:pk>/agreement/", views.agreement_upload, name="agreement"),
    path("<int:pk>/agreement/file/", views.agreement_file, name="agreement_file"),
    path("<int:pk>/funds/", views.fund_add, name="fund_add"),
    path("<int:pk>/people/", views.person_add, name="person_add"),
    path("<int:pk>/activities/", views.activity_link, name="activity_link"),
    path("<int:pk>/reports/", views.report_add, name="report_add"),
    path("reports/<int:pk>/file/", views.report_file, name="report_file"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report_delete"),
    path("funds/<int:pk>/edit/", views.fund_edit, name="fund_edit"),
    path("funds/<int:pk>/delete/", views.fund_delete, name="fund_delete"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("joint/<int:pk>/delete/", views.activity_unlink, name="activity_unlink"),
]
