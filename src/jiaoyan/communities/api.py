"""API of communities of practice: communities, memberships, tasks (with their computed
progress), evidence, the assessment results and coverage — the same services, queries and
scope as the pages."""

from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from jiaoyan.core.api import changes, paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.pages import stored_file_response
from jiaoyan.core.resolve import resolve_optional
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import progress, queries, services
from .models import Community, CommunityTask, Evidence, Membership, SharedFile
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
    SharedFileOut,
    StudioScoreOut,
    TaskIn,
    TaskOut,
    TaskPatch,
    YearIn,
)
from .views import may_share

router = Router(tags=["communities of practice"])

SCHOOLS = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL)


def _school(field: str):
    """A resolver of a school unit (id or code) for the body field ``field``."""

    def find(user, value):
        return resolve_optional(user, OrgUnit, value, field=field, queryset=SCHOOLS)

    return find


communities = Resource(
    router,
    "/communities/{community_id}",
    Community.objects.select_related("org_unit"),
    out=CommunityOut,
    plural="communities",
)
communities.list(
    filters=CommunityFilter, order=("kind", "level", "code"), summary="Communities you see"
)
communities.create(
    services.create_community,
    CommunityIn,
    refs={"org_unit": OrgUnit, "leader": Person, "leading_school": _school("leading_school")},
)


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


communities.get()
communities.update(services.update_community, CommunityPatch, blank=("goals",))


# --- memberships -----------------------------------------------------------------------

memberships = Resource(
    router,
    "/memberships/{membership_id}",
    Membership.objects.select_related("community"),
    out=MembershipOut,
)
memberships.list(filters=MembershipFilter, order=("community_id", "id"), summary="Members you see")
memberships.create(
    services.add_member,
    MembershipIn,
    path="/communities/{community_id}/members",
    parent=("community", Community),
    refs={"person": Person, "school": _school("school")},
    name="add_member",
)
memberships.action("leave", services.end_membership, body=LeaveIn, name="leave")


# --- tasks -------------------------------------------------------------------------------


def _task_rows(tasks: list[CommunityTask]) -> list[CommunityTask]:
    done = progress.task_progress(tasks)
    for t in tasks:
        t.done = done.get(t.pk, 0)
    return tasks


@router.get("/communities/{community_id}/tasks", response=list[TaskOut])
@paginated
def list_tasks(request, community_id: int, year: int | None = None):
    community = communities.for_write(request, community_id)
    qs = CommunityTask.objects.visible_to(request.auth).filter(community=community)
    if year is not None:
        qs = qs.filter(year=year)
    return _task_rows(list(qs.select_related("community").order_by("year", "order", "id")[:500]))


@router.post("/communities/{community_id}/tasks", response={201: TaskOut})
def add_task(request, community_id: int, data: TaskIn):
    community = communities.for_write(request, community_id)
    task = services.add_task(actor=request.auth, community=community, **data.dict())
    return Status(
        201, _task_rows([CommunityTask.objects.select_related("community").get(pk=task.pk)])[0]
    )


@router.post("/communities/{community_id}/tasks/generate", response=list[TaskOut])
def generate_tasks(request, community_id: int, data: YearIn):
    community = communities.for_write(request, community_id)
    services.generate_tasks(actor=request.auth, community=community, year=data.year)
    tasks = CommunityTask.objects.filter(community=community, year=data.year).select_related(
        "community"
    )
    return _task_rows(list(tasks))


Resource(router, "/tasks/{task_id}/evidence", Evidence, out=EvidenceOut).create(
    services.add_evidence, EvidenceIn, parent=("task", CommunityTask), name="add_evidence"
)


# --- one task: edit and remove --------------------------------------------------------------

tasks = Resource(
    router, "/tasks/{task_id}", CommunityTask.objects.select_related("community"), out=TaskOut
)


@router.get("/tasks/{task_id}", response=TaskOut, summary="A task with its computed progress")
def get_task(request, task_id: int):
    return _task_rows([tasks.one(request, task_id)])[0]


@router.patch(
    "/tasks/{task_id}", response=TaskOut, summary="Edit a task (title, target, due, notes)"
)
def update_task(request, task_id: int, data: TaskPatch):
    task = tasks.for_write(request, task_id)
    services.update_task(
        actor=request.auth,
        task=task,
        data=changes(data, blank=("notes",), nullable=("due_on",)),
        expected_version=data.version,
    )
    return _task_rows([tasks.answer(request, task)])[0]


tasks.delete(services.delete_task, summary="Remove a task (with its evidence)")


# --- the workspace's shared files -------------------------------------------------------------

files = Resource(
    router,
    "/community-files/{file_id}",
    SharedFile.objects.select_related("community"),
    out=SharedFileOut,
    name="shared_file",
    arg="file",
)
files.list(
    "/communities/{community_id}/files",
    parent=("community", Community),
    order=("-created_at", "-id"),
    summary="Files shared in a community's workspace",
).get().delete(services.delete_file, summary="Remove a shared file (its sharer or an admin)")


@router.post(
    "/communities/{community_id}/files",
    response={201: SharedFileOut},
    summary="Share a file in the workspace (multipart; no pages, scripts or programs)",
)
@upload("attachment", allowed=may_share)
def share_file(request, community_id: int, file: UploadedFile = File(...)):
    community = get_visible_or_404(Community, request.auth, pk=community_id)
    row = services.share_file(actor=request.auth, community=community, file=file)
    return Status(201, files.answer(request, row))


@router.get("/community-files/{file_id}/download", summary="Download a shared file")
def download_shared_file(request, file_id: int):
    row = files.one(request, file_id)
    return stored_file_response(row.file, row.name)
