from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.exam_list, name="exam_list"),
    path("new/", views.exam_create, name="exam_create"),
    path("balance/", views.resource_balance, name="resource_balance"),
    path("balance/template.xlsx", views.balance_template, name="balance_template"),
    path("value-added/", views.value_added, name="value_added"),
    path("permissions/", views.permissions, name="permissions"),
    path("permissions/<int:perm_id>/revoke/", views.permission_revoke, name="permission_revoke"),
    path("<int:pk>/", views.exam_detail, name="exam_detail"),
    path("<int:pk>/status/", views.exam_status, name="exam_status"),
    path("<int:pk>/scores/", views.upload_scores, name="upload_scores"),
    path("<int:pk>/items/", views.upload_items, name="upload_items"),
    path("<int:pk>/template.xlsx", views.score_template, name="score_template"),
    path("<int:pk>/settings/", views.exam_settings, name="exam_settings"),
    path("<int:pk>/school/", views.school_pick, name="school_pick"),
    path("<int:pk>/schools/<int:school_id>/", views.school_report, name="school_report"),
    path("<int:pk>/subjects/<str:key>/", views.subject_report, name="subject_report"),
    path("<int:pk>/balance/", views.exam_balance, name="exam_balance"),
    path("<int:pk>/students/", views.students, name="students"),
]
