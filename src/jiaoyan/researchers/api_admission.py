"""API of admission (准入): rounds (create, edit while a draft, publish, close) and
applications (apply, record a review, decide, withdraw) — the same services and scope as
the pages. Evidence files are uploaded on the application's page (core's guarded path)."""

from __future__ import annotations

from ninja import Router

from jiaoyan.core.api_crud import Resource
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from . import services_admission as services
from .models import AdmissionApplication, AdmissionRound
from .schemas_admission import (
    AdmissionApplicationFilter,
    AdmissionApplicationOut,
    AdmissionApplyIn,
    AdmissionDecisionIn,
    AdmissionReviewIn,
    AdmissionRoundFilter,
    AdmissionRoundIn,
    AdmissionRoundOut,
    AdmissionRoundPatch,
)

router = Router(tags=["researchers"])

ROUND_REFS = {"org_unit": OrgUnit, "institute": OrgUnit, "subject": Subject, "stage": Stage}

rounds = Resource(
    router,
    "/admission-rounds/{round_id}",
    AdmissionRound.objects.select_related("org_unit"),
    out=AdmissionRoundOut,
    name="admission_round",
    arg="round",
)
applications = Resource(
    router,
    "/admission-applications/{application_id}",
    AdmissionApplication.objects.select_related("round", "person").prefetch_related(
        "evidence", "person__honours"
    ),
    out=AdmissionApplicationOut,
    name="admission_application",
    arg="application",
)

rounds.list(
    filters=AdmissionRoundFilter,
    order=("-opens_on", "-id"),
    summary="Admission rounds (准入)",
)
rounds.get()
rounds.create(services.create_round, AdmissionRoundIn, refs=ROUND_REFS, blank=("notes",))
rounds.update(services.update_round, AdmissionRoundPatch, refs={"institute": OrgUnit})
rounds.action("publish", services.publish_round, summary="Publish the round")
rounds.action("close", services.close_round, summary="Close the applications")

applications.list(
    filters=AdmissionApplicationFilter,
    order=("-created_at", "-id"),
    summary="Admission applications: a candidate's own, the reviewers' of their rounds",
)
applications.get()
applications.create(
    services.apply,
    AdmissionApplyIn,
    path="/admission-rounds/{round_id}/applications",
    parent=("round", AdmissionRound),
    name="apply_admission",
    summary="Apply to an admission round (for yourself)",
)
applications.action(
    "review",
    services.record_review,
    body=AdmissionReviewIn,
    summary="Record a demonstration lesson's or written test's score, or the interview",
)
applications.action(
    "decide",
    services.decide_application,
    body=AdmissionDecisionIn,
    summary="The result: appoint (the researcher role from a start date) or not",
)
applications.action("withdraw", services.withdraw_application, summary="Withdraw (the candidate)")
