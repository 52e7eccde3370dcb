from django.urls import include, path

from . import views

app_name = "researchers"

urlpatterns = [
    path("", views.profile_list, name="list"),
    path("new/", views.profile_new, name="create"),
    path("me/", views.my_record, name="mine"),
    path("coverage/", views.coverage, name="coverage"),
    path("visits/", views.visit_list, name="visits"),
    path("<int:pk>/", views.profile_detail, name="detail"),
    path("<int:pk>/record/", views.work_record, name="record"),
    path("<int:pk>/duties/", views.duty_set, name="duty_set"),
    path("<int:pk>/liaisons/", views.liaison_assign, name="liaison_assign"),
    path("<int:pk>/residencies/", views.residency_new, name="residency_new"),
    path("<int:pk>/exit/", views.exit_view, name="exit"),
    path("<int:pk>/exchange/", views.exchange_view, name="exchange"),
    path("residencies/<int:pk>/", views.residency_detail, name="residency"),
    path("residencies/<int:pk>/edit/", views.residency_edit, name="residency_edit"),
    path("residencies/<int:pk>/visits/", views.visit_new, name="visit_new"),
    path("residencies/<int:pk>/summary/", views.residency_summary, name="residency_summary"),
    # the self-review and the annual appraisal (views_appraisal.py)
    path("appraisal/", include("jiaoyan.researchers.urls_appraisal")),
]

# Admission (准入): its own module of pages.
from .urls_admission import urlpatterns as admission_urlpatterns  # noqa: E402

urlpatterns += admission_urlpatterns
