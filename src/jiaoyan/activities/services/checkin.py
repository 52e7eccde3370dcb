"""Check-in by code or by scan: failures counted per user, late after the start."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core.errors import ServiceError

from .. import codes
from ..models import Activity, CheckinFailure, Participation, Venue
from .common import ACTIVE, CHECKIN_CLOSES, CHECKIN_OPENS, LATE_AFTER, Att, PStatus, Status, _local
from .participation import _add_registered, _lock_venues, _require_participant_view


def recent_failures(user, at: dt.datetime | None = None) -> int:
    at = at or timezone.now()
    return CheckinFailure.objects.filter(
        user_id=user.pk, created_at__gt=at - codes.FAILURE_WINDOW
    ).count()


def _fail(actor, activity: Activity, message: str) -> ServiceError:
    # Written outside any transaction of ours (check_in is not atomic), so the failure
    # stays counted although the check-in itself is refused.
    CheckinFailure.objects.create(user=actor, activity_id=activity.pk)
    return ServiceError(message, field="code", code="checkin")


def check_in(
    *,
    actor,
    activity: Activity,
    code: str,
    venue: Venue | None = None,
    method: str = Participation.Method.CODE,
) -> tuple[Participation, bool]:
    """Check the actor in with a venue's code. Returns (participation, newly checked in).

    A second check-in changes nothing. A wrong or expired code is refused with a message
    saying which, and counts towards the rate limit.
    """
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    now = timezone.now()
    if recent_failures(actor, now) >= codes.MAX_FAILURES:
        raise ServiceError(
            _("Too many wrong codes. Wait %(n)d minutes, then scan the code on the screen again.")
            % {"n": int(codes.FAILURE_WINDOW.total_seconds() // 60)},
            field="code",
        )
    if activity.status not in {Status.PUBLISHED, Status.IN_PROGRESS}:
        raise ServiceError(
            _("Check-in is closed: the activity is “%(status)s”.")
            % {"status": activity.get_status_display()}
        )
    if now < activity.starts_at - CHECKIN_OPENS:
        raise ServiceError(
            _("Check-in opens at %(time)s.") % {"time": _local(activity.starts_at - CHECKIN_OPENS)}
        )
    if now > activity.ends_at + CHECKIN_CLOSES:
        raise ServiceError(_("Check-in has closed: the activity is over."))
    candidates = [venue] if venue is not None else list(activity.venues.all())
    found, expired = None, False
    for v in candidates:
        if v.activity_id != activity.pk:
            continue
        result = codes.verify(v, code, now)
        if result == codes.VALID:
            found = v
            break
        expired = expired or result == codes.EXPIRED
    if found is None:
        if expired:
            raise _fail(
                actor,
                activity,
                _(
                    "This code has expired. Scan the QR code on the screen again, "
                    "or type the code shown now."
                ),
            )
        raise _fail(actor, activity, _("The code is wrong. Check the code shown on the screen."))
    return _do_check_in(actor, activity, person, found, method, now)


@transaction.atomic
def _do_check_in(actor, activity, person, venue, method, now) -> tuple[Participation, bool]:
    _lock_venues([venue.pk])
    part = (
        Participation.objects.select_for_update().filter(activity=activity, person=person).first()
    )
    if part is None:
        if activity.registration != Activity.Registration.OPEN:
            raise ServiceError(
                _("You are not on the list of this activity. Ask the organiser to add you.")
            )
        part = _add_registered(activity, person, venue, now)
    if part.checked_in_at is not None:
        return part, False
    was_active = part.status in ACTIVE
    late = now > activity.starts_at + LATE_AFTER
    part.checked_in_at = now
    part.attendance = Att.LATE if late else Att.PRESENT
    part.method = method
    part.venue = venue
    if part.status == PStatus.DECLINED:
        part.status = PStatus.REGISTERED
        part.decline_reason = ""
    part.updated_at = now
    part.save(
        update_fields=[
            "checked_in_at",
            "attendance",
            "method",
            "venue",
            "status",
            "decline_reason",
            "updated_at",
        ]
    )
    counters = {"checked_in_count": F("checked_in_count") + 1}
    if not was_active:
        counters["participant_count"] = F("participant_count") + 1
    Activity.objects.filter(pk=activity.pk).update(**counters)
    # The first check-in starts a published activity.
    Activity.objects.filter(pk=activity.pk, status=Status.PUBLISHED).update(
        status=Status.IN_PROGRESS
    )
    return part, True
