"""Reads of the resource library, each starting from ``visible_to``."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import user_scopes

from .models import MANAGERS, Resource, ResourceEvent, ResourceFile, Review, Status


def library(user) -> QuerySet[Resource]:
    """Every resource the user sees (published ones, and what they manage or wrote)."""
    return Resource.objects.visible_to(user)


def mine(user) -> QuerySet[Resource]:
    """The resources the user wrote or created, in any status.

    The two ways a resource is the user's are one id set — the ids they created (the
    ``created_by`` index) UNION the ids they are an author of (the authors' ``person``
    index) — so both databases read a few index entries and look those rows up by id,
    rather than scanning every resource to test an OR of the two."""
    person_id = getattr(getattr(user, "person", None), "pk", None)
    ids = Resource.objects.filter(created_by_id=user.pk).order_by().values("pk")
    if person_id:
        authored = Resource.authors.through.objects.filter(person_id=person_id)
        ids = ids.union(authored.order_by().values("resource_id"))
    return Resource.objects.visible_to(user).filter(pk__in=ids)


def review_queue(user) -> QuerySet[Review]:
    """The reviews assigned to the user (their queue)."""
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is None:
        return Review.objects.none()
    return Review.objects.visible_to(user).filter(reviewer_id=person_id)


def files_of(user, resource: Resource) -> list[ResourceFile]:
    return list(ResourceFile.objects.visible_to(user).filter(resource=resource))


def events_of(user, resource: Resource) -> list[ResourceEvent]:
    return list(ResourceEvent.objects.visible_to(user).filter(resource=resource))


def reviews_of(user, resource: Resource) -> list[Review]:
    """The reviews of the resource the user may read: all of them for its managers, the
    finished ones for its authors, their own for a reviewer."""
    return list(
        Review.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("reviewer")
        .order_by("-round", "id")
    )


def my_review(user, resource: Resource) -> Review | None:
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is None:
        return None
    return (
        Review.objects.filter(resource=resource, round=resource.round, reviewer_id=person_id)
        .visible_to(user)
        .first()
    )


def panel_counts(user) -> dict[str, int]:
    """For the home panel, in two queries: the user's drafts, returned and in-review
    resources, and the reviews waiting for them."""
    if getattr(user, "person", None) is None:
        return {}
    counts = mine(user).aggregate(
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
        returned=Count("pk", filter=Q(status=Status.RETURNED)),
        in_review=Count("pk", filter=Q(status__in=[Status.SUBMITTED, Status.IN_REVIEW])),
    )
    counts["to_review"] = review_queue(user).filter(status=Review.State.ASSIGNED).count()
    return counts


def sees_reviewer(user, review: Review) -> bool:
    """Reviews are blind to the authors: who reviewed is shown to the reviewer themself
    and to the managers of the resource's unit (no query: the scopes are cached and the
    review comes with its resource's unit)."""
    if getattr(user, "is_superuser", False):
        return True
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is not None and review.reviewer_id == person_id:
        return True
    path = review.resource.org_unit.path
    return any(s.role in MANAGERS and is_under(path, s.path) for s in user_scopes(user))
