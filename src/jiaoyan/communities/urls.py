from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.community_list, name="list"),
    path("new/", views.community_create, name="create"),
    path("members/", views.membership_list, name="members"),
    path("assessment/", views.assessment, name="assessment"),
    path("coverage/", views.coverage, name="coverage"),
    path("report/", views.upward_report, name="report"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/points/", views.rule_save, name="rule_save"),
    path("settings/policies/", views.policy_save, name="policy_save"),
    path("settings/templates/", views.template_add, name="template_add"),
    path("settings/templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("<int:pk>/", views.community_detail, name="detail"),
    path("<int:pk>/edit/", views.community_edit, name="edit"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("memberships/<int:pk>/leave/", views.member_leave, name="member_leave"),
    path("<int:pk>/tasks/generate/", views.tasks_generate, name="tasks_generate"),
    path("<int:pk>/tasks/new/", views.task_add, name="task_add"),
    path("tasks/<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("<int:pk>/calendar/", views.community_calendar, name="calendar"),
    path("<int:pk>/files/", views.file_share, name="file_share"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
    path("<int:pk>/reports/", views.report_request, name="report_request"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
]
