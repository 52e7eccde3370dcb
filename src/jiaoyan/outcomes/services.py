"""Every write of outcomes, their files, promotion records, adoptions and the point table.
(The selection rounds' writes are in :mod:`jiaoyan.outcomes.rounds`.)

Each service takes the acting user (``actor``), checks with ``require``/``locked``,
refuses with a ``ServiceError`` (nothing written) and writes an audit row in its
transaction. References (units, people, communities, activities) arrive resolved through
``core.resolve`` by the form, API or sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit, stamps, uploads
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import apply_changes, check_version, clean_text

from .models import Adoption, Kind, Outcome, OutcomeFile, PointLevel, PointRule, Promotion

Action = AuditLog.Action
#: The version key of every record points are computed from (core.stamps): the ranking is
#: kept while it is unchanged.
POINTS = "outcomes.points"
OUTCOME_FIELDS = ("kind", "title", "summary", "year", "community", "project")
MAX_FILES = 10
MAX_AUTHORS = 20
FILE_CATEGORIES = ("document", "slides", "spreadsheet", "image", "audio", "video")


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise ServiceError(_("The year is a year from 2000 to 2100."), field="year")
    return year


def _kind(value: Any) -> str:
    if value not in Kind.values:
        raise ServiceError(_("Choose the kind of outcome."), field="kind")
    return str(value)


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if "kind" in out:
        out["kind"] = _kind(out["kind"])
    if "title" in out:
        out["title"] = clean_text(
            out["title"],
            field="title",
            label=pgettext("outcome", "Title"),
            limit=120,
            required=True,
        )
    if "summary" in out:
        out["summary"] = clean_text(out["summary"], field="summary", label=_("Summary"), limit=4000)
    if "year" in out:
        out["year"] = _year(out["year"])
    return out


def _authors(actor, authors: Iterable | None) -> list:
    people = list(dict.fromkeys(authors or ()))
    if len(people) > MAX_AUTHORS:
        raise ServiceError(
            _("An outcome has at most %(n)d authors.") % {"n": MAX_AUTHORS}, field="authors"
        )
    return people


def clean_fields(data: Mapping[str, Any], *, authors: Iterable | None = None) -> dict[str, Any]:
    """The checked fields of an outcome (kind, title, summary, year) as the services store
    them, and its authors' number checked: what a sheet's row is checked with before any
    write."""
    _authors(None, authors)
    return _clean(data)


def _check_community(actor, community) -> None:
    if community is not None:
        require(actor, "view", community)


def _check_project(actor, project) -> None:
    if project is not None:
        require(actor, "view", project)


@transaction.atomic
def create_outcome(
    *,
    actor,
    org_unit,
    kind: str,
    title: str,
    year: int | None = None,
    summary: str = "",
    authors: Iterable | None = None,
    community=None,
    project=None,
) -> Outcome:
    """A new outcome of ``org_unit`` (the actor may add there); its authors default to
    the actor's person."""
    if org_unit is None:
        raise ServiceError(_("Choose the submitting unit."), field="org_unit")
    require(actor, "add", Outcome(org_unit=org_unit))
    _check_community(actor, community)
    _check_project(actor, project)
    data = _clean(
        {
            "kind": kind,
            "title": title,
            "summary": summary,
            "year": year if year not in (None, "") else timezone.localdate().year,
        }
    )
    people = _authors(actor, authors)
    if not people and getattr(actor, "person", None) is not None:
        people = [actor.person]
    outcome = Outcome.objects.create(
        org_unit=org_unit, community=community, project=project, created_by=actor, **data
    )
    outcome.authors.set(people)
    audit.record(
        actor,
        outcome,
        Action.CREATE,
        {
            **audit.snapshot(outcome, ["kind", "title", "year", "community", "project"]),
            "authors": [None, [p.name for p in people]],
        },
    )
    stamps.bump(POINTS)
    return outcome


@transaction.atomic
def update_outcome(
    *,
    actor,
    outcome: Outcome,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Outcome:
    """Edit an outcome (its authors, creator and the unit's managers)."""
    o = locked(actor, "change", outcome)
    check_version(o, expected_version)
    clean = _clean({f: data[f] for f in OUTCOME_FIELDS if f in data})
    if "community" in clean:
        _check_community(actor, clean["community"])
    if "project" in clean:
        _check_project(actor, clean["project"])
    apply_changes(actor, o, clean, list(clean))
    if "authors" in data:
        people = _authors(actor, data["authors"])
        before = sorted(p.name for p in o.authors.all())
        o.authors.set(people)
        after = sorted(p.name for p in people)
        if before != after:
            audit.record(actor, o, Action.UPDATE, {"authors": [before, after]})
    stamps.bump(POINTS)
    return o


@transaction.atomic
def delete_outcome(*, actor, outcome: Outcome) -> None:
    """Delete an outcome that was never recommended in a round."""
    o = locked(actor, "delete", outcome)
    if o.entries.exists():
        raise ServiceError(
            _("The outcome was recommended in a selection round and cannot be deleted."),
            code="recommended",
        )
    stored = [(f.file.name, f.file.storage) for f in o.files.all()]
    audit.record(actor, o, Action.DELETE, audit.snapshot(o, ["kind", "title", "year"]))
    o.delete()
    stamps.bump(POINTS)

    def drop():
        for name, storage in stored:
            storage.delete(name)

    transaction.on_commit(drop)


def may_attach(user, outcome: Outcome) -> bool:
    from jiaoyan.core.scope import can

    return can(user, "change", outcome)


@transaction.atomic
def attach_file(*, actor, outcome: Outcome, file) -> OutcomeFile:
    """Store a file of an outcome through the guarded upload path: typed by its content
    (never a page, a script or a program), under a sanitised name."""
    from django.conf import settings

    o = locked(actor, "change", outcome)
    require(actor, "add", OutcomeFile(outcome=o))
    if o.files.count() >= MAX_FILES:
        raise ServiceError(
            _("An outcome has at most %(n)d files.") % {"n": MAX_FILES}, field="file"
        )
    limits = {k: v for k, v in settings.RESOURCE_FILE_LIMITS.items() if k in FILE_CATEGORIES}
    name, found = uploads.check_typed_file(file, "outcome", categories=limits, field="file")
    row = OutcomeFile(
        outcome=o,
        name=name,
        size=int(file.size),
        content_type=found.content_type,
        uploaded_by=actor,
    )
    file.seek(0)
    row.file.save(name, file, save=False)
    stored, storage = row.file.name, row.file.storage
    try:
        row.save()
        audit.record(actor, o, Action.UPDATE, {"files": [None, name]})
    except Exception:
        storage.delete(stored)
        raise
    return row


@transaction.atomic
def remove_file(*, actor, file: OutcomeFile) -> None:
    row = OutcomeFile.objects.select_for_update().select_related("outcome").get(pk=file.pk)
    require(actor, "delete", row)
    audit.record(actor, row.outcome, Action.UPDATE, {"files": [row.name, None]})
    stored, storage = row.file.name, row.file.storage
    row.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))


# --- promotion -----------------------------------------------------------------------------


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ServiceError(_("Give a date (YYYY-MM-DD)."), field=field) from None


def _count(value: Any, field: str, *, most: int = 1_000_000) -> int:
    try:
        n = int(value or 0)
    except (TypeError, ValueError):
        n = -1
    if not 0 <= n <= most:
        raise ServiceError(_("Give a whole number from 0 to %(n)d.") % {"n": most}, field=field)
    return n


@transaction.atomic
def record_promotion(
    *,
    actor,
    outcome: Outcome,
    org_unit,
    date,
    event: str = "",
    activity=None,
    participants: int = 0,
    demonstration: bool = False,
) -> Promotion:
    """Record where ``outcome`` was applied or exhibited: at ``org_unit`` on ``date``, at
    an event (its name, or the research activity it was shown at), with how many took
    part. Managers of the outcome's unit or above record it."""
    outcome = Outcome.objects.select_related("org_unit").get(pk=outcome.pk)
    if org_unit is None:
        raise ServiceError(_("Choose where the outcome was applied."), field="org_unit")
    row = Promotion(outcome=outcome, org_unit=org_unit)
    require(actor, "add", row)
    require(actor, "view", org_unit)
    if activity is not None:
        require(actor, "view", activity)
    row.date = _date(date, "date")
    if row.date > timezone.localdate():
        raise ServiceError(_("The date is in the future."), field="date")
    row.event = clean_text(event, field="event", label=_("Event"), limit=120)
    if not row.event and activity is None:
        raise ServiceError(_("Name the event or choose the activity."), field="event")
    row.activity = activity
    row.participants = _count(participants, "participants")
    row.demonstration = bool(demonstration)
    row.created_by = actor
    row.save()
    audit.record(
        actor,
        row,
        Action.CREATE,
        audit.snapshot(row, ["outcome", "org_unit", "date", "event", "participants"]),
    )
    stamps.bump(POINTS)
    return row


@transaction.atomic
def delete_promotion(*, actor, promotion: Promotion) -> None:
    row = locked(actor, "delete", promotion)
    audit.record(actor, row, Action.DELETE, audit.snapshot(row, ["outcome", "date", "event"]))
    row.delete()
    stamps.bump(POINTS)


@transaction.atomic
def record_adoption(
    *, actor, outcome: Outcome, org_unit, adopted_on, feedback: str = "", rating=None
) -> Adoption:
    """ "We adopted this": ``org_unit`` (the actor manages it) applied ``outcome`` — never
    its own unit's, and once."""
    outcome = Outcome.objects.select_related("org_unit").get(pk=outcome.pk)
    require(actor, "view", outcome)
    if org_unit is None:
        raise ServiceError(_("Choose the adopting unit."), field="org_unit")
    row = Adoption(outcome=outcome, org_unit=org_unit)
    require(actor, "add", row)
    if org_unit.pk == outcome.org_unit_id:
        raise ServiceError(
            _("An outcome is adopted by other units, not its own."),
            field="org_unit",
            code="own_unit",
        )
    if Adoption.objects.filter(outcome=outcome, org_unit=org_unit).exists():
        raise ServiceError(
            _("%(unit)s has recorded adopting this outcome already.") % {"unit": org_unit.name},
            field="org_unit",
            code="duplicate",
        )
    row.adopted_on = _date(adopted_on, "adopted_on")
    if row.adopted_on > timezone.localdate():
        raise ServiceError(_("The date is in the future."), field="adopted_on")
    row.feedback = clean_text(feedback, field="feedback", label=_("Feedback"), limit=2000)
    if rating not in (None, ""):
        row.rating = _count(rating, "rating", most=5)
        if row.rating < 1:
            raise ServiceError(_("Give a whole number from 1 to 5."), field="rating")
    row.created_by = actor
    row.save()
    audit.record(
        actor, row, Action.CREATE, audit.snapshot(row, ["outcome", "org_unit", "adopted_on"])
    )
    stamps.bump(POINTS)
    return row


@transaction.atomic
def delete_adoption(*, actor, adoption: Adoption) -> None:
    row = locked(actor, "delete", adoption)
    audit.record(actor, row, Action.DELETE, audit.snapshot(row, ["outcome", "org_unit"]))
    row.delete()
    stamps.bump(POINTS)


# --- the point table -----------------------------------------------------------------------


def _points(value: Any) -> Decimal:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        points = Decimal(-1)
    if not Decimal(0) <= points <= Decimal(1000) or points != points.quantize(Decimal("0.1")):
        raise ServiceError(
            _("Points are a number from 0 to 1000 with at most one decimal."), field="points"
        )
    return points


@transaction.atomic
def set_point_rule(
    *, actor, org_unit, code: str, level: str = "", points, label: str = ""
) -> PointRule:
    """Set one line of ``org_unit``'s point table (a bureau's admins): the points a rule
    ``code`` earns at ``level``. The label defaults to the rule's registered label."""
    from .points import RULES

    if org_unit is None:
        raise ServiceError(_("Choose the unit whose point table this is."), field="org_unit")
    require(actor, "add", PointRule(org_unit=org_unit))
    code = str(code or "").strip()
    if code not in RULES:
        raise ServiceError(_("Choose a rule of the point table."), field="code")
    level = str(level or "")
    if level not in PointLevel.values:
        raise ServiceError(_("Choose the level."), field="level")
    value = _points(points)
    text = clean_text(label, field="label", label=_("Rule"), limit=100) or str(RULES[code])
    row = (
        PointRule.objects.select_for_update()
        .filter(org_unit=org_unit, code=code, level=level)
        .first()
    )
    if row is None:
        row = PointRule.objects.create(
            org_unit=org_unit, code=code, level=level, points=value, label=text
        )
        audit.record(actor, row, Action.CREATE, audit.snapshot(row, ["code", "level", "points"]))
    else:
        before = row.points
        row.points, row.label = value, text
        row.save(update_fields=["points", "label", "updated_at"])
        audit.record(actor, row, Action.UPDATE, {"points": [str(before), str(value)]})
    stamps.bump(POINTS)
    return row


@transaction.atomic
def delete_point_rule(*, actor, rule: PointRule) -> None:
    row = locked(actor, "delete", rule)
    audit.record(actor, row, Action.DELETE, audit.snapshot(row, ["code", "level", "points"]))
    row.delete()
    stamps.bump(POINTS)
