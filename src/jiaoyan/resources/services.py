"""Every write of the resource library: drafts and their files, submission, reviewers,
reviews, the decision and resubmission; the curriculum tree and review rubrics.

Each function takes the acting user (``actor``), checks with ``require``/``locked``, says
what is wrong with a ``ServiceError`` (nothing written), writes an audit row and a
:class:`ResourceEvent` where the resource moves, and tells the submitter through
``core.notifications.notify`` once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit, search, uploads
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, has_role, locked, require
from jiaoyan.core.services import apply_changes, check_version, clean_link, clean_text

from . import previews, summary
from .models import (
    CurriculumNode,
    Decision,
    Kind,
    Resource,
    ResourceEvent,
    ResourceFile,
    Review,
    ReviewRubric,
    Status,
    Visibility,
    turnaround_seconds,
)

Action = AuditLog.Action
#: The fields of a resource its authors edit (forms, API PATCH).
EDITABLE_FIELDS = (
    "kind",
    "title",
    "summary",
    "stage",
    "subject",
    "grade",
    "edition",
    "curriculum_node",
    "themes",
    "authors",
    "visibility",
    "video_link",
)
MAX_THEMES = 10
MAX_FILES = 20
MAX_REVIEWERS = 7


# --- helpers -----------------------------------------------------------------------------


def _event(
    actor,
    resource: Resource,
    step: str,
    comment: str = "",
    *,
    anonymous: bool = False,
    at: dt.datetime | None = None,
    turnaround: int | None = None,
) -> ResourceEvent:
    """A step of the resource's way (at ``at``, default now); ``anonymous`` (a review)
    shows no name to its readers (the audit row keeps who it was); ``turnaround``: a
    decision's seconds since the submission it answered."""
    return ResourceEvent.objects.create(
        resource=resource,
        step=step,
        status=resource.status,
        actor=actor if actor is not None and actor.pk else None,
        actor_name="" if anonymous else audit.actor_name(actor)[:50],
        comment=comment,
        created_at=at or timezone.now(),
        turnaround=turnaround,
    )


def submitters(resource: Resource) -> set[int]:
    """The accounts told about the resource's way: its authors and its creator."""
    ids = set(resource.authors.filter(user__isnull=False).values_list("user_id", flat=True))
    if resource.created_by_id:
        ids.add(resource.created_by_id)
    return ids


def _tell(resource: Resource, recipients: Iterable[int], title: str, body: str = "") -> None:
    """A notification once the transaction commits (nothing is told of a rolled back step)."""
    ids = set(recipients)
    url = resource.get_absolute_url()
    transaction.on_commit(lambda: notify(ids, title=title, body=body, url=url, about=resource))


def _clean_themes(themes: Any) -> list[str]:
    if themes is None:
        return []
    if isinstance(themes, str):
        themes = themes.replace("，", ",").replace("、", ",").split(",")
    out: list[str] = []
    for t in themes:
        text = clean_text(t, field="themes", label=_("Theme"), limit=20)
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_THEMES:
        raise ServiceError(_("Give at most %(n)d themes.") % {"n": MAX_THEMES}, field="themes")
    return out


def _clean(data: dict[str, Any], *, resource: Resource | None = None) -> dict[str, Any]:
    """The fields of ``data`` checked and normalised (only those given)."""
    out = dict(data)
    if "title" in out:
        out["title"] = clean_text(
            out["title"], field="title", label=_("Title"), limit=120, required=True
        )
    if "summary" in out:
        out["summary"] = clean_text(
            out["summary"], field="summary", label=pgettext("resource", "Summary"), limit=5000
        )
    if "kind" in out and out["kind"] not in Kind.values:
        raise ServiceError(_("Choose the kind of resource."), field="kind")
    if "visibility" in out:
        out["visibility"] = out["visibility"] or Visibility.INTERNAL
        if out["visibility"] not in Visibility.values:
            raise ServiceError(_("Choose who may see the resource."), field="visibility")
    if "grade" in out and out["grade"] not in (None, ""):
        try:
            grade = int(out["grade"])
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 12:
            raise ServiceError(_("A grade is a number from 1 to 12."), field="grade")
        out["grade"] = grade
    elif "grade" in out:
        out["grade"] = None
    if "edition" in out:
        out["edition"] = clean_text(
            out["edition"], field="edition", label=_("Textbook edition"), limit=40
        )
    if "themes" in out:
        out["themes"] = _clean_themes(out["themes"])
    if "video_link" in out:
        out["video_link"] = clean_link(out["video_link"], field="video_link")
    if "authors" in out:
        out["authors"] = list(out["authors"] or [])
        if not out["authors"]:
            raise ServiceError(_("Name at least one author."), field="authors")
    node = out.get("curriculum_node", resource.curriculum_node if resource else None)
    if node is not None:
        subject = out.get("subject", resource.subject if resource else None)
        edition = out.get("edition", resource.edition if resource else "")
        if subject is None or node.subject_id != subject.pk:
            raise ServiceError(
                _("The chapter belongs to another subject."), field="curriculum_node"
            )
        if edition and node.edition != edition:
            raise ServiceError(
                _("The chapter belongs to another textbook edition."), field="curriculum_node"
            )
        if not edition:
            out["edition"] = node.edition
    return out


# --- drafts ------------------------------------------------------------------------------


@transaction.atomic
def create_resource(
    *,
    actor,
    org_unit,
    kind: str,
    title: str,
    summary: str = "",
    stage=None,
    subject=None,
    grade: int | None = None,
    edition: str = "",
    curriculum_node=None,
    themes: Iterable[str] | str = (),
    authors: Iterable = (),
    visibility: str = Visibility.INTERNAL,
    video_link: str = "",
) -> Resource:
    """A new draft of ``org_unit``'s library, written by ``authors`` (default: the actor)."""
    if org_unit is None:
        raise ServiceError(_("Choose the unit the resource belongs to."), field="org_unit")
    require(actor, "add", Resource(org_unit=org_unit))
    authors = list(authors or [])
    if not authors:
        person = getattr(actor, "person", None)
        if person is None:
            raise ServiceError(_("Name at least one author."), field="authors")
        authors = [person]
    data = _clean(
        {
            "kind": kind,
            "title": title,
            "summary": summary,
            "stage": stage,
            "subject": subject,
            "grade": grade,
            "edition": edition,
            "curriculum_node": curriculum_node,
            "themes": themes,
            "authors": authors,
            "visibility": visibility,
            "video_link": video_link,
        }
    )
    authors = data.pop("authors")
    now = timezone.now()
    resource = Resource.objects.create(
        org_unit=org_unit, created_by=actor, created_at=now, updated_at=now, **data
    )
    resource.authors.set(authors)
    audit.record(
        actor,
        resource,
        Action.CREATE,
        {
            **audit.snapshot(resource, ["kind", "title", "status"]),
            "authors": sorted(str(a) for a in authors),
        },
    )
    _event(actor, resource, ResourceEvent.Step.CREATED)
    search.index(resource)
    return resource


@transaction.atomic
def update_resource(
    *, actor, resource: Resource, data: Mapping[str, Any], expected_version: int | None = None
) -> Resource:
    """Edit a draft (or a returned resource) — its authors only."""
    resource = locked(actor, "change", resource)
    check_version(resource, expected_version)
    fields = [f for f in EDITABLE_FIELDS if f in data]
    clean = _clean({f: data[f] for f in fields}, resource=resource)
    with summary.tracking(resource.pk):  # a returned one is counted: kind, subject, authors
        apply_changes(actor, resource, clean, list(clean), expected_version=None)
    search.index(resource)
    return resource


@transaction.atomic
def delete_resource(*, actor, resource: Resource) -> None:
    """Delete a draft (its authors); a resource once submitted stays, with its history."""
    resource = locked(actor, "delete", resource)
    stored = [(f.file.storage, f.file.name) for f in resource.files.all() if f.file]
    audit.record(actor, resource, Action.DELETE, audit.snapshot(resource, ["title", "status"]))
    search.unindex(resource)
    with summary.tracking(resource.pk):
        resource.delete()
    for storage, name in stored:
        transaction.on_commit(lambda s=storage, n=name: s.delete(n))


# --- files -------------------------------------------------------------------------------


def may_attach(user, resource: Resource) -> bool:
    return can(user, "add", ResourceFile(resource=resource))


@transaction.atomic
def attach_file(*, actor, resource: Resource, file) -> ResourceFile:
    """Store a file of a draft: typed by its content (documents, slides, spreadsheets,
    images, audio, video — each with its own size limit), never a page, a script or a
    program, under a sanitised name. A failure leaves nothing stored."""
    resource = locked(actor, "change", resource)
    require(actor, "add", ResourceFile(resource=resource))
    if resource.files.count() >= MAX_FILES:
        raise ServiceError(
            _("A resource has at most %(n)d files.") % {"n": MAX_FILES}, field="file"
        )
    name, found = uploads.check_typed_file(
        file, "resource", categories=settings.RESOURCE_FILE_LIMITS, field="file"
    )
    row = ResourceFile(
        resource=resource,
        name=name,
        size=int(file.size),
        category=found.category,
        content_type=found.content_type,
        uploaded_by=actor,
    )
    file.seek(0)
    row.file.save(name, file, save=False)
    stored, storage = row.file.name, row.file.storage
    try:
        row.save()
        audit.record(actor, resource, Action.UPDATE, {"files": [None, name]})
        previews.queue_rendition(actor=actor, row=row)  # an office document's PDF
    except Exception:
        storage.delete(stored)  # no row, no file: nothing is left half-stored
        raise
    return row


@transaction.atomic
def remove_file(*, actor, file: ResourceFile) -> None:
    """Remove a file of a draft (the resource's authors)."""
    row = ResourceFile.objects.select_for_update().select_related("resource").get(pk=file.pk)
    require(actor, "delete", row)
    audit.record(actor, row.resource, Action.UPDATE, {"files": [row.name, None]})
    stored, storage = row.file.name, row.file.storage
    rendition = previews.rendition_name(row)
    row.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
        transaction.on_commit(lambda: storage.exists(rendition) and storage.delete(rendition))


# --- submission and review ---------------------------------------------------------------


def rubric_for(resource: Resource) -> ReviewRubric:
    """The rubric of the nearest unit above the resource's unit that has one in use, else
    the built-in default."""
    ids = [int(p) for p in resource.org_unit.path.strip("/").split("/") if p]
    rows = {
        r.org_unit_id: r
        for r in ReviewRubric.objects.filter(org_unit_id__in=ids, is_active=True).order_by("id")
    }
    for unit_id in reversed(ids):
        if unit_id in rows:
            return rows[unit_id]
    found = (
        ReviewRubric.objects.filter(org_unit__isnull=True, is_active=True).order_by("id").first()
    )
    if found is None:
        raise ServiceError(_("No review rubric is in use; ask an administrator to set one."))
    return found


def _check_complete(resource: Resource) -> None:
    if resource.subject_id is None:
        raise ServiceError(_("Choose the subject before submitting."), field="subject")
    if resource.stage_id is None:
        raise ServiceError(_("Choose the stage before submitting."), field="stage")
    if not resource.files.exists() and not resource.video_link:
        raise ServiceError(_("Attach at least one file or give a video link before submitting."))
    if resource.kind == Kind.MICRO_LESSON and not (
        resource.video_link or resource.files.filter(category="video").exists()
    ):
        raise ServiceError(_("A micro-lesson needs its video: a video file or a link."))


def _managers_of(resource: Resource) -> set[int]:
    """Accounts of the managers of the resource's own unit and of the units right above
    it (its school's principal, its district's researchers of the subject)."""
    from jiaoyan.people.models import RoleAssignment

    ids = [int(p) for p in resource.org_unit.path.strip("/").split("/") if p][-3:]
    rows = RoleAssignment.objects.filter(
        org_unit_id__in=ids,
        role__in=[Role.PRINCIPAL, Role.RESEARCHER],
        is_active=True,
        person__user__isnull=False,
    )
    if resource.subject_id:
        rows = rows.filter(
            Q(role=Role.PRINCIPAL) | Q(subjects=resource.subject_id) | Q(subjects=None)
        )
    return set(rows.values_list("person__user_id", flat=True))


@transaction.atomic
def submit_resource(*, actor, resource: Resource, expected_version: int | None = None) -> Resource:
    """Submit a draft — or a returned resource, revised — for review (a new round)."""
    resource = locked(actor, "change", resource)
    check_version(resource, expected_version)
    _check_complete(resource)
    again = resource.status == Status.RETURNED
    before = resource.status
    resource.status = Status.SUBMITTED
    resource.round += 1
    resource.submitted_at = timezone.now()
    resource.rubric = rubric_for(resource)
    resource.version += 1
    resource.updated_at = timezone.now()
    with summary.tracking(resource.pk):
        resource.save(
            update_fields=["status", "round", "submitted_at", "rubric", "version", "updated_at"]
        )
    audit.record(actor, resource, Action.UPDATE, {"status": [before, resource.status]})
    step = ResourceEvent.Step.RESUBMITTED if again else ResourceEvent.Step.SUBMITTED
    _event(actor, resource, step, at=resource.submitted_at)  # the moment a decision answers
    _tell(
        resource,
        submitters(resource) - {actor.pk},
        _("Submitted for review: %(title)s") % {"title": resource.title},
    )
    _tell(
        resource,
        _managers_of(resource) - submitters(resource),
        _("A resource waits for reviewers: %(title)s") % {"title": resource.title},
    )
    return resource


def may_manage(user, resource: Resource) -> bool:
    return can(user, "manage", resource)


@transaction.atomic
def assign_reviewer(*, actor, resource: Resource, reviewer) -> Review:
    """Give a submitted resource a reviewer (a person the actor may name, with an
    account); never one of its authors or its creator."""
    resource = locked(actor, "manage", resource)
    if resource.status not in (Status.SUBMITTED, Status.IN_REVIEW):
        raise ServiceError(_("Only a submitted resource is given reviewers."))
    if reviewer is None:
        raise ServiceError(_("Choose a reviewer."), field="reviewer")
    if reviewer.user_id is None:
        raise ServiceError(
            _("%(name)s has no account and cannot review.") % {"name": reviewer.name},
            field="reviewer",
        )
    if (
        resource.authors.filter(pk=reviewer.pk).exists()
        or reviewer.user_id == resource.created_by_id
    ):
        raise ServiceError(_("A reviewer cannot review their own resource."), field="reviewer")
    current = resource.reviews.filter(round=resource.round)
    if current.filter(reviewer=reviewer).exists():
        raise ServiceError(
            _("%(name)s already reviews this resource.") % {"name": reviewer.name},
            field="reviewer",
        )
    if current.count() >= MAX_REVIEWERS:
        raise ServiceError(
            _("A resource has at most %(n)d reviewers.") % {"n": MAX_REVIEWERS},
            field="reviewer",
        )
    rubric = resource.rubric or rubric_for(resource)
    review = Review.objects.create(
        resource=resource,
        round=resource.round,
        reviewer=reviewer,
        criteria=list(rubric.criteria),
        assigned_by=actor,
    )
    before = resource.status
    if resource.status == Status.SUBMITTED:
        resource.status = Status.IN_REVIEW
        with summary.tracking(resource.pk):
            resource.save(update_fields=["status"])
    # Who reviews is recorded on the review (the managers' history), not on the resource,
    # whose history its authors read: reviews are blind to them.
    audit.record(actor, review, Action.CREATE, {"reviewer": [None, reviewer.name]})
    if before != resource.status:
        audit.record(actor, resource, Action.UPDATE, {"status": [before, resource.status]})
    _event(actor, resource, ResourceEvent.Step.ASSIGNED)
    if before != resource.status:
        _tell(
            resource,
            submitters(resource),
            _("Your resource is in review: %(title)s") % {"title": resource.title},
        )
    transaction.on_commit(
        lambda: notify(
            [reviewer.user_id],
            title=_("Please review: %(title)s") % {"title": resource.title},
            url=review.get_absolute_url(),
            about=review,
        )
    )
    return review


@transaction.atomic
def unassign_reviewer(*, actor, review: Review) -> None:
    """Take a reviewer off a resource before they have reviewed it."""
    review = (
        Review.objects.select_for_update().select_related("resource", "reviewer").get(pk=review.pk)
    )
    resource = locked(actor, "manage", review.resource)
    if review.status == Review.State.DONE:
        raise ServiceError(_("A finished review stays with the resource."))
    if resource.status != Status.IN_REVIEW:
        raise ServiceError(_("The review is closed."))
    audit.record(actor, review, Action.DELETE, {"reviewer": [review.reviewer.name, None]})
    review.delete()
    _event(actor, resource, ResourceEvent.Step.UNASSIGNED)


def _score(value: Any, maximum: float, name: str) -> Decimal:
    try:
        score = Decimal(str(value).strip())
    except (ArithmeticError, ValueError, TypeError):
        score = Decimal(-1)
    if not score.is_finite() or score < 0 or score > Decimal(str(maximum)):
        raise ServiceError(
            _("The score for “%(name)s” must be between 0 and %(max)s.")
            % {"name": name, "max": f"{maximum:g}"},
            field="scores",
        )
    return score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def weighted_total(criteria: list[dict[str, Any]], scores: Mapping[str, Decimal]) -> Decimal:
    """The sum of each criterion's score times its weight (1 when the criterion has
    none), to one decimal."""
    total = sum(
        (scores[c["name"]] * Decimal(str(c.get("weight", 1))) for c in criteria), Decimal(0)
    )
    return total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def record_review(
    *,
    actor,
    review: Review,
    scores: Mapping[str, Any],
    comment: str = "",
    recommendation: str = "",
) -> Review:
    """The reviewer's scores (each criterion of the rubric, within its range), comment and
    recommendation. A reviewer may change them until the decision."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    require(actor, "change", review)
    resource = Resource.objects.select_for_update().get(pk=review.resource_id)
    if resource.status != Status.IN_REVIEW or review.round != resource.round:
        raise ServiceError(_("The review is closed."))
    if resource.authors.filter(user_id=actor.pk).exists() or resource.created_by_id == actor.pk:
        raise ServiceError(_("A reviewer cannot review their own resource."))
    scores = dict(scores or {})
    names = [c["name"] for c in review.criteria]
    unknown = [k for k in scores if k not in names]
    if unknown:
        raise ServiceError(
            _("Unknown criteria: %(names)s") % {"names": "、".join(unknown)}, field="scores"
        )
    missing = [n for n in names if scores.get(n) in (None, "")]
    if missing:
        raise ServiceError(
            _("Score every criterion; missing: %(names)s") % {"names": "、".join(missing)},
            field="scores",
        )
    clean = {c["name"]: _score(scores[c["name"]], c["max"], c["name"]) for c in review.criteria}
    comment = clean_text(comment, field="comment", label=_("Comment"), limit=5000)
    if recommendation and recommendation not in Decision.values:
        raise ServiceError(_("Choose a recommendation."), field="recommendation")
    if recommendation in (Decision.RETURN, Decision.REJECT) and not comment:
        raise ServiceError(_("Say why in the comment: the authors read it."), field="comment")
    first = review.status != Review.State.DONE
    before = audit.snapshot(review, ["total", "recommendation", "comment"])
    review.scores = {k: float(v) for k, v in clean.items()}
    review.total = weighted_total(review.criteria, clean)
    review.comment = comment
    review.recommendation = recommendation
    review.status = Review.State.DONE
    review.reviewed_at = timezone.now()
    review.save()
    audit.record(
        actor,
        review,
        Action.UPDATE,
        audit.diff(before, audit.snapshot(review, ["total", "recommendation", "comment"])),
    )
    if first:
        _event(actor, resource, ResourceEvent.Step.REVIEWED, anonymous=True)
        _tell(
            resource,
            _deciders(resource),
            _("A review is in: %(title)s") % {"title": resource.title},
        )
    return review


def _deciders(resource: Resource) -> set[int]:
    """Who assigned the reviewers of this round (they decide)."""
    return set(
        resource.reviews.filter(round=resource.round, assigned_by__isnull=False).values_list(
            "assigned_by_id", flat=True
        )
    )


@transaction.atomic
def decide(
    *,
    actor,
    resource: Resource,
    decision: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Resource:
    """Publish, return for revision (with the comments) or reject a resource whose
    reviews of this round are all in."""
    resource = locked(actor, "manage", resource)
    check_version(resource, expected_version)
    if decision not in Decision.values:
        raise ServiceError(_("Choose a decision."), field="decision")
    if resource.status != Status.IN_REVIEW:
        raise ServiceError(_("Only a resource in review is decided."))
    reviews = list(resource.reviews.filter(round=resource.round))
    if not reviews:
        raise ServiceError(_("Assign a reviewer first."))
    pending = [r for r in reviews if r.status != Review.State.DONE]
    if pending:
        raise ServiceError(_("%(n)d reviews are not in yet.") % {"n": len(pending)})
    comment = clean_text(comment, field="comment", label=_("Comment"), limit=5000)
    if decision in (Decision.RETURN, Decision.REJECT) and not comment:
        raise ServiceError(_("Say why in the comment: the authors read it."), field="comment")
    before = resource.status
    resource.status = {
        Decision.PUBLISH: Status.PUBLISHED,
        Decision.RETURN: Status.RETURNED,
        Decision.REJECT: Status.REJECTED,
    }[decision]
    now = timezone.now()
    if resource.status == Status.PUBLISHED:
        resource.published_at = now
    resource.version += 1
    resource.updated_at = now
    step = {
        Status.PUBLISHED: ResourceEvent.Step.PUBLISHED,
        Status.RETURNED: ResourceEvent.Step.RETURNED,
        Status.REJECTED: ResourceEvent.Step.REJECTED,
    }[resource.status]
    # The review's turnaround, from the (re)submission this round answers (submit_resource
    # wrote its moment on the resource and its step alike).
    waited = turnaround_seconds(resource.submitted_at, now) if resource.submitted_at else None
    with summary.tracking(resource.pk):  # its status, publication and decision
        resource.save(update_fields=["status", "published_at", "version", "updated_at"])
        _event(actor, resource, step, comment, at=now, turnaround=waited)
    audit.record(
        actor, resource, Action.UPDATE, {"status": [before, resource.status]}, message=comment[:300]
    )
    titles = {
        Status.PUBLISHED: _("Published: %(title)s"),
        Status.RETURNED: _("Returned for revision: %(title)s"),
        Status.REJECTED: _("Not accepted: %(title)s"),
    }
    _tell(
        resource, submitters(resource), titles[resource.status] % {"title": resource.title}, comment
    )
    return resource


# --- the curriculum tree and review rubrics ----------------------------------------------


def may_edit_curriculum(user) -> bool:
    """The curriculum tree is kept by bureau admins (it is the same for every unit)."""
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.BUREAU_ADMIN)


@transaction.atomic
def add_curriculum_node(
    *,
    actor,
    subject,
    edition: str,
    name: str,
    parent=None,
    order: int = 0,
    grade: int | None = None,
) -> CurriculumNode:
    if not may_edit_curriculum(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if subject is None:
        raise ServiceError(_("Choose the subject."), field="subject")
    edition = clean_text(
        edition, field="edition", label=_("Textbook edition"), limit=40, required=True
    )
    name = clean_text(name, field="name", label=_("Name"), limit=100, required=True)
    if parent is not None and (parent.subject_id != subject.pk or parent.edition != edition):
        raise ServiceError(_("The parent belongs to another subject or edition."), field="parent")
    if CurriculumNode.objects.filter(
        subject=subject, edition=edition, parent=parent, name=name
    ).exists():
        raise ServiceError(_("This chapter is already there."), field="name")
    if grade is not None and not 1 <= int(grade) <= 12:
        raise ServiceError(_("A grade is a number from 1 to 12."), field="grade")
    node = CurriculumNode.objects.create(
        subject=subject, edition=edition, parent=parent, name=name, order=order or 0, grade=grade
    )
    audit.record(actor, node, Action.CREATE, {"name": [None, name], "edition": [None, edition]})
    return node


@transaction.atomic
def rename_curriculum_node(
    *, actor, node: CurriculumNode, name: str, order: int | None = None
) -> CurriculumNode:
    if not may_edit_curriculum(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    node = CurriculumNode.objects.select_for_update().get(pk=node.pk)
    name = clean_text(name, field="name", label=_("Name"), limit=100, required=True)
    clash = CurriculumNode.objects.filter(
        subject_id=node.subject_id, edition=node.edition, parent_id=node.parent_id, name=name
    ).exclude(pk=node.pk)
    if clash.exists():
        raise ServiceError(_("This chapter is already there."), field="name")
    changes = {"name": [node.name, name]}
    node.name = name
    if order is not None:
        changes["order"] = [node.order, order]
        node.order = order
    node.save()
    audit.record(actor, node, Action.UPDATE, changes)
    return node


#: The most criteria a rubric has, and the bounds of a criterion's highest score and weight.
MAX_CRITERIA = 30
MAX_SCORE = 1000
MAX_WEIGHT = 100


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return float("nan")
    return number


def _clean_criteria(criteria: Any) -> list[dict[str, Any]]:
    """A rubric's criteria: each a name (unique), its highest score (0 < max ≤ 1000) and
    its weight (0 < weight ≤ 100; 1 when not given) — a review's total is the sum of
    each score times its weight."""
    rows = [c if isinstance(c, Mapping) else dict(c) for c in (criteria or [])]
    if not rows:
        raise ServiceError(_("Give at least one criterion."), field="criteria")
    if len(rows) > MAX_CRITERIA:
        raise ServiceError(
            _("A rubric has at most %(n)d criteria.") % {"n": MAX_CRITERIA}, field="criteria"
        )
    out, seen = [], set()
    for row in rows:
        name = clean_text(
            row.get("name"), field="criteria", label=_("Criterion"), limit=100, required=True
        )
        most = _number(row.get("max"))
        if most is None or not 0 < most <= MAX_SCORE:
            raise ServiceError(
                _("The highest score of “%(name)s” must be between 0 and 1000.") % {"name": name},
                field="criteria",
            )
        weight = _number(row.get("weight"))
        if weight is None:
            weight = 1.0
        if not 0 < weight <= MAX_WEIGHT:
            raise ServiceError(
                _("The weight of “%(name)s” must be a positive number up to %(most)s.")
                % {"name": name, "most": MAX_WEIGHT},
                field="criteria",
            )
        if name in seen:
            raise ServiceError(
                _("Two criteria are named “%(name)s”.") % {"name": name}, field="criteria"
            )
        seen.add(name)
        out.append({"name": name, "max": most, "weight": weight})
    return out


def _unit_rubric_name_free(rubric: ReviewRubric) -> None:
    clash = ReviewRubric.objects.filter(org_unit_id=rubric.org_unit_id, name=rubric.name)
    if rubric.pk:
        clash = clash.exclude(pk=rubric.pk)
    if clash.exists():
        raise ServiceError(
            _("The unit already has a rubric named “%(name)s”.") % {"name": rubric.name},
            field="name",
        )


@transaction.atomic
def create_rubric(
    *, actor, org_unit, name: str, criteria: Iterable[Mapping[str, Any]]
) -> ReviewRubric:
    """A unit's review rubric (its admins and researchers): the resources of its subtree
    are reviewed against it from their next submission."""
    if org_unit is None:
        raise ServiceError(_("Choose the unit the rubric belongs to."), field="org_unit")
    rubric = ReviewRubric(org_unit=org_unit)
    require(actor, "add", rubric)
    rubric.name = clean_text(name, field="name", label=_("Name"), limit=100, required=True)
    rubric.criteria = _clean_criteria(criteria)
    _unit_rubric_name_free(rubric)
    rubric.save()
    audit.record(actor, rubric, Action.CREATE, {"name": [None, rubric.name]})
    return rubric


@transaction.atomic
def update_rubric(
    *, actor, rubric: ReviewRubric, data: Mapping[str, Any], expected_version: int | None = None
) -> ReviewRubric:
    """Change a rubric: reviews already assigned keep the criteria they were given."""
    rubric = locked(actor, "change", rubric)
    clean = dict(data)
    if "name" in clean:
        clean["name"] = clean_text(
            clean["name"], field="name", label=_("Name"), limit=100, required=True
        )
    if "criteria" in clean:
        clean["criteria"] = _clean_criteria(clean["criteria"])
    if "is_active" in clean:
        clean["is_active"] = bool(clean["is_active"])
    if "name" in clean:
        _unit_rubric_name_free(
            ReviewRubric(pk=rubric.pk, org_unit_id=rubric.org_unit_id, name=clean["name"])
        )
    fields = [f for f in ("name", "criteria", "is_active") if f in clean]
    apply_changes(actor, rubric, clean, fields, expected_version=expected_version)
    return rubric


def retire_rubric(
    *, actor, rubric: ReviewRubric, expected_version: int | None = None
) -> ReviewRubric:
    """Take a rubric out of use: resources submitted from now on are reviewed against the
    nearest other rubric in use above them; reviews already assigned keep their criteria."""
    if not rubric.is_active:
        raise ServiceError(_("The rubric is already retired."))
    return update_rubric(
        actor=actor, rubric=rubric, data={"is_active": False}, expected_version=expected_version
    )


def restore_rubric(
    *, actor, rubric: ReviewRubric, expected_version: int | None = None
) -> ReviewRubric:
    """Put a retired rubric back in use."""
    if rubric.is_active:
        raise ServiceError(_("The rubric is in use."))
    return update_rubric(
        actor=actor, rubric=rubric, data={"is_active": True}, expected_version=expected_version
    )
