"""API of the resource library: resources (create, edit, submit, reviewers, decide),
their files (list, upload, download, remove) and reviews (the reviewer's scores) —
through the same services as the pages."""

from __future__ import annotations

from ninja import File, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from jiaoyan.core.api_crud import Resource as ApiResource
from jiaoyan.core.pages import stored_row_response
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from . import services
from .models import CurriculumNode, Resource, ResourceFile, Review, ReviewRubric
from .schemas import (
    DecisionIn,
    FileOut,
    ResourceFilter,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    ReviewerIn,
    ReviewFilter,
    ReviewIn,
    ReviewOut,
    ReviewRubricIn,
    ReviewRubricOut,
    ReviewRubricPatch,
    SubmitIn,
)
from .views import may_attach

router = Router(tags=["resources"])

REFS = {
    "org_unit": OrgUnit,
    "stage": Stage,
    "subject": Subject,
    "curriculum_node": CurriculumNode,
    "authors": [Person],
}

resources = ApiResource(
    router,
    "/resources/{resource_id}",
    Resource.objects.select_related("org_unit").prefetch_related("authors"),
    out=ResourceOut,
)
reviews = ApiResource(
    router,
    "/reviews/{review_id}",
    Review.objects.select_related("resource", "resource__org_unit", "reviewer"),
    out=ReviewOut,
)
files = ApiResource(
    router,
    "/resource-files/{file_id}",
    ResourceFile.objects.all(),
    out=FileOut,
    name="resource_file",
    arg="file",
)

resources.list(
    filters=ResourceFilter, order=("-created_at", "-id"), summary="Resources of the library"
).get().create(
    services.create_resource, ResourceIn, refs=REFS, summary="Create a draft resource"
).update(
    services.update_resource,
    ResourcePatch,
    refs=REFS,
    nullable=("stage", "subject", "grade", "curriculum_node"),
    summary="Edit a draft or returned resource (its authors)",
).delete(services.delete_resource, summary="Delete a draft (its authors)").action(
    "submit",
    services.submit_resource,
    body=SubmitIn,
    optional=True,
    summary="Submit for review (or resubmit after revision)",
).action(
    "decide",
    services.decide,
    body=DecisionIn,
    summary="Publish, return for revision (with comments) or reject",
).action(
    "reviewers",
    services.assign_reviewer,
    body=ReviewerIn,
    refs={"reviewer": Person},
    answers=reviews,
    summary="Assign a reviewer (never an author)",
    name="assign_reviewer",
)

files.list(
    "/resources/{resource_id}/files",
    parent=("resource", Resource),
    order=("created_at", "id"),
    summary="A resource's files",
).get().delete(services.remove_file, summary="Remove a file of a draft")


@router.post(
    "/resources/{resource_id}/files",
    response={201: FileOut},
    summary="Attach a file (multipart; typed by its content: no pages, scripts or programs)",
)
@upload("resource", allowed=may_attach)
def attach_file(request, resource_id: int, file: UploadedFile = File(...)):
    resource = resources.for_write(request, resource_id)
    row = services.attach_file(actor=request.auth, resource=resource, file=file)
    return Status(201, files.answer(request, row))


@router.get("/resource-files/{file_id}/download", summary="Download a file (as an attachment)")
def download_resource_file(request, file_id: int):
    row = files.one(request, file_id)
    return stored_row_response(None, row, content_type="content_type")


reviews.list(filters=ReviewFilter, order=("-assigned_at", "-id"), summary="Reviews").get().delete(
    services.unassign_reviewer, summary="Remove a reviewer who has not reviewed yet"
)


@router.post(
    "/reviews/{review_id}/scores",
    response=ReviewOut,
    summary="Record the review: scores per criterion, comment, recommendation",
    operation_id="record_review",
)
def record_review(request, review_id: int, data: ReviewIn):
    review = reviews.for_write(request, review_id)
    services.record_review(
        actor=request.auth,
        review=review,
        scores=data.scores,
        comment=data.comment,
        recommendation=data.recommendation or "",
    )
    return reviews.answer(request, review)


rubrics = ApiResource(
    router,
    "/review-rubrics/{rubric_id}",
    ReviewRubric.objects.all(),
    out=ReviewRubricOut,
    name="rubric",
)
rubrics.list(
    order=("name", "id"),
    summary="Review rubrics: the built-in default and those of your units and the units above",
    name="list_review_rubrics",
).get(name="get_review_rubric").create(
    services.create_rubric,
    ReviewRubricIn,
    refs={"org_unit": OrgUnit},
    summary="A unit's review rubric (criteria with their highest scores)",
    name="create_review_rubric",
).update(
    services.update_rubric,
    ReviewRubricPatch,
    summary="Change a rubric (reviews already assigned keep their criteria)",
    name="update_review_rubric",
).action(
    "retire",
    services.retire_rubric,
    body=SubmitIn,
    optional=True,
    summary="Retire a rubric (resources submitted from now on use another)",
    name="retire_review_rubric",
).action(
    "restore",
    services.restore_rubric,
    body=SubmitIn,
    optional=True,
    summary="Put a retired rubric back in use",
    name="restore_review_rubric",
)
