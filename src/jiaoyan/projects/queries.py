"""Reads of research projects, each starting from ``visible_to``: the lists, a project's
page, the expert's queue, a call's application table, an overview of a scope, and the
approved projects other modules compute from (outcomes' points)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jiaoyan.core import audit

from .models import (
    OPEN_STATUSES,
    STAGE_ORDER,
    Grade,
    Level,
    Project,
    ProjectCall,
    Review,
    Stage,
    StageRecord,
)


@dataclass(frozen=True)
class ApprovedProject:
    """One approved project as the points of other modules see it."""

    project_id: int
    number: str
    title: str
    level: str  # Level value: national / province / city / county / school
    pi_id: int  # people.Person id of the principal investigator
    host_unit_id: int  # orgs.OrgUnit id of the host unit
    approving_unit_id: int
    approved_on: dt.date
    status: str  # ongoing / concluded / terminated
    grade: str  # Grade value once concluded ("" before)
    concluded_on: dt.date | None


def approved_projects(
    user,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: Any = None,
) -> list[ApprovedProject]:
    """Every project ``user`` may see that was approved (ongoing, concluded or terminated
    after approval), approved between ``since`` and ``until`` (inclusive) and hosted under
    the unit ``within`` (an OrgUnit) when given — the rows a point table counts: level,
    PI, host unit, approval date and, once concluded, the grade. One query."""
    qs = Project.objects.visible_to(user).filter(approved_on__isnull=False)
    if since is not None:
        qs = qs.filter(approved_on__gte=since)
    if until is not None:
        qs = qs.filter(approved_on__lte=until)
    if within is not None:
        qs = qs.filter(org_unit__path__startswith=within.path)
    rows = qs.order_by("approved_on", "pk").values_list(
        "pk",
        "number",
        "title",
        "level",
        "pi_id",
        "org_unit_id",
        "approving_unit_id",
        "approved_on",
        "status",
        "grade",
        "concluded_on",
    )
    return [ApprovedProject(*r) for r in rows]


def projects(user) -> QuerySet[Project]:
    return Project.objects.visible_to(user)


def calls(user) -> QuerySet[ProjectCall]:
    return ProjectCall.objects.visible_to(user)


def call_applications(user, call: ProjectCall) -> QuerySet[Project]:
    """A call's applications the user sees, with their review progress."""
    return (
        Project.objects.visible_to(user)
        .filter(call=call)
        .select_related("org_unit", "pi", "approving_unit")
        .annotate(
            reviews_assigned=Count("reviews", filter=Q(reviews__stage=Stage.REVIEW)),
            reviews_done=Count(
                "reviews",
                filter=Q(reviews__stage=Stage.REVIEW, reviews__status=Review.Status.SUBMITTED),
            ),
        )
        .order_by("org_unit__path", "pk")
    )


def review_queue(user) -> QuerySet[Review]:
    """The reviews assigned to ``user`` as an expert, the open ones first."""
    return (
        Review.objects.visible_to(user)
        .filter(expert__user_id=user.pk)
        .select_related("project", "project__org_unit")
        .order_by("status", "-assigned_at", "-id")
    )


def timeline(project: Project) -> list[dict[str, Any]]:
    """The project's stages in their order with their records and documents (a stage not
    reached yet shows as planned)."""
    records = {
        r.stage: r
        for r in StageRecord.objects.filter(project=project).prefetch_related("documents")
    }
    today = timezone.localdate()
    out = []
    for stage in STAGE_ORDER:
        r = records.get(stage)
        current = project.stage == stage and project.is_open
        out.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "record": r,
                "documents": list(r.documents.all()) if r else [],
                "current": current,
                "done": STAGE_ORDER.index(stage) < STAGE_ORDER.index(project.stage)
                or project.status == Project.Status.CONCLUDED,
                "overdue": bool(r and r.overdue and current and r.due_on and r.due_on < today),
            }
        )
    return out


def detail(user, project: Project) -> dict[str, Any]:
    members = list(project.members.select_related("person", "unit"))
    reviews = list(Review.objects.visible_to(user).filter(project=project).select_related("expert"))
    return {
        "members": members,
        "timeline": timeline(project),
        "reviews": reviews,
        "history": audit.entries(project),
    }


def overview(user, within=None) -> dict[str, Any]:
    """Projects by level, stage and status, and the overdue stages, in the user's scope
    (under ``within`` when given)."""
    qs = Project.objects.visible_to(user)
    if within is not None:
        qs = qs.filter(org_unit__path__startswith=within.path)
    by_level = Counter(
        dict(qs.values_list("level").annotate(n=Count("pk")).values_list("level", "n"))
    )
    by_stage = Counter(
        dict(
            qs.filter(status__in=["applied", "under_review", "ongoing"])
            .values_list("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )
    )
    by_status = Counter(
        dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    )
    today = timezone.localdate()
    overdue = qs.filter(status=Project.Status.ONGOING, due_on__lt=today)
    by_grade = Counter(
        dict(
            qs.filter(status=Project.Status.CONCLUDED)
            .values_list("grade")
            .annotate(n=Count("pk"))
            .values_list("grade", "n")
        )
    )
    return {
        "levels": [(lv.label, by_level.get(lv.value, 0)) for lv in Level],
        "stages": [(s.label, by_stage.get(s.value, 0)) for s in Stage],
        "statuses": [(s.label, by_status.get(s.value, 0)) for s in Project.Status],
        "grades": [(g.label, by_grade.get(g.value, 0)) for g in Grade],
        "total": sum(by_status.values()),
        "overdue_count": overdue.count(),
        "overdue": overdue.select_related("org_unit", "pi").order_by("due_on", "pk")[:20],
    }


SOON_DAYS = 30  # a stage due within this many days is "due soon" on a principal's home


def my_work(user, limit: int = 20) -> dict[str, Any]:
    """The home panel's work list, read fresh in one query: the user's running projects
    (as a member) with the next stage due, how many projects wait for their review as an
    expert (``to_review``), and for a principal their school's projects at a glance
    (``school``: applications in progress, ongoing projects, stages due within
    :data:`SOON_DAYS` days and overdue, counted over the school's projects by window sums
    in the same query; ``school_due``: its next stages due, overdue first). Another
    school's projects are not counted: only those hosted under the principal's units."""
    from django.db.models import Case, Exists, F, IntegerField, OuterRef, Sum, Value, When, Window

    from jiaoyan.core.roles import Role
    from jiaoyan.core.scope import scope_paths, under_q

    from .models import ProjectMember

    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is None:
        return {"mine": [], "to_review": 0, "school": None, "school_due": []}
    schools = scope_paths(user, {Role.PRINCIPAL})
    today = timezone.localdate()
    open_statuses = [s.value for s in OPEN_STATUSES]
    member = ProjectMember.objects.filter(person_id=person_id).values("project_id")
    pending = Review.objects.filter(
        project_id=OuterRef("pk"), expert_id=person_id, status=Review.Status.ASSIGNED
    )
    wanted = Q(pk__in=member, status__in=open_statuses) | Q(review_due=True)
    at_school = under_q(Project, "org_unit__path", schools) & Q(status__in=open_statuses)
    if schools:
        wanted |= at_school

    def total(condition: Q) -> Window:
        return Window(
            Sum(Case(When(condition, then=Value(1)), default=Value(0)), output_field=IntegerField())
        )

    ongoing = Q(status=Project.Status.ONGOING)
    figures = {
        "n_review": total(Q(review_due=True)),
        **(
            {
                "n_applying": total(
                    at_school & Q(status__in=[Project.Status.APPLIED, Project.Status.UNDER_REVIEW])
                ),
                "n_ongoing": total(at_school & ongoing),
                "n_soon": total(
                    at_school
                    & ongoing
                    & Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=SOON_DAYS))
                ),
                "n_overdue": total(at_school & ongoing & Q(due_on__lt=today)),
            }
            if schools
            else {}
        ),
    }
    rows = list(
        Project.objects.visible_to(user)
        .annotate(
            review_due=Exists(pending),
            rank=Case(
                When(review_due=True, then=Value(1)),
                When(pk__in=member, then=Value(0)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .filter(wanted)
        .annotate(**figures)
        .order_by("rank", F("due_on").asc(nulls_last=True), "pk")[:limit]
    )
    first = rows[0] if rows else None
    school = None
    if schools:
        school = {
            key: int(getattr(first, f"n_{key}", 0) or 0)
            for key in ("applying", "ongoing", "soon", "overdue")
        }
    return {
        "mine": [p for p in rows if p.rank == 0][:5],
        "to_review": int(getattr(first, "n_review", 0) or 0),
        "school": school,
        "school_due": [
            p for p in rows if p.rank == 2 and p.status == Project.Status.ONGOING and p.due_on
        ][:5],
    }


def managed_figures(user) -> dict[str, Any]:
    """For the approving units the user manages: the calls open for applications today
    (a few) and how many applications wait for a decision (applied or under review)."""
    from jiaoyan.core.scope import scope_paths, under_q

    from .models import MANAGERS

    paths = scope_paths(user, MANAGERS)
    if not paths:
        return {"open_calls": [], "waiting": 0}
    today = timezone.localdate()
    calls = (
        ProjectCall.objects.visible_to(user)
        .filter(
            under_q(ProjectCall, "org_unit__path", paths),
            status=ProjectCall.Status.OPEN,
            opens_on__lte=today,
            closes_on__gte=today,
        )
        .order_by("closes_on", "pk")
        .values("pk", "title", "application_count", "closes_on")[:5]
    )
    waiting = (
        Project.objects.visible_to(user)
        .filter(
            under_q(Project, "approving_unit__path", paths),
            status__in=[Project.Status.APPLIED, Project.Status.UNDER_REVIEW],
        )
        .count()
    )
    return {"open_calls": list(calls), "waiting": waiting}
