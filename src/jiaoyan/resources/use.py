"""Using the library (应用): favourites, ratings (1–5, one per person, changeable),
comments, "I used this in my lesson" (applications) — every write of them — and the
counting of views and downloads.

Who may do what is the models' ``check`` hooks: whoever sees a *published* resource adds
a favourite, rating, comment or application to it (anything else they cannot see is a 404
before any of this runs, and a resource not yet published is refused here); each row is
changed and removed by its owner; a comment also by a manager of the resource's unit.
Authors do not rate their own resources.

Views and downloads are counted without slowing the page: :func:`count_hit` appends one
:class:`ResourceHit` row in one ``INSERT … ON CONFLICT DO NOTHING`` — the unique key
(resource, kind, day, account) makes a second view by the same person on the same day a
no-op, so a GET is counted at most once per person, resource and day. The periodic job
``resources.aggregate_hits`` (tasks.py) adds the pending hits to the resource's
``view_count``/``download_count`` and to its figures of the term
(:class:`ResourceTermStats`), marks them counted, and deletes the counted hits of past
days (today's stay, so the once-a-day rule holds until midnight).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Max, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import require
from jiaoyan.core.services import clean_text
from jiaoyan.observations.terms import term_start

from . import summary
from .models import (
    Application,
    Comment,
    Favourite,
    HitKind,
    Rating,
    Resource,
    ResourceHit,
    ResourceTermStats,
    Status,
    _is_author,
)

Action = AuditLog.Action
COMMENT_LIMIT = 2000
NOTE_LIMIT = 500
#: How far back an application may be dated.
USE_DAYS_BACK = 366


def _published(actor, resource: Resource, row) -> Resource:
    """The resource read again under its row lock; refused unless published and
    ``actor`` may add ``row`` to it."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.status != Status.PUBLISHED:
        raise ServiceError(_("Only a published resource can be used, rated or commented on."))
    row.resource = resource
    require(actor, "add", row)
    return resource


def _term_stats(resource_id: int, day: dt.date, **delta: int) -> None:
    """Add ``delta`` (views=…, downloads=…, uses=…) to the resource's figures of the term
    ``day`` falls in (the row created if need be; concurrent adds do not lose counts)."""
    term = term_start(day)
    ResourceTermStats.objects.bulk_create(
        [ResourceTermStats(resource_id=resource_id, term=term)], ignore_conflicts=True
    )
    ResourceTermStats.objects.filter(resource_id=resource_id, term=term).update(
        **{k: F(k) + v for k, v in delta.items()}
    )


# --- favourites --------------------------------------------------------------------------


@transaction.atomic
def add_favourite(*, actor, resource: Resource) -> Favourite:
    """Keep a published resource in the actor's favourites (again: nothing changes)."""
    resource = _published(actor, resource, Favourite(user=actor))
    found = Favourite.objects.filter(resource=resource, user=actor).first()
    if found is not None:
        return found
    row = Favourite.objects.create(resource=resource, user=actor)
    audit.record(actor, row, Action.CREATE, {"resource": [None, resource.title]})
    return row


@transaction.atomic
def remove_favourite(*, actor, favourite: Favourite) -> None:
    """Take a resource out of the actor's favourites."""
    row = Favourite.objects.select_for_update().select_related("resource").get(pk=favourite.pk)
    require(actor, "delete", row)
    audit.record(actor, row, Action.DELETE, {"resource": [row.resource.title, None]})
    row.delete()


# --- ratings -----------------------------------------------------------------------------


def _score(value: Any) -> int:
    try:
        score = int(value)
        whole = float(value) == score
    except (TypeError, ValueError):
        score, whole = 0, False
    if not whole or not 1 <= score <= 5:
        raise ServiceError(_("A rating is a whole number from 1 to 5."), field="score")
    return score


@transaction.atomic
def rate(*, actor, resource: Resource, score: Any) -> Rating:
    """Rate a published resource 1–5, or change one's rating (one per person); its
    average and count on the resource follow. Its authors do not rate it."""
    score = _score(score)
    resource = _published(actor, resource, Rating(user=actor))
    if _is_author(actor, resource):
        raise ServiceError(_("You cannot rate your own resource."), field="score")
    row = Rating.objects.select_for_update().filter(resource=resource, user=actor).first()
    if row is None:
        now = timezone.now()
        row = Rating.objects.create(
            resource=resource, user=actor, score=score, created_at=now, updated_at=now
        )
        Resource.objects.filter(pk=resource.pk).update(
            rating_count=F("rating_count") + 1, rating_sum=F("rating_sum") + score
        )
        audit.record(actor, row, Action.CREATE, {"score": [None, score]})
        return row
    if row.score != score:
        before = row.score
        Resource.objects.filter(pk=resource.pk).update(rating_sum=F("rating_sum") + score - before)
        row.score = score
        row.updated_at = timezone.now()
        row.save(update_fields=["score", "updated_at"])
        audit.record(actor, row, Action.UPDATE, {"score": [before, score]})
    return row


@transaction.atomic
def remove_rating(*, actor, rating: Rating) -> None:
    """Withdraw one's rating."""
    row = Rating.objects.select_for_update().get(pk=rating.pk)
    require(actor, "delete", row)
    Resource.objects.filter(pk=row.resource_id).update(
        rating_count=F("rating_count") - 1, rating_sum=F("rating_sum") - row.score
    )
    audit.record(actor, row, Action.DELETE, {"score": [row.score, None]})
    row.delete()


# --- comments ----------------------------------------------------------------------------


@transaction.atomic
def add_comment(*, actor, resource: Resource, text: str) -> Comment:
    """Comment on a published resource (everyone who sees it reads the comment)."""
    text = clean_text(
        text,
        field="text",
        label=pgettext("resource comment", "Comment"),
        limit=COMMENT_LIMIT,
        required=True,
    )
    resource = _published(actor, resource, Comment(user=actor))
    row = Comment.objects.create(
        resource=resource, user=actor, user_name=audit.actor_name(actor)[:50], text=text
    )
    audit.record(actor, row, Action.CREATE, {"text": [None, text]})
    return row


@transaction.atomic
def delete_comment(*, actor, comment: Comment) -> None:
    """Remove a comment: its writer, or a manager of the resource's unit."""
    row = (
        Comment.objects.select_for_update().select_related("resource__org_unit").get(pk=comment.pk)
    )
    require(actor, "delete", row)
    audit.record(actor, row, Action.DELETE, {"text": [row.text, None]})
    row.delete()


# --- applications ------------------------------------------------------------------------


def _use_day(day: Any) -> dt.date:
    today = timezone.localdate()
    if day in (None, ""):
        return today
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ServiceError(_("Give the day as YYYY-MM-DD."), field="day") from None
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    if day > today:
        raise ServiceError(_("The day of the lesson cannot be in the future."), field="day")
    if (today - day).days > USE_DAYS_BACK:
        raise ServiceError(_("The day of the lesson is more than a year ago."), field="day")
    return day


@transaction.atomic
def record_use(*, actor, resource: Resource, note: str = "", day: Any = None) -> Application:
    """ "I used this in my lesson": the actor used a published resource on ``day``
    (default today), with an optional note — once per person, resource and day. Its use
    count (in all and in the term of ``day``) grows at once."""
    day = _use_day(day)
    note = clean_text(note, field="note", label=_("Note"), limit=NOTE_LIMIT)
    resource = _published(actor, resource, Application(user=actor))
    if Application.objects.filter(resource=resource, user=actor, day=day).exists():
        raise ServiceError(
            _("You already recorded using this resource on %(day)s.") % {"day": day.isoformat()},
            field="day",
        )
    try:
        with transaction.atomic():
            row = Application.objects.create(
                resource=resource,
                user=actor,
                user_name=audit.actor_name(actor)[:50],
                day=day,
                note=note,
            )
    except IntegrityError:  # the same click twice at once: the other one is kept
        raise ServiceError(
            _("You already recorded using this resource on %(day)s.") % {"day": day.isoformat()},
            field="day",
        ) from None
    Resource.objects.filter(pk=resource.pk).update(use_count=F("use_count") + 1)
    _term_stats(resource.pk, day, uses=1)
    summary.used(resource.org_unit_id, day, 1)
    audit.record(actor, row, Action.CREATE, {"day": [None, day.isoformat()], "note": [None, note]})
    return row


@transaction.atomic
def delete_use(*, actor, application: Application) -> None:
    """Withdraw one's application (the use counts follow)."""
    row = Application.objects.select_for_update().get(pk=application.pk)
    require(actor, "delete", row)
    Resource.objects.filter(pk=row.resource_id, use_count__gt=0).update(
        use_count=F("use_count") - 1
    )
    ResourceTermStats.objects.filter(
        resource_id=row.resource_id, term=term_start(row.day), uses__gt=0
    ).update(uses=F("uses") - 1)
    unit_id = Resource.objects.filter(pk=row.resource_id).values_list("org_unit_id", flat=True)
    summary.used(unit_id.get(), row.day, -1)
    audit.record(actor, row, Action.DELETE, {"day": [row.day.isoformat(), None]})
    row.delete()


# --- views and downloads -----------------------------------------------------------------


def count_hit(user, resource: Resource, kind: str = HitKind.VIEW) -> None:
    """Count a view or download of a published resource: one INSERT, ignored when the
    account already counted this resource, kind and day (anonymous hits always count).
    The one write a GET makes on purpose (tests/core/test_get_writes_nothing.py)."""
    if resource.status != Status.PUBLISHED:
        return
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    ResourceHit.objects.bulk_create(
        [
            ResourceHit(
                resource_id=resource.pk, kind=kind, day=timezone.localdate(), user_id=user_id
            )
        ],
        ignore_conflicts=True,
    )


AGGREGATE_BATCH = 500


def aggregate_hits(*, today: dt.date | None = None, progress=None) -> dict[str, int]:
    """Add the pending hits to the resources' figures (in all and per term), mark them
    counted, and delete the counted hits of days before ``today``. Safe to run again: a
    hit is counted once."""
    today = today or timezone.localdate()
    counted = 0
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the count and the marking: a hit committed between the two
            # statements is neither counted nor marked (it waits for the next run).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        top = ResourceHit.objects.filter(counted=False).aggregate(m=Max("id"))["m"]
        if top is not None:
            pending = ResourceHit.objects.filter(counted=False, id__lte=top)
            totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            terms: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
            for row in pending.values("resource_id", "kind", "day").annotate(n=Count("id")):
                slot = 0 if row["kind"] == HitKind.VIEW else 1
                totals[row["resource_id"]][slot] += row["n"]
                terms[(row["resource_id"], term_start(row["day"]))][slot] += row["n"]
                counted += row["n"]
            ids = sorted(totals)
            for start in range(0, len(ids), AGGREGATE_BATCH):
                batch = ids[start : start + AGGREGATE_BATCH]
                Resource.objects.filter(pk__in=batch).update(
                    view_count=F("view_count")
                    + Case(*(When(pk=i, then=Value(totals[i][0])) for i in batch), default=0),
                    download_count=F("download_count")
                    + Case(*(When(pk=i, then=Value(totals[i][1])) for i in batch), default=0),
                )
                if progress:
                    progress("counting", min(start + AGGREGATE_BATCH, len(ids)), len(ids))
            _add_term_figures(terms)
            pending.update(counted=True)
        deleted, _by = ResourceHit.objects.filter(counted=True, day__lt=today).delete()
    return {"hits": counted, "deleted": deleted}


def _add_term_figures(terms: dict[tuple[int, dt.date], list[int]]) -> None:
    keys = list(terms)
    for start in range(0, len(keys), AGGREGATE_BATCH):
        batch = keys[start : start + AGGREGATE_BATCH]
        ResourceTermStats.objects.bulk_create(
            [ResourceTermStats(resource_id=r, term=t) for r, t in batch], ignore_conflicts=True
        )
        by_term: dict[dt.date, list[int]] = defaultdict(list)
        for r, t in batch:
            by_term[t].append(r)
        for term, rids in by_term.items():
            ResourceTermStats.objects.filter(term=term, resource_id__in=rids).update(
                views=F("views")
                + Case(
                    *(When(resource_id=r, then=Value(terms[(r, term)][0])) for r in rids), default=0
                ),
                downloads=F("downloads")
                + Case(
                    *(When(resource_id=r, then=Value(terms[(r, term)][1])) for r in rids), default=0
                ),
            )
