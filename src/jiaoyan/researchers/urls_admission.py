"""Admission (准入) pages, under the researchers' namespace (``researchers:admission_*``)."""

from django.urls import path

from . import views_admission as v

urlpatterns = [
    path("admission/", v.round_list, name="admission_rounds"),
    path("admission/new/", v.round_new, name="admission_round_new"),
    path("admission/<int:pk>/", v.round_detail, name="admission_round"),
    path("admission/<int:pk>/edit/", v.round_edit, name="admission_round_edit"),
    path("admission/<int:pk>/publish/", v.round_publish, name="admission_round_publish"),
    path("admission/<int:pk>/close/", v.round_close, name="admission_round_close"),
    path("admission/<int:pk>/delete/", v.round_delete, name="admission_round_delete"),
    path("admission/<int:pk>/apply/", v.apply_view, name="admission_apply"),
    path("admission/applications/", v.application_list, name="admission_applications"),
    path(
        "admission/applications/<int:pk>/",
        v.application_detail,
        name="admission_application",
    ),
    path(
        "admission/applications/<int:pk>/review/",
        v.application_review,
        name="admission_review",
    ),
    path(
        "admission/applications/<int:pk>/decide/",
        v.application_decide,
        name="admission_decide",
    ),
    path(
        "admission/applications/<int:pk>/withdraw/",
        v.application_withdraw,
        name="admission_withdraw",
    ),
    path(
        "admission/applications/<int:pk>/evidence/",
        v.evidence_new,
        name="admission_evidence_new",
    ),
    path("admission/evidence/<int:pk>/", v.evidence_download, name="admission_evidence"),
]
