"""Attendance marks by the organiser (page and sheet) and participants added on the day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import locked

from ..models import Activity, Participation
from .activities import _sync_hours
from .common import ACTIVE, Action, Att, PStatus, Status
from .participation import invite

ATTENDANCE_MARKS = {Att.PRESENT, Att.LATE, Att.EXCUSED, Att.ABSENT, Att.UNKNOWN}


def _apply_marks(
    actor, activity: Activity, marks: dict[int, tuple[str, dt.datetime | None]], method: str
) -> set[int]:
    """Set attendance for participations of ``activity`` (already locked by the caller)."""
    parts = {
        p.pk: p
        for p in Participation.objects.select_for_update()
        .filter(activity=activity, pk__in=list(marks))
        .select_related("person")
    }
    if len(parts) != len(marks):
        raise ServiceError(_("Some of these people are not on this activity."))
    now = timezone.now()
    changed = []
    delta_in = 0
    delta_active = 0
    log: dict[str, list] = {}
    for pk, (mark, at) in marks.items():
        if mark not in ATTENDANCE_MARKS:
            raise ServiceError(_("Unknown attendance mark."))
        p = parts[pk]
        if p.attendance == mark and (at is None or p.checked_in_at == at):
            continue
        was_in = p.attended
        was_active = p.status in ACTIVE
        old = p.attendance
        p.attendance = mark
        if mark in (Att.PRESENT, Att.LATE):
            p.checked_in_at = at or p.checked_in_at or now
            if not was_in:
                p.method = method
            if p.status == PStatus.DECLINED:
                p.status = PStatus.REGISTERED
        else:
            p.checked_in_at = None
            p.method = ""
        p.updated_at = now
        changed.append(p)
        delta_in += int(p.attended) - int(was_in)
        delta_active += int(p.status in ACTIVE) - int(was_active)
        log[p.person.name] = [old or "—", mark]
    Participation.objects.bulk_update(
        changed, ["attendance", "checked_in_at", "method", "status", "updated_at"], batch_size=1000
    )
    if delta_in or delta_active:
        Activity.objects.filter(pk=activity.pk).update(
            checked_in_count=F("checked_in_count") + delta_in,
            participant_count=F("participant_count") + delta_active,
        )
    if changed:
        audit.record(
            actor,
            activity,
            Action.UPDATE,
            {"attendance": [None, "；".join(f"{k}：{v[0]}→{v[1]}" for k, v in log.items())[:2000]]},
            message=(
                _("Attendance corrected after the activity finished")
                if activity.status == Status.FINISHED
                else _("Attendance marked by the organiser")
            ),
        )
        if activity.status == Status.FINISHED:
            _sync_hours(activity)
    return {p.pk for p in changed}


@transaction.atomic
def mark_attendance(
    *, actor, activity: Activity, marks: dict[int, str], method: str = Participation.Method.MANUAL
) -> int:
    """Organisers mark attendance by hand (also after the finish: an audited correction)."""
    activity = locked(actor, "change", activity)
    if activity.status in {Status.DRAFT, Status.CANCELLED}:
        raise ServiceError(_("Attendance can be marked once the activity is published."))
    return len(_apply_marks(actor, activity, {k: (v, None) for k, v in marks.items()}, method))


@transaction.atomic
def add_participants(*, actor, activity: Activity, person_ids: Sequence[int]) -> int:
    """Organisers add walk-ins (people who came without being on the list)."""
    return invite(actor=actor, activity=activity, person_ids=person_ids)
