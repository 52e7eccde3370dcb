"""API of research projects: calls (with publishing, quotas), projects (applying goes
through the page, which takes the application form as a file), their experts, the batch
decision, the stages (accept, extend, terminate, conclude) and the expert reviews —
through the same services as the pages."""

from __future__ import annotations

from ninja import Router
from ninja.responses import Status

from jiaoyan.core.api_crud import Resource

from . import services
from .models import Project, ProjectCall, Review, StageRecord
from .schemas import (
    AcceptIn,
    CallFilter,
    CallIn,
    CallOut,
    CallPatch,
    CallQuotaIn,
    CallStatusIn,
    ConcludeIn,
    ExpertsIn,
    ExtendIn,
    MemberOut,
    ProjectDecideIn,
    ProjectFilter,
    ProjectOut,
    ProjectReviewFilter,
    ProjectReviewIn,
    ProjectReviewOut,
    StageFilter,
    StageOut,
    TerminateIn,
)

router = Router(tags=["projects"])

calls = Resource(
    router,
    "/project-calls/{call_id}",
    ProjectCall.objects.select_related("org_unit"),
    out=CallOut,
    name="project_call",
    arg="call",
)
calls.list(
    filters=CallFilter, order=("-opens_on", "-id"), summary="Calls for projects (课题指南)"
).get().create(services.create_call, CallIn, summary="Draft a call").update(
    services.update_call, CallPatch
).action(
    "status", services.set_call_status, body=CallStatusIn, summary="Publish, close or decide"
).action("quota", services.set_call_quota, body=CallQuotaIn, summary="A unit's own quota")

projects = Resource(
    router,
    "/projects/{project_id}",
    Project.objects.select_related("org_unit", "pi"),
    out=ProjectOut,
)
projects.list(
    filters=ProjectFilter, order=("-applied_on", "-id"), summary="Research projects (课题)"
).get().action(
    "forward", services.forward, summary="The county forwards an application (区县推荐)"
).action(
    "accept", services.accept_stage, body=AcceptIn, summary="Accept or return a filed report"
).action("conclude", services.conclude, body=ConcludeIn, summary="Conclude with a grade").action(
    "extend", services.extend, body=ExtendIn, summary="Extend the current stage's deadline"
).action("terminate", services.terminate, body=TerminateIn, summary="Terminate with a reason")


@router.get(
    "/projects/{project_id}/members",
    response=list[MemberOut],
    summary="A project's members",
    operation_id="list_project_members",
)
def members(request, project_id: int):
    p = projects.one(request, project_id)
    return list(p.members.select_related("person"))


reviews = Resource(
    router,
    "/project-reviews/{review_id}",
    Review.objects.select_related("project", "expert"),
    out=ProjectReviewOut,
    name="project_review",
    arg="review",
)
reviews.list(
    filters=ProjectReviewFilter, order=("project_id", "stage", "id"), summary="Expert reviews"
).get().action(
    "submit",
    services.submit_review,
    body=ProjectReviewIn,
    summary="The expert submits their review",
)


@router.post(
    "/projects/{project_id}/experts",
    response={201: list[ProjectReviewOut]},
    summary="Assign experts to review the project",
    operation_id="assign_project_experts",
)
def assign(request, project_id: int, data: ExpertsIn):
    p = projects.for_write(request, project_id)
    done = services.assign_experts(
        actor=request.auth, project=p, experts=data.experts, due_on=data.due_on
    )
    return Status(201, [reviews.answer(request, r) for r in done])


@router.post(
    "/project-decisions",
    response=list[ProjectOut],
    summary="Approve (with project numbers) or reject applications in a batch",
    operation_id="decide_projects",
)
def decide(request, data: ProjectDecideIn):
    done = services.decide(actor=request.auth, **data.dict())
    return [projects.answer(request, p) for p in done]


stages = Resource(
    router,
    "/project-stages/{stage_id}",
    StageRecord.objects.select_related("project"),
    out=StageOut,
    name="project_stage",
    arg="record",
)
stages.list(filters=StageFilter, order=("project_id", "id"), summary="Project stages").get()
