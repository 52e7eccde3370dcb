"""Check-in by code or by scan: failures counted per user, late after the start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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


def verify_code(
    actor,
    candidates: list,
    code: str,
    *,
    now: dt.datetime,
    attempt_of: int | None = None,
    before: Callable[[], None] | None = None,
):
    """The candidate whose current code ``code`` is, under the per-user rate limit.

    A candidate is anything with a ``pk`` and a ``checkin_secret`` (an activity's venue,
    a training session): its codes are ``codes.current_code(candidate)``. The attempt is
    written before the code is checked and the limit counted after (insert, then count):
    guesses sent in parallel each see the others, so no more than the limit are ever
    checked. ``before`` runs once the limit allows the attempt (a check-in window); an
    attempt that fails for another reason than the code, or succeeds, is taken back.
    Refuses a wrong or expired code with a message saying which.
    """
    # Outside any transaction of ours (not atomic): the row is visible to parallel
    # attempts at once, and stays counted when the check-in is refused.
    attempt = CheckinFailure.objects.create(user=actor, activity_id=attempt_of)
    wrong_code = False
    try:
        if recent_failures(actor, now) > codes.MAX_FAILURES:
            raise ServiceError(
                _(
                    "Too many wrong codes. Wait %(n)d minutes, then scan the code on the "
                    "screen again."
                )
                % {"n": int(codes.FAILURE_WINDOW.total_seconds() // 60)},
                field="code",
            )
        if before is not None:
            before()
        found, expired = None, False
        for candidate in candidates:
            result = codes.verify(candidate, code, now)
            if result == codes.VALID:
                found = candidate
                break
            expired = expired or result == codes.EXPIRED
        if found is None:
            wrong_code = True
            if expired:
                raise ServiceError(
                    _(
                        "This code has expired. Scan the QR code on the screen again, "
                        "or type the code shown now."
                    ),
                    field="code",
                    code="checkin",
                )
            raise ServiceError(
                _("The code is wrong. Check the code shown on the screen."),
                field="code",
                code="checkin",
            )
    finally:
        if not wrong_code:
            attempt.delete()
    return found


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
    saying which, and counts towards the rate limit. The attempt is written before the
    code is checked and the limit counted after (insert, then count): guesses sent in
    parallel each see the others, so no more than the limit are ever checked. An attempt
    that fails for another reason, or succeeds, is taken back.
    """
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    now = timezone.now()
    candidates = [venue] if venue is not None else list(activity.venues.all())
    candidates = [v for v in candidates if v.activity_id == activity.pk]
    found = verify_code(
        actor,
        candidates,
        code,
        now=now,
        attempt_of=activity.pk,
        before=lambda: _check_window(activity, now),
    )
    return _do_check_in(actor, activity, person, found, method, now)


def _check_window(activity: Activity, now: dt.datetime) -> None:
    """Refuse a check-in outside the activity's check-in window (never a counted failure)."""
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
