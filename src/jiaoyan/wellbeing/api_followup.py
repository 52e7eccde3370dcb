"""API of the follow-up workflow (一生一策), with the pages' permissions and audit: the
interview after an alert, a case's records (a ``reason`` is required and the read is
audited), district review, referral, visits, closing; the class teacher's "follow-up due"
list; a campaign's suppressed aggregates."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from jiaoyan.core import restricted
from jiaoyan.core.api import paginated
from jiaoyan.core.scope import get_visible_or_404

from . import queries
from . import queries_followup as fq
from . import services_followup as fs
from .metrics import AGGREGATE_FIGURES
from .models import Alert, Campaign, FollowUpCase

router = Router(tags=["wellbeing"])


class FollowUpInterviewIn(Schema):
    on: dt.date
    assessment: str
    plan: str
    level: str
    every_days: int = 14
    review: bool = False
    version: int | None = None


class FollowUpReviewIn(Schema):
    note: str
    version: int | None = None


class FollowUpReferralIn(Schema):
    institution: str
    on: dt.date
    outcome: str = ""
    version: int | None = None


class FollowUpVisitIn(Schema):
    on: dt.date
    note: str
    level: str
    version: int | None = None


class FollowUpCloseIn(Schema):
    reason: str
    note: str = ""
    version: int | None = None


class FollowUpCaseOut(Schema):
    id: int
    student_key: str = Field(alias="student.key")
    org_unit: int = Field(alias="school_id")
    status: str
    level: str
    next_due: dt.date | None
    referred: bool
    escalation: str
    version: int
    created_at: dt.datetime


class FollowUpEntryOut(Schema):
    kind: str
    on: dt.date
    by: str
    level: str
    assessment: str
    plan: str
    note: str
    institution: str
    outcome: str

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by or "")


class FollowUpCaseDetailOut(FollowUpCaseOut):
    entries: list[FollowUpEntryOut]

    @staticmethod
    def resolve_entries(obj) -> list:
        return obj.read_entries


class FollowUpDueOut(Schema):
    key: str
    grade: int
    class_name: str
    due: dt.date


class FollowUpAggregateRowOut(Schema):
    group: str
    cells: list[int | str]
    invited: int | str


class FollowUpAggregateOut(Schema):
    by: str
    scale: str
    columns: list[str]
    rows: list[FollowUpAggregateRowOut]
    totals: list[int | str]
    total: int | str


def _case(request, case_id: int) -> FollowUpCase:
    return get_visible_or_404(
        FollowUpCase.objects.select_related("student", "school"), request.auth, pk=case_id
    )


@router.get(
    "/wellbeing/follow-ups",
    response=list[FollowUpCaseOut],
    summary="Follow-up cases of the schools where you hold the wellbeing permission",
    operation_id="list_wellbeing_followups",
)
@paginated
def list_cases(request, status: str | None = None):
    queries.require_permission_somewhere(request.auth)  # as the page: 403, not an empty list
    qs = fq.cases_for(request.auth).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get(
    "/wellbeing/follow-ups/due",
    response=list[FollowUpDueOut],
    summary="Follow-ups due in the classes you look after (class teachers)",
    operation_id="list_wellbeing_followups_due",
)
def list_due(request):
    if not fq.is_class_teacher(request.auth):
        raise PermissionDenied(_("This list is for class teachers."))
    return [r.__dict__ for r in fq.due_for_class_teacher(request.auth)]


@router.get(
    "/wellbeing/follow-ups/{case_id}",
    response=FollowUpCaseDetailOut,
    summary="One follow-up with its records (a reason is required; the read is audited)",
    operation_id="get_wellbeing_followup",
)
def get_case(request, case_id: int, reason: str = ""):
    case = _case(request, case_id)
    case.read_entries = fq.read_case(request.auth, case, reason)
    return case


@router.post(
    "/wellbeing/alerts/{alert_id}/interview",
    response={201: FollowUpCaseOut},
    summary="Record the interview after an alert (opens the follow-up)",
    operation_id="interview_wellbeing_alert",
)
def post_interview(request, alert_id: int, body: FollowUpInterviewIn):
    alert = get_visible_or_404(Alert.objects.select_related("student"), request.auth, pk=alert_id)
    data = body.dict()
    version = data.pop("version")
    case = fs.record_interview(actor=request.auth, alert=alert, expected_version=version, **data)
    return Status(201, case)


def _body(body) -> tuple[int | None, dict]:
    data = body.dict()
    return data.pop("version"), data


@router.post(
    "/wellbeing/follow-ups/{case_id}/review",
    response=FollowUpCaseOut,
    summary="District review of a follow-up",
    operation_id="review_wellbeing_followup",
)
def post_review(request, case_id: int, body: FollowUpReviewIn):
    version, data = _body(body)
    case = _case(request, case_id)
    return fs.review_case(actor=request.auth, case=case, expected_version=version, **data)


@router.post(
    "/wellbeing/follow-ups/{case_id}/referral",
    response=FollowUpCaseOut,
    summary="Record a referral to medical care",
    operation_id="refer_wellbeing_followup",
)
def post_referral(request, case_id: int, body: FollowUpReferralIn):
    version, data = _body(body)
    case = _case(request, case_id)
    return fs.refer_case(actor=request.auth, case=case, expected_version=version, **data)


@router.post(
    "/wellbeing/follow-ups/{case_id}/visits",
    response=FollowUpCaseOut,
    summary="Record a follow-up visit",
    operation_id="visit_wellbeing_followup",
)
def post_visit(request, case_id: int, body: FollowUpVisitIn):
    version, data = _body(body)
    case = _case(request, case_id)
    return fs.record_visit(actor=request.auth, case=case, expected_version=version, **data)


@router.post(
    "/wellbeing/follow-ups/{case_id}/close",
    response=FollowUpCaseOut,
    summary="Close a follow-up with its reason",
    operation_id="close_wellbeing_followup",
)
def post_close(request, case_id: int, body: FollowUpCloseIn):
    version, data = _body(body)
    case = _case(request, case_id)
    return fs.close_case(actor=request.auth, case=case, expected_version=version, **data)


class FollowUpAggregateQuery(Schema):
    by: str = Field("school", pattern="^(school|grade|gender|class)$")
    scale: str = ""


@router.get(
    "/wellbeing/campaigns/{campaign_id}/figures",
    response=FollowUpAggregateOut,
    summary="Participation and levels by school, grade, gender or class (cells < 10 hidden)",
    operation_id="wellbeing_campaign_figures",
)
@restricted.publishes(AGGREGATE_FIGURES)
def campaign_figures(request, campaign_id: int, q: Query[FollowUpAggregateQuery]):
    campaign = get_visible_or_404(Campaign.objects.all(), request.auth, pk=campaign_id)
    if not fq.may_see_aggregates(request.auth, campaign):
        raise PermissionDenied(_("Teachers see no screening figures."))
    t = fq.aggregate(request.auth, campaign, q.by, q.scale)
    return {
        "by": t.by,
        "scale": t.scale,
        "columns": [str(c) for c in t.columns],
        "rows": [{"group": g, "cells": cells, "invited": n} for g, cells, n in t.rows],
        "totals": t.totals,
        "total": t.total,
    }
