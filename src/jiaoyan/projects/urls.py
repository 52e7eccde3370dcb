from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("apply/", views.apply, name="apply"),
    path("overview/", views.overview, name="overview"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/file/", views.file_stage, name="file_stage"),
    path("<int:pk>/documents/", views.add_document, name="add_document"),
    path("<int:pk>/accept/", views.accept_stage, name="accept_stage"),
    path("<int:pk>/experts/", views.assign_experts, name="assign_experts"),
    path("<int:pk>/forward/", views.forward, name="forward"),
    path("<int:pk>/conclude/", views.conclude, name="conclude"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/terminate/", views.terminate, name="terminate"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("calls/", views.call_list, name="calls"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/status/", views.call_status, name="call_status"),
    path("calls/<int:pk>/quota/", views.call_quota, name="call_quota"),
    path("calls/<int:pk>/decide/", views.call_decide, name="call_decide"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
]
