from django.urls import path

from . import views, views_jobs, views_metrics, views_permissions

app_name = "core"

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/templates/<slug:kind>.xlsx", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/retry/", views.import_retry, name="import_retry"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
    path("jobs/<int:pk>/progress/", views_jobs.job_progress, name="job_progress"),
    path("audit/", views.audit_list, name="audit_list"),
    path("metrics/", views_metrics.metric_list, name="metrics"),
    path("permissions/<slug:data_kind>/", views_permissions.permissions, name="permissions"),
    path(
        "permissions/<slug:data_kind>/<int:perm_id>/revoke/",
        views_permissions.permission_revoke,
        name="permission_revoke",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
]
