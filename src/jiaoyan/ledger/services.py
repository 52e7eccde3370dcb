"""Every write of the work ledger: items (by hand, from minutes, from an observation's
suggestions), progress reports, verification and sending back, cancelling, supervision
(督办), and the reminder sweep.

Who may do what (on top of ``can``):

* create and change an item, verify it, send it back, cancel it: ``can(user, "change")``
  — an assigner (admin, researcher, principal) whose scope holds the assigning unit;
* report progress: the responsible person, or an assigner whose scope holds the
  responsible unit (a principal reporting for their school), or the assigning side;
* escalate to supervision: a bureau admin or researcher whose scope unit lies strictly
  above the region the assigning unit governs (the unit *above*), on an open item that
  is overdue or has had no progress report for ``STUCK_AFTER`` days;
* close a supervision: the supervising side; verifying the item closes it too.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.scope import can, require, user_scopes
from jiaoyan.core.services import check_version, clean_text
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import (
    ASSIGNERS,
    OPEN_STATUSES,
    SUPERVISORS,
    Attachment,
    Item,
    ItemCollaborator,
    Priority,
    ProgressReport,
    Recurrence,
    Source,
    Status,
    Supervision,
    Tag,
)

Action = audit.AuditLog.Action
STUCK_AFTER = 14  # days without a progress report after which an open item counts as stuck
REMIND_DAYS = 3  # days before a deadline the responsible side is reminded
# The sweep tells about items that fell overdue in the last two weeks: older ones were told
# then (one notification per item and deadline), so an hourly sweep stays small.
OVERDUE_LOOKBACK = 14
MAX_TAGS = 10
MAX_ATTACHMENTS = 10  # files of one progress report (each within UPLOAD_LIMITS["attachment"])
ITEM_FIELDS = (
    "title",
    "description",
    "responsible_unit",
    "responsible_person",
    "responsible_name",
    "due_on",
    "recurrence",
    "priority",
    "remarks",
    "source_note",
)


# --- helpers -----------------------------------------------------------------------------


def _clean_percent(value: Any) -> int:
    try:
        percent = int(str(value).strip().rstrip("%％"))
    except (TypeError, ValueError):
        raise ServiceError(
            _("Progress must be a whole number from 0 to 100."), field="percent"
        ) from None
    if not 0 <= percent <= 100:
        raise ServiceError(
            _("Progress must be between 0 and 100 (%(value)s was given).") % {"value": percent},
            field="percent",
        )
    return percent


def clean_tags(names: Iterable[str] | str) -> list[str]:
    """Tag names from a list or a string separated by commas, 、 or spaces."""
    if isinstance(names, str):
        for sep in "，,、；;\n":
            names = names.replace(sep, " ")
        names = names.split()
    seen: list[str] = []
    for raw in names:
        name = str(raw).strip().lstrip("#＃")[:30]
        if name and name not in seen:
            seen.append(name)
    if len(seen) > MAX_TAGS:
        raise ServiceError(
            _("An item can carry at most %(n)d tags.") % {"n": MAX_TAGS}, field="tags"
        )
    return seen


def _tags(names: Sequence[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in names]


def next_number(unit: OrgUnit) -> int:
    """The next item number (序号) of ``unit``'s ledger; call inside the writing transaction."""
    top = Item.objects.filter(org_unit=unit).aggregate(m=Max("number"))["m"] or 0
    return top + 1


def _check_due(due_on: dt.date | None, *, today: dt.date | None = None) -> None:
    if due_on is None:
        return
    today = today or timezone.localdate()
    if due_on < today:
        raise ServiceError(
            _("The deadline %(date)s is in the past; choose today or a later day.")
            % {"date": due_on.isoformat()},
            field="due_on",
        )


def _check_person_in_unit(person: Person | None, unit: OrgUnit) -> None:
    if person is None:
        return
    if not (
        person.org_unit.path.startswith(unit.path) or unit.path.startswith(person.org_unit.path)
    ):
        raise ServiceError(
            _("%(person)s does not work at %(unit)s; choose someone of the responsible unit.")
            % {"person": person.name, "unit": unit.name},
            field="responsible_person",
        )


def _users_of_unit(unit: OrgUnit, roles: Iterable[str] = ASSIGNERS) -> list[int]:
    """Accounts that lead ``unit``: the assigners whose role is bound to it (or to the region
    an office governs)."""
    from jiaoyan.people.models import RoleAssignment

    units = {unit.pk, unit.scope_root.pk}
    return list(
        RoleAssignment.objects.filter(
            org_unit_id__in=units,
            role__in=list(roles),
            is_active=True,
            person__status="active",
            person__user__isnull=False,
            person__org_unit__path__startswith=unit.scope_root.path,
        )
        .values_list("person__user_id", flat=True)
        .distinct()
    )


def responsible_users(item: Item) -> list[int]:
    """Who is told about the item on the responsible side."""
    if item.responsible_person_id and item.responsible_person.user_id:
        return [item.responsible_person.user_id]
    return _users_of_unit(item.responsible_unit)


def _assigner_users(item: Item) -> list[int]:
    if item.assigned_by_id:
        return [item.assigned_by_id]
    return _users_of_unit(item.org_unit)


def _notify_item(
    recipients: Iterable[int], item: Item, title: str, *, kind: str = "info", key: str = ""
) -> None:
    notify(
        recipients,
        title=title,
        body=item.title,
        url=item.get_absolute_url(),
        kind=kind,
        about=item,
        dedupe_key=key,
    )


# --- permissions beyond can() ------------------------------------------------------------


def may_report(user, item: Item) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if item.responsible_person_id and item.responsible_person.user_id == user.pk:
        return True
    path = item.responsible_unit.path
    if any(s.role in ASSIGNERS and path.startswith(s.path) for s in user_scopes(user)):
        return True
    return can(user, "change", item)


def supervising_scope(user, item: Item):
    """The user's scope unit that may supervise ``item`` (the nearest one), or None."""
    root = item.org_unit.scope_root
    best = None
    for s in user_scopes(user):
        if s.role not in SUPERVISORS:
            continue
        above = root.path.startswith(s.path) and root.path != s.path
        if above and (best is None or len(s.path) > len(best.path)):
            best = s
    return best


def may_escalate(user, item: Item) -> bool:
    if user.is_superuser:
        return True
    return supervising_scope(user, item) is not None


def is_stuck(item: Item, *, today: dt.date | None = None) -> bool:
    """Open, and no progress report (nor creation) in the last ``STUCK_AFTER`` days."""
    if item.status not in OPEN_STATUSES:
        return False
    today = today or timezone.localdate()
    last = item.reports.filter(kind=ProgressReport.Kind.PROGRESS).aggregate(m=Max("created_at"))[
        "m"
    ]
    last = last or item.created_at
    return (today - timezone.localtime(last).date()).days >= STUCK_AFTER


# --- items ------------------------------------------------------------------------------


def create_item(*, actor, org_unit: OrgUnit, **fields: Any) -> Item:
    """A new ledger item of ``org_unit`` (see :func:`_create_item` for the fields); the
    actor must be allowed to add items there."""
    require(actor, "add", Item(org_unit=org_unit))
    return _create_item(actor=actor, org_unit=org_unit, **fields)


@transaction.atomic
def _create_item(
    *,
    actor,
    org_unit: OrgUnit,
    title: str,
    responsible_unit: OrgUnit,
    responsible_person: Person | None = None,
    responsible_name: str = "",
    due_on: dt.date | None = None,
    recurrence: str = Recurrence.NONE,
    priority: str = Priority.NORMAL,
    description: str = "",
    source: str = Source.MANUAL,
    source_note: str = "",
    collaborators: Iterable[OrgUnit] = (),
    tags: Iterable[str] | str = (),
    remarks: str = "",
    source_activity=None,
    source_decision=None,
    source_observation=None,
    status: str = Status.NOT_STARTED,
    percent: int = 0,
    latest_progress: str = "",
    allow_past_due: bool = False,
) -> Item:
    """A new ledger item of ``org_unit``; the responsible side is told. The caller has
    checked the actor's right (``create_item``; an import checks it per row, and the
    command line acts with full rights, ``actor`` None)."""
    title = clean_text(title, field="title", label=_("Work item"), limit=200, required=True)
    description = clean_text(
        description, field="description", label=pgettext("ledger", "Description"), limit=5000
    )
    remarks = clean_text(remarks, field="remarks", label=_("Remarks"), limit=300)
    source_note = clean_text(source_note, field="source_note", label=_("Source"), limit=200)
    responsible_name = clean_text(
        responsible_name, field="responsible_name", label=_("Responsible person"), limit=50
    )
    if responsible_unit is None:
        raise ServiceError(_("Choose the responsible unit."), field="responsible_unit")
    if recurrence not in Recurrence.values:
        raise ServiceError(_("Unknown recurrence."), field="recurrence")
    if priority not in Priority.values:
        raise ServiceError(_("Unknown priority."), field="priority")
    if recurrence != Recurrence.NONE and due_on is None:
        raise ServiceError(
            _("A recurring item needs the date of its first deadline."), field="due_on"
        )
    if not allow_past_due:
        _check_due(due_on)
    _check_person_in_unit(responsible_person, responsible_unit)
    percent = _clean_percent(percent)
    collaborators = [u for u in collaborators if u.pk != responsible_unit.pk]
    tag_names = clean_tags(tags)
    now = timezone.now()
    item = Item(
        org_unit=org_unit,
        title=title,
        description=description,
        source=source,
        source_note=source_note,
        source_activity=source_activity,
        source_decision=source_decision,
        source_observation=source_observation,
        responsible_unit=responsible_unit,
        responsible_person=responsible_person,
        responsible_name=responsible_name
        or (responsible_person.name if responsible_person else ""),
        due_on=due_on,
        recurrence=recurrence,
        priority=priority,
        status=status,
        percent=percent,
        latest_progress=latest_progress[:500],
        remarks=remarks,
        assigned_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
        started_at=now if status != Status.NOT_STARTED else None,
        done_at=now if status in (Status.DONE, Status.VERIFIED) else None,
    )
    for _attempt in range(3):
        item.number = next_number(org_unit)
        try:
            with transaction.atomic():
                item.save()
            break
        except IntegrityError:
            item.pk = None
            continue
    else:
        raise ServiceError(_("The ledger is busy; try again."))
    if collaborators:
        ItemCollaborator.objects.bulk_create(
            [ItemCollaborator(item=item, unit=u) for u in collaborators]
        )
    if tag_names:
        item.tags.set(_tags(tag_names))
    audit.record(
        actor,
        item,
        Action.CREATE,
        {
            "title": [None, item.title],
            "responsible_unit": [None, responsible_unit.name],
            "due_on": [None, due_on.isoformat() if due_on else None],
        },
    )
    if item.is_open:
        _notify_item(
            [u for u in responsible_users(item) if u != getattr(actor, "pk", None)],
            item,
            _("New work assigned to you: %(title)s") % {"title": item.title},
        )
    return item


@transaction.atomic
def update_item(
    *,
    actor,
    item: Item,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> dict[str, list[Any]]:
    """Change an open item's fields (title, owner, deadline …); returns what changed."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    require(actor, "change", item)
    check_version(item, expected_version)
    if not item.is_open and item.status != Status.DONE:
        raise ServiceError(_("A verified or cancelled item can no longer be changed."))
    before = audit.snapshot(item, [*ITEM_FIELDS, "collaborators", "tags"])
    clean: dict[str, Any] = {}
    if "title" in data:
        clean["title"] = clean_text(
            data["title"], field="title", label=_("Work item"), limit=200, required=True
        )
    for name, label, limit in (
        ("description", pgettext("ledger", "Description"), 5000),
        ("remarks", _("Remarks"), 300),
        ("source_note", _("Source"), 200),
        ("responsible_name", _("Responsible person"), 50),
    ):
        if name in data:
            clean[name] = clean_text(data[name], field=name, label=label, limit=limit)
    for name in ("responsible_unit", "responsible_person", "recurrence", "priority"):
        if name in data:
            clean[name] = data[name]
    if "due_on" in data and data["due_on"] != item.due_on:
        _check_due(data["due_on"])
        clean["due_on"] = data["due_on"]
    unit = clean.get("responsible_unit", item.responsible_unit)
    if unit is None:
        raise ServiceError(_("Choose the responsible unit."), field="responsible_unit")
    _check_person_in_unit(clean.get("responsible_person", item.responsible_person), unit)
    if clean.get("responsible_person") is not None and not clean.get("responsible_name"):
        clean["responsible_name"] = clean["responsible_person"].name
    for k, v in clean.items():
        setattr(item, k, v)
    if "collaborators" in data:
        units = [u for u in data["collaborators"] if u.pk != unit.pk]
        ItemCollaborator.objects.filter(item=item).exclude(unit__in=units).delete()
        have = set(ItemCollaborator.objects.filter(item=item).values_list("unit_id", flat=True))
        ItemCollaborator.objects.bulk_create(
            [ItemCollaborator(item=item, unit=u) for u in units if u.pk not in have]
        )
    if "tags" in data:
        item.tags.set(_tags(clean_tags(data["tags"])))
    after = audit.snapshot(item, [*ITEM_FIELDS, "collaborators", "tags"])
    changes = audit.diff(before, after)
    if not changes:
        return {}
    item.version += 1
    item.updated_at = timezone.now()
    item.save()
    audit.record(actor, item, Action.UPDATE, changes)
    if "due_on" in changes or "responsible_unit" in changes or "responsible_person" in changes:
        _notify_item(
            [u for u in responsible_users(item) if u != actor.pk],
            item,
            _("Work assigned to you was changed: %(title)s") % {"title": item.title},
        )
    return changes


def _advance(due_on: dt.date, recurrence: str) -> dt.date:
    if recurrence == Recurrence.WEEKLY:
        return due_on + dt.timedelta(days=7)
    month = due_on.month % 12 + 1
    year = due_on.year + (1 if due_on.month == 12 else 0)
    day = min(due_on.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


@transaction.atomic
def report_progress(
    *,
    actor,
    item: Item,
    text: str,
    percent: Any,
    files: Sequence[Any] = (),
) -> ProgressReport:
    """The responsible side reports progress. 100% marks a one-off item done (waiting for
    the assigner's verification); on a recurring item a report covers the current period
    and moves the deadline to the next one.

    Reports are rows of their own: two people reporting at once both keep their report;
    the item shows the latest one (the item row is locked while it is updated).
    """
    # Lock the item row only: the responsible person is a nullable join, which PostgreSQL
    # cannot lock (FOR UPDATE on the nullable side of an outer join).
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("responsible_person", "responsible_unit")
        .get(pk=item.pk)
    )
    if not may_report(actor, item):
        raise ServiceError(_("Only the responsible side can report progress on this item."))
    if item.status not in OPEN_STATUSES:
        raise ServiceError(
            _("This item is %(status)s; progress can no longer be reported.")
            % {"status": item.get_status_display()}
        )
    text = clean_text(text, field="text", label=_("Progress"), limit=5000, required=True)
    percent = _clean_percent(percent)
    if len(files) > MAX_ATTACHMENTS:
        raise ServiceError(
            _("Upload at most %(n)d files at once.") % {"n": MAX_ATTACHMENTS}, field="files"
        )
    for f in files:
        if getattr(f, "size", 0) > uploads.limit("attachment"):
            raise ServiceError(
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": getattr(f, "name", ""), "mb": uploads.limit("attachment") // 2**20},
                field="files",
            )
    now = timezone.now()
    report = ProgressReport.objects.create(
        item=item,
        kind=ProgressReport.Kind.PROGRESS,
        author=actor,
        author_name=audit.actor_name(actor),
        text=text,
        percent=percent,
        created_at=now,
    )
    for f in files:
        Attachment.objects.create(
            report=report,
            file=f,
            name=str(getattr(f, "name", ""))[:200],
            size=getattr(f, "size", 0),
        )
    before = {"status": item.status, "percent": item.percent, "due_on": item.due_on}
    item.latest_progress = text[:500]
    item.updated_at = now
    if item.recurrence != Recurrence.NONE:
        item.status = Status.IN_PROGRESS
        item.percent = percent
        if item.due_on is not None:
            today = timezone.localdate()
            due = item.due_on
            while due < today:
                due = _advance(due, item.recurrence)
            item.due_on = _advance(due, item.recurrence)
    else:
        item.percent = percent
        item.status = Status.DONE if percent == 100 else Status.IN_PROGRESS
        if item.status == Status.DONE:
            item.done_at = now
    if item.started_at is None:
        item.started_at = now
    item.version += 1
    item.save()
    after = {"status": item.status, "percent": item.percent, "due_on": item.due_on}
    audit.record(actor, item, Action.UPDATE, audit.diff(before, after), message=text[:200])
    if item.status == Status.DONE:
        _notify_item(
            [u for u in _assigner_users(item) if u != actor.pk],
            item,
            _("Work reported done, waiting for your verification: %(title)s")
            % {"title": item.title},
        )
    return report


def _history(item: Item, actor, kind: str, text: str = "") -> ProgressReport:
    return ProgressReport.objects.create(
        item=item, kind=kind, author=actor, author_name=audit.actor_name(actor), text=text
    )


def _close_supervisions(item: Item, actor, note: str) -> None:
    now = timezone.now()
    for sup in Supervision.objects.select_for_update().filter(item=item, closed_at__isnull=True):
        sup.closed_at = now
        sup.closed_by = actor
        sup.closing_note = note[:300]
        sup.save(update_fields=["closed_at", "closed_by", "closing_note"])
        audit.record(actor, sup, Action.STATUS, {"closed_at": [None, now.isoformat()]})
    if item.supervised_by_id:
        item.supervised_by = None


@transaction.atomic
def verify(*, actor, item: Item, note: str = "", expected_version: int | None = None) -> Item:
    """The assigner accepts a done item; an open supervision of it is closed."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    require(actor, "change", item)
    check_version(item, expected_version)
    if item.status != Status.DONE:
        raise ServiceError(_("Only an item reported done can be verified."))
    note = clean_text(note, field="note", label=_("Note"), limit=1000)
    item.status = Status.VERIFIED
    item.verified_at = timezone.now()
    item.verified_by = actor
    _close_supervisions(item, actor, _("Closed: the item was verified."))
    item.version += 1
    item.updated_at = item.verified_at
    item.save()
    _history(item, actor, ProgressReport.Kind.VERIFIED, note)
    audit.record(actor, item, Action.STATUS, {"status": [Status.DONE, Status.VERIFIED]})
    _notify_item(
        [u for u in responsible_users(item) if u != actor.pk],
        item,
        _("Your work was verified: %(title)s") % {"title": item.title},
        kind="info",
    )
    return item


@transaction.atomic
def send_back(*, actor, item: Item, reason: str, expected_version: int | None = None) -> Item:
    """The assigner does not accept a done item: it goes back to in progress, with why."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    require(actor, "change", item)
    check_version(item, expected_version)
    if item.status != Status.DONE:
        raise ServiceError(_("Only an item reported done can be sent back."))
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=1000, required=True)
    item.status = Status.IN_PROGRESS
    item.done_at = None
    item.percent = min(item.percent, 90)
    item.version += 1
    item.updated_at = timezone.now()
    item.save()
    _history(item, actor, ProgressReport.Kind.RETURNED, reason)
    audit.record(
        actor, item, Action.STATUS, {"status": [Status.DONE, Status.IN_PROGRESS]}, message=reason
    )
    _notify_item(
        [u for u in responsible_users(item) if u != actor.pk],
        item,
        _("Work sent back to you: %(title)s") % {"title": item.title},
        kind="warning",
    )
    return item


@transaction.atomic
def cancel(*, actor, item: Item, reason: str, expected_version: int | None = None) -> Item:
    item = Item.objects.select_for_update().get(pk=item.pk)
    require(actor, "change", item)
    check_version(item, expected_version)
    if item.status in (Status.VERIFIED, Status.CANCELLED):
        raise ServiceError(_("A verified or cancelled item cannot be cancelled."))
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=200, required=True)
    old = item.status
    item.status = Status.CANCELLED
    item.cancel_reason = reason
    _close_supervisions(item, actor, _("Closed: the item was cancelled."))
    item.version += 1
    item.updated_at = timezone.now()
    item.save()
    _history(item, actor, ProgressReport.Kind.CANCELLED, reason)
    audit.record(actor, item, Action.STATUS, {"status": [old, Status.CANCELLED]}, message=reason)
    _notify_item(
        [u for u in responsible_users(item) if u != actor.pk],
        item,
        _("Work cancelled: %(title)s") % {"title": item.title},
    )
    return item


# --- supervision --------------------------------------------------------------------------


@transaction.atomic
def escalate(*, actor, item: Item, reason: str) -> Supervision:
    """The unit above puts an overdue or stuck item under supervision (督办)."""
    item = Item.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=item.pk)
    if not item.is_open:
        raise ServiceError(_("Only open items can be escalated."))
    scope_unit = supervising_scope(actor, item)
    if scope_unit is None and not actor.is_superuser:
        raise ServiceError(
            _("Only a unit above %(unit)s can put its work under supervision.")
            % {"unit": item.org_unit.name}
        )
    if not (item.is_overdue or is_stuck(item)):
        raise ServiceError(
            _(
                "Only an overdue item, or one without progress for %(n)d days, can be put "
                "under supervision."
            )
            % {"n": STUCK_AFTER}
        )
    if Supervision.objects.filter(item=item, closed_at__isnull=True).exists():
        raise ServiceError(_("This item is already under supervision."))
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    unit = _supervising_unit(actor, scope_unit, item)
    sup = Supervision.objects.create(item=item, unit=unit, reason=reason, escalated_by=actor)
    item.supervised_by = unit
    item.version += 1
    item.updated_at = sup.escalated_at
    item.save(update_fields=["supervised_by", "version", "updated_at"])
    _history(item, actor, ProgressReport.Kind.ESCALATED, reason)
    audit.record(actor, sup, Action.CREATE, {"item": [None, item.title], "reason": [None, reason]})
    recipients = set(responsible_users(item)) | set(_assigner_users(item))
    recipients.discard(actor.pk)
    _notify_item(
        recipients,
        item,
        _("%(unit)s put this work under supervision: %(title)s")
        % {"unit": unit.name, "title": item.title},
        kind="warning",
    )
    return sup


def _supervising_unit(actor, scope_unit, item: Item) -> OrgUnit:
    """The actor's office when it governs the supervising region, else the region itself."""
    person = getattr(actor, "person", None)
    if scope_unit is None:
        return item.org_unit.scope_root.parent or item.org_unit
    region = OrgUnit.objects.get(pk=scope_unit.unit_id)
    if person is not None and person.org_unit.scope_root.pk == region.pk:
        return person.org_unit
    return region


def may_close_supervision(user, sup: Supervision) -> bool:
    if user.is_superuser:
        return True
    path = sup.unit.scope_root.path
    return any(s.role in SUPERVISORS and path.startswith(s.path) for s in user_scopes(user))


@transaction.atomic
def close_supervision(*, actor, supervision: Supervision, note: str) -> Supervision:
    sup = (
        Supervision.objects.select_for_update(of=("self",))
        .select_related("unit", "item")
        .get(pk=supervision.pk)
    )
    if not may_close_supervision(actor, sup):
        raise ServiceError(_("Only the supervising unit can close this supervision."))
    if sup.closed_at is not None:
        raise ServiceError(_("This supervision is already closed."))
    note = clean_text(note, field="note", label=_("Note"), limit=300, required=True)
    item = Item.objects.select_for_update().get(pk=sup.item_id)
    _close_supervisions(item, actor, note)
    item.version += 1
    item.save(update_fields=["supervised_by", "version"])
    _history(item, actor, ProgressReport.Kind.SUPERVISION_CLOSED, note)
    sup.refresh_from_db()
    return sup


# --- other sources ------------------------------------------------------------------------


def create_item_from_decision(*, actor, decision) -> Item:
    """A decision marked in an activity's minutes becomes a ledger item of the activity's
    organiser unit, with the decision and the activity kept as its source."""
    activity = decision.activity
    existing = Item.objects.filter(source_decision=decision).first()
    if existing is not None:
        return existing
    due = decision.due_on
    if due is not None and due < timezone.localdate():
        due = None  # a decision dated in the past becomes an ongoing item, not an error
    return create_item(
        actor=actor,
        org_unit=activity.org_unit,
        title=decision.text,
        responsible_unit=decision.owner_unit or activity.org_unit,
        responsible_name=decision.owner_name,
        due_on=due,
        source=Source.MINUTES,
        source_note=_("Minutes of %(activity)s") % {"activity": activity.title},
        source_activity=activity,
        source_decision=decision,
    )


def create_item_from_observation(
    *,
    actor,
    observation,
    org_unit: OrgUnit,
    title: str,
    due_on: dt.date | None = None,
    description: str = "",
    **fields: Any,
) -> Item:
    """An observation's suggestion becomes work for the observed teacher's school
    (``fields``: further item fields such as priority, tags, collaborators)."""
    if not can(actor, "view", observation):
        raise ServiceError(_("You cannot see this observation."))
    if observation.status != "submitted":
        raise ServiceError(_("Only a submitted observation's suggestions can go to the ledger."))
    teacher = observation.teacher
    return create_item(
        actor=actor,
        org_unit=org_unit,
        title=title,
        description=description or observation.suggestions,
        responsible_unit=observation.org_unit,  # the observed teacher's school
        responsible_person=teacher,
        due_on=due_on,
        source=Source.OBSERVATION,
        source_note=_("Observation of %(teacher)s, %(date)s")
        % {"teacher": teacher.name, "date": observation.date.isoformat()},
        source_observation=observation,
        **fields,
    )


# --- reminders ----------------------------------------------------------------------------


def run_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Tell the responsible side about deadlines in the next ``REMIND_DAYS`` days, and both
    sides about items that fell overdue in the last ``OVERDUE_LOOKBACK`` days; once per
    item and deadline (safe to run every hour)."""
    today = today or timezone.localdate()
    sent = {"due_soon": 0, "overdue": 0}
    soon = (
        Item.objects.filter(
            status__in=OPEN_STATUSES,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=REMIND_DAYS),
        )
        .select_related("responsible_person", "responsible_unit")
        .order_by("pk")
    )
    for item in soon.iterator(chunk_size=500):
        key = f"ledger-due:{item.pk}:{item.due_on.isoformat()}"
        days = (item.due_on - today).days
        title = (
            _("Due today: %(title)s") % {"title": item.title}
            if days == 0
            else _("Due in %(n)d days: %(title)s") % {"n": days, "title": item.title}
        )
        sent["due_soon"] += notify(
            responsible_users(item),
            title=title,
            body=item.title,
            url=item.get_absolute_url(),
            kind="reminder",
            about=item,
            dedupe_key=key,
        )
    late = (
        Item.objects.filter(
            status__in=OPEN_STATUSES,
            due_on__lt=today,
            due_on__gte=today - dt.timedelta(days=OVERDUE_LOOKBACK),
        )
        .select_related("responsible_person", "responsible_unit")
        .order_by("pk")
    )
    for item in late.iterator(chunk_size=500):
        key = f"ledger-overdue:{item.pk}:{item.due_on.isoformat()}"
        sent["overdue"] += notify(
            set(responsible_users(item)) | set(_assigner_users(item)),
            title=_("Overdue since %(date)s: %(title)s")
            % {"date": item.due_on.isoformat(), "title": item.title},
            body=item.title,
            url=item.get_absolute_url(),
            kind="warning",
            about=item,
            dedupe_key=key,
        )
    return sent


# --- import -------------------------------------------------------------------------------


def _same_status(current: str, wanted: str) -> bool:
    # A sheet saying 已完成 about an item verified since is not news.
    return current == wanted or (current == Status.VERIFIED and wanted == Status.DONE)


def import_item(
    *,
    actor,
    org_unit: OrgUnit,
    existing: Item | None,
    title: str,
    responsible_unit: OrgUnit,
    responsible_person: Person | None,
    responsible_name: str,
    due_on: dt.date | None,
    status: str,
    latest_progress: str = "",
    remarks: str = "",
    message: str = "",
) -> str:
    """One row of an imported ledger (the sheet checked the importer's right and the row):
    a new item, or the changes to the item of the same unit and title. Past deadlines are
    kept (a ledger has history). Returns ``created``, ``updated`` or ``unchanged``."""
    if existing is None:
        _create_item(
            actor=actor,
            org_unit=org_unit,
            title=title,
            responsible_unit=responsible_unit,
            responsible_person=responsible_person,
            responsible_name=responsible_name,
            due_on=due_on,
            source=Source.IMPORT,
            status=status,
            percent=100 if status in (Status.DONE, Status.VERIFIED) else 0,
            latest_progress=latest_progress,
            remarks=remarks,
            allow_past_due=True,
        )
        return "created"
    item = Item.objects.select_for_update().get(pk=existing.pk)
    fields = ["responsible_unit", "responsible_person", "responsible_name", "due_on", "remarks"]
    before = audit.snapshot(item, [*fields, "status", "latest_progress"])
    item.responsible_unit = responsible_unit
    item.responsible_person = responsible_person
    item.responsible_name = responsible_name or (
        responsible_person.name if responsible_person else ""
    )
    item.due_on = due_on
    item.remarks = remarks[:300]
    if latest_progress:
        item.latest_progress = latest_progress[:500]
    now = timezone.now()
    if not _same_status(item.status, status) and item.status not in (
        Status.VERIFIED,
        Status.CANCELLED,
    ):
        item.status = status
        if status == Status.DONE:
            item.percent = 100
            item.done_at = now
        elif item.started_at is None and status != Status.NOT_STARTED:
            item.started_at = now
    changes = audit.diff(before, audit.snapshot(item, [*fields, "status", "latest_progress"]))
    if not changes:
        return "unchanged"
    item.version += 1
    item.updated_at = now
    item.save()
    audit.record(actor, item, Action.IMPORT_UPDATE, changes, message=message)
    return "updated"
