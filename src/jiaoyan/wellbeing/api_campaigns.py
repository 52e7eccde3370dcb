"""API of the screening campaigns, their rosters and the alerts, with the pages'
permissions and audit (views.py): campaigns follow scope (they hold no student data) and
their summary suppresses small cells as the page does; a school's roster (names and
one-time codes) and an alert are identified records — the wellbeing permission on the
school, a ``reason``, every read audited; the alert list is for holders of the permission
only (403 for anyone else, as the page). Rosters are imported through the one import
endpoint, ``POST /api/v1/imports/students``."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.responses import Status

from jiaoyan.core import restricted
from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.resolve import resolve, resolve_many
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.orgs.models import OrgUnit

from . import queries, services
from . import queries_followup as fq
from .metrics import AGGREGATE_FIGURES
from .models import Alert, Campaign

router = Router(tags=["wellbeing"])


# --- campaigns -------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    org_unit: int = Field(alias="org_unit_id")
    org_unit_name: str = Field(alias="org_unit.name")
    name: str
    scales: list[str]
    grades: list[int]
    classes: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    notice: str
    opt_out: bool
    help_text: str
    status: str
    version: int
    created_at: dt.datetime
    class_code: str | None = Field(
        None, description="for those who may run the campaign (the page shows it to them)"
    )

    @staticmethod
    def resolve_class_code(obj, context) -> str | None:
        return obj.class_code if can(context["request"].auth, "change", obj) else None


class CampaignOpenOut(CampaignOut):
    added: int = Field(description="students added by this opening (each with a code)")


class CampaignIn(Schema):
    org_unit: int | str = Field(description="the unit running it (id or code)")
    name: str = Field(max_length=100)
    scales: list[str] = Field(max_length=20, description="scale codes, answered in order")
    schools: list[int | str] = Field(max_length=5000, description="schools (ids or codes)")
    starts_at: dt.datetime
    ends_at: dt.datetime
    grades: list[int] = Field([], max_length=12, description="empty: every grade")
    classes: list[str] = Field([], max_length=200, description="empty: every class")
    notice: str = Field("", max_length=4000)
    opt_out: bool = True
    help_text: str = Field("", max_length=1000)


class CampaignFilter(FilterSchema):
    status: Campaign.Status | None = None


class ScoringOut(Schema):
    job: int
    status: str
    progress_url: str


class SummaryRowOut(Schema):
    school: int
    school_name: str
    invited: int | str
    handed_in: int | str
    finished: int | str
    levels: list[int | str]
    identified: bool = Field(
        description="you hold the wellbeing permission on the school (figures exact, roster)"
    )


class SummaryOut(Schema):
    scale: str
    levels: list[str]
    level_labels: list[str]
    schools: list[SummaryRowOut]


class RosterRowOut(Schema):
    id: int
    org_unit: int = Field(alias="school_id")
    student: int = Field(alias="student_id")
    key: str = Field(alias="student.key")
    name: str = Field(alias="student.name")
    grade: int = Field(alias="student.grade")
    class_name: str = Field(alias="student.class_name")
    code: str
    status: str


def _runner_unit(user, value) -> OrgUnit:
    """The unit running a new campaign, among those where ``user`` may run one (as the
    form's choices); no such unit at all: 403, as the form page."""
    runners = units_where(user, "add", Campaign)
    if not runners.exists():
        raise PermissionDenied(_("You may not run a screening campaign."))
    return resolve(user, OrgUnit, value, field="org_unit", queryset=runners)


def _schools(user, values) -> list[OrgUnit]:
    schools = OrgUnit.objects.filter(level=OrgUnit.Level.SCHOOL)
    return resolve_many(user, OrgUnit, values or [], field="schools", queryset=schools)


campaigns = Resource(
    router,
    "/wellbeing/campaigns/{campaign_id}",
    Campaign.objects.select_related("org_unit"),
    out=CampaignOut,
    name="wellbeing_campaign",
    arg="campaign",
)
campaigns.list(
    filters=CampaignFilter,
    order=("-starts_at", "-id"),
    summary="Screening campaigns you see (newest first)",
)
campaigns.get(summary="One screening campaign")
campaigns.create(
    services.create_campaign,
    CampaignIn,
    refs={"org_unit": _runner_unit, "schools": _schools},
    summary="Create a campaign (a draft: open it when the rosters are imported)",
)
campaigns.action("close", services.close_campaign, summary="Close the campaign (no more answers)")


@router.post(
    "/wellbeing/campaigns/{campaign_id}/open",
    response=CampaignOpenOut,
    summary="Open the campaign: a one-time code for every student of its classes not yet in it",
    operation_id="open_wellbeing_campaign",
)
def open_campaign(request, campaign_id: int):
    campaign = campaigns.for_write(request, campaign_id)
    added = services.open_campaign(actor=request.auth, campaign=campaign)
    out = campaigns.answer(request, campaign)
    out.added = added
    return out


@router.post(
    "/wellbeing/campaigns/{campaign_id}/score",
    response={202: ScoringOut},
    summary="Score every handed-in questionnaire again (a background job)",
    operation_id="score_wellbeing_campaign",
)
def score_campaign(request, campaign_id: int):
    campaign = campaigns.for_write(request, campaign_id)
    job = services.start_scoring(actor=request.auth, campaign=campaign)
    url = reverse("core:job_progress", args=[job.pk])
    return Status(202, {"job": job.pk, "status": job.status, "progress_url": url})


def _shown(value: int | None) -> int | str:
    return f"<{restricted.SMALL_CELL}" if value is None else value


@router.get(
    "/wellbeing/campaigns/{campaign_id}/summary",
    response=SummaryOut,
    summary="Per school: invited, handed in and the first scale's levels (cells < 10 "
    "hidden unless you hold the wellbeing permission on the school)",
    operation_id="wellbeing_campaign_summary",
)
@restricted.publishes(AGGREGATE_FIGURES)
def campaign_summary(request, campaign_id: int):
    campaign = campaigns.one(request, campaign_id)
    if not fq.may_see_aggregates(request.auth, campaign):
        raise PermissionDenied(_("Teachers see no screening figures."))
    rows = queries.campaign_summary(request.auth, campaign)
    first = services.scale_by_code(campaign.scales[0]) if campaign.scales else None
    bands = [(b.key, b.label) for b in first.bands] if first else []
    return {
        "scale": first.code if first else "",
        "levels": [k for k, _label in bands],
        "level_labels": [label for _k, label in bands],
        "schools": [
            {
                "school": r["school"].pk,
                "school_name": r["school"].name,
                "invited": _shown(r["invited"]),
                "handed_in": _shown(r["handed_in"]),
                "finished": _shown(r["finished"]),
                "levels": [_shown(n) for _k, n in r["levels"]],
                "identified": r["exempt"],
            }
            for r in rows
        ],
    }


@router.get(
    "/wellbeing/campaigns/{campaign_id}/schools/{school_id}/roster",
    response=list[RosterRowOut],
    summary="A school's students in the campaign with their one-time codes (identified: the "
    "wellbeing permission on the school and a reason; the read is audited)",
    operation_id="list_wellbeing_roster",
)
@paginated
def roster(request, campaign_id: int, school_id: int, reason: str = ""):
    user = request.auth
    campaign = campaigns.one(request, campaign_id)
    school = get_visible_or_404(OrgUnit.objects.all(), user, pk=school_id)
    if not campaign.schools.filter(pk=school.pk).exists():
        raise Http404
    restricted.require_permission(user, restricted.WELLBEING, school)
    return queries.read_roster(user, campaign, school, reason)


# --- alerts -------------------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    org_unit: int = Field(alias="school_id")
    school_name: str = Field(alias="school.name")
    student_key: str = Field(alias="student.key")
    reason: str
    scale: str
    status: str
    version: int
    created_at: dt.datetime
    handled_at: dt.datetime | None


class AlertDetailOut(AlertOut):
    student: int = Field(alias="student_id")
    campaign: int = Field(alias="participation.campaign_id")
    campaign_name: str = Field(alias="participation.campaign.name")
    note: str
    handled_by: str

    @staticmethod
    def resolve_handled_by(obj) -> str:
        return obj.handled_by.display_name if obj.handled_by_id else ""


class AlertFilter(Schema):
    status: str = Field("", pattern="^(|open|handled)$")
    reason: str = Field("", pattern="^(|crisis|risk)$")


class AlertHandleIn(Schema):
    note: str = Field(max_length=4000)
    version: int | None = None


alerts = Resource(
    router,
    "/wellbeing/alerts/{alert_id}",
    Alert.objects.select_related("student", "school", "participation__campaign", "handled_by"),
    out=AlertOut,
    name="wellbeing_alert",
    arg="alert",
)
alerts.action(
    "handle",
    services.handle_alert,
    body=AlertHandleIn,
    summary="Mark the alert handled with a note (send the version you read: a stale one is "
    "refused)",
)


@router.get(
    "/wellbeing/alerts",
    response=list[AlertOut],
    summary="Alerts of the schools where you hold the wellbeing permission (newest first)",
    operation_id="list_wellbeing_alerts",
)
@paginated
def list_alerts(request, filters: Query[AlertFilter]):
    queries.require_permission_somewhere(request.auth)
    qs = queries.alerts_for(request.auth).order_by("-created_at", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    return qs


@router.get(
    "/wellbeing/alerts/{alert_id}",
    response=AlertDetailOut,
    summary="One alert with its note (a reason is required; the read is audited)",
    operation_id="get_wellbeing_alert",
)
def get_alert(request, alert_id: int, reason: str = ""):
    return queries.read_alert(request.auth, alerts.one(request, alert_id), reason)
