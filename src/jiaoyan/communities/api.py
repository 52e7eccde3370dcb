"""API of communities of practice: communities, memberships, tasks (with their computed
progress), evidence, the assessment results and coverage — the same services, queries and
scope as the pages."""

from django.utils import timezone
from ninja import Query, Router, Status

from jiaoyan.core.api import changes, paginated
from jiaoyan.core.resolve import resolve, resolve_optional
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import progress, queries, services
from .models import Community, CommunityTask, Membership
from .schemas import (
    AssessmentQuery,
    CommunityFilter,
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    CoverageOut,
    EvidenceIn,
    EvidenceOut,
    LeaveIn,
    MembershipFilter,
    MembershipIn,
    MembershipOut,
    StudioScoreOut,
    TaskIn,
    TaskOut,
    YearIn,
)

router = Router(tags=["communities of practice"])

SCHOOLS = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL)


def _communities():
    return Community.objects.select_related("org_unit")


@router.get("/communities", response=list[CommunityOut], summary="Communities you see")
@paginated
def list_communities(request, filters: Query[CommunityFilter]):
    qs = filters.filter(_communities().visible_to(request.auth))
    return qs.order_by("kind", "level", "code")


@router.post("/communities", response={201: CommunityOut})
def create_community(request, data: CommunityIn):
    user = request.auth
    unit = resolve(user, OrgUnit, data.org_unit, field="org_unit")
    leader = resolve_optional(user, Person, data.leader, field="leader")
    school = resolve_optional(
        user, OrgUnit, data.leading_school, field="leading_school", queryset=SCHOOLS
    )
    community = services.create_community(
        actor=user,
        kind=data.kind,
        org_unit=unit,
        name=data.name,
        code=data.code,
        start_on=data.start_on,
        end_on=data.end_on,
        goals=data.goals,
        leader=leader,
        leading_school=school,
    )
    return Status(201, _communities().get(pk=community.pk))


@router.get("/communities/assessment", response=list[StudioScoreOut], summary="Assessment ranking")
@paginated
def assessment(request, query: Query[AssessmentQuery]):
    rows = queries.ranking(
        queries.visible_communities(request.auth),
        query.year or timezone.localdate().year,
        kind=query.kind,
        level=query.level or "",
    )
    return [
        {
            "rank": r["rank"],
            "community": r["community"].pk,
            "code": r["community"].code,
            "name": r["community"].name,
            "level": r["community"].level,
            "org_unit": r["community"].org_unit_id,
            "points": float(r["score"].total),
            "counts": dict(r["score"].counts),
        }
        for r in rows
    ]


@router.get("/communities/coverage", response=CoverageOut, summary="Coverage of a unit")
def coverage(request, unit: int | None = None):
    if unit is not None:
        root = get_visible_or_404(OrgUnit, request.auth, pk=unit)
    else:
        roots = queries.roots_for(request.auth)
        if not roots:
            from django.http import Http404

            raise Http404
        root = roots[0]
    return queries.coverage_dict(queries.coverage(root))


@router.get("/communities/{community_id}", response=CommunityOut)
def get_community(request, community_id: int):
    return get_visible_or_404(_communities(), request.auth, pk=community_id)


@router.patch("/communities/{community_id}", response=CommunityOut)
def update_community(request, community_id: int, data: CommunityPatch):
    community = get_visible_or_404(Community, request.auth, pk=community_id)
    services.update_community(
        actor=request.auth,
        community=community,
        data=changes(data, blank=("goals",)),
        expected_version=data.version,
    )
    return _communities().get(pk=community.pk)


# --- memberships -----------------------------------------------------------------------


def _memberships():
    return Membership.objects.select_related("community")


@router.get("/memberships", response=list[MembershipOut], summary="Members you see")
@paginated
def list_memberships(request, filters: Query[MembershipFilter]):
    qs = filters.filter(_memberships().visible_to(request.auth))
    return qs.order_by("community_id", "id")


@router.post("/communities/{community_id}/members", response={201: MembershipOut})
def add_member(request, community_id: int, data: MembershipIn):
    user = request.auth
    community = get_visible_or_404(Community, user, pk=community_id)
    person = resolve_optional(user, Person, data.person, field="person")
    school = resolve_optional(user, OrgUnit, data.school, field="school", queryset=SCHOOLS)
    m = services.add_member(
        actor=user,
        community=community,
        person=person,
        school=school,
        role=data.role,
        joined_on=data.joined_on,
        across=data.across,
    )
    return Status(201, _memberships().get(pk=m.pk))


@router.post("/memberships/{membership_id}/leave", response=MembershipOut)
def leave(request, membership_id: int, data: LeaveIn):
    m = get_visible_or_404(Membership, request.auth, pk=membership_id)
    services.end_membership(actor=request.auth, membership=m, left_on=data.left_on)
    return _memberships().get(pk=m.pk)


# --- tasks -------------------------------------------------------------------------------


def _task_rows(tasks: list[CommunityTask]) -> list[CommunityTask]:
    done = progress.task_progress(tasks)
    for t in tasks:
        t.done = done.get(t.pk, 0)
    return tasks


@router.get("/communities/{community_id}/tasks", response=list[TaskOut])
@paginated
def list_tasks(request, community_id: int, year: int | None = None):
    community = get_visible_or_404(Community, request.auth, pk=community_id)
    qs = CommunityTask.objects.visible_to(request.auth).filter(community=community)
    if year is not None:
        qs = qs.filter(year=year)
    return _task_rows(list(qs.select_related("community").order_by("year", "order", "id")[:500]))


@router.post("/communities/{community_id}/tasks", response={201: TaskOut})
def add_task(request, community_id: int, data: TaskIn):
    community = get_visible_or_404(Community, request.auth, pk=community_id)
    task = services.add_task(actor=request.auth, community=community, **data.dict())
    return Status(
        201, _task_rows([CommunityTask.objects.select_related("community").get(pk=task.pk)])[0]
    )


@router.post("/communities/{community_id}/tasks/generate", response=list[TaskOut])
def generate_tasks(request, community_id: int, data: YearIn):
    community = get_visible_or_404(Community, request.auth, pk=community_id)
    services.generate_tasks(actor=request.auth, community=community, year=data.year)
    tasks = CommunityTask.objects.filter(community=community, year=data.year).select_related(
        "community"
    )
    return _task_rows(list(tasks))


@router.post("/tasks/{task_id}/evidence", response={201: EvidenceOut})
def add_evidence(request, task_id: int, data: EvidenceIn):
    task = get_visible_or_404(CommunityTask, request.auth, pk=task_id)
    e = services.add_evidence(
        actor=request.auth,
        task=task,
        date=data.date,
        count=data.count,
        description=data.description,
    )
    return Status(201, e)
