"""Every write of plans, activities, venues, participation, materials, minutes, feedback.

Each function takes the acting user (``actor``), checks ``require``/``can`` first, raises
``ServiceError`` with a Chinese message on bad input (nothing written), writes, audits,
and notifies (``jiaoyan.core.notifications.notify``) inside one transaction.

Concurrency. Seats are counted under a row lock on the venue (``select_for_update``):
two people taking the last seat queue on that lock and the second one finds it full.
Locks are always taken in one order — venues (ascending id), then participation rows,
then the activity row (counters are ``F()`` updates on it last) — so two services never
wait on each other in a cycle. SQLite has no row locks (``select_for_update`` is a no-op
there), but our SQLite connections open every transaction with ``BEGIN IMMEDIATE``
(settings.SQLITE_OPTIONS), which takes the database's single write lock at the start:
two registrations run strictly one after the other, so the count is exact there too.
"""

from .activities import (
    ACTIVITY_FIELDS,
    _check_hours,
    _check_theme_for,
    _check_times,
    _check_venue_fields,
    _invitee_user_ids,
    _sync_hours,
    _transition,
    cancel_activity,
    create_activity,
    finish_activity,
    publish_activity,
    start_activity,
    update_activity,
)
from .attendance import (
    ATTENDANCE_MARKS,
    _apply_marks,
    add_participants,
    mark_attendance,
)
from .checkin import (
    _do_check_in,
    check_in,
    recent_failures,
)
from .common import (
    ACTIVE,
    CHECKIN_CLOSES,
    CHECKIN_OPENS,
    LATE_AFTER,
    MAX_HOURS,
    Action,
    Att,
    PStatus,
    Status,
    _level_of,
    _local,
    _month_key,
    _person_of,
)
from .feedback import (
    give_feedback,
)
from .materials import (
    add_material,
    can_add_material,
    delete_material,
)
from .minutes import (
    add_decision,
    delete_decision,
    save_minutes,
    send_decisions_to_ledger,
)
from .participation import (
    _lock_venues,
    _require_participant_view,
    _seats_taken,
    _venue_for,
    decline,
    invite,
    register,
    resolve_people,
    staff_to_invite,
)
from .plans import (
    PLAN_FIELDS,
    THEME_FIELDS,
    _check_plan_fields,
    _check_theme,
    add_theme,
    create_plan,
    delete_theme,
    publish_plan,
    update_plan,
    update_theme,
)
from .venues import (
    VENUE_FIELDS,
    _require_editable,
    add_venue,
    delete_venue,
    update_venue,
)

__all__ = [
    "ACTIVE",
    "ACTIVITY_FIELDS",
    "ATTENDANCE_MARKS",
    "CHECKIN_CLOSES",
    "CHECKIN_OPENS",
    "LATE_AFTER",
    "MAX_HOURS",
    "PLAN_FIELDS",
    "THEME_FIELDS",
    "VENUE_FIELDS",
    "Action",
    "Att",
    "PStatus",
    "Status",
    "_apply_marks",
    "_check_hours",
    "_check_plan_fields",
    "_check_theme",
    "_check_theme_for",
    "_check_times",
    "_check_venue_fields",
    "_do_check_in",
    "_invitee_user_ids",
    "_level_of",
    "_local",
    "_lock_venues",
    "_month_key",
    "_person_of",
    "_require_editable",
    "_require_participant_view",
    "_seats_taken",
    "_sync_hours",
    "_transition",
    "_venue_for",
    "add_decision",
    "add_material",
    "add_participants",
    "add_theme",
    "add_venue",
    "can_add_material",
    "cancel_activity",
    "check_in",
    "create_activity",
    "create_plan",
    "decline",
    "delete_decision",
    "delete_material",
    "delete_theme",
    "delete_venue",
    "finish_activity",
    "give_feedback",
    "invite",
    "mark_attendance",
    "publish_activity",
    "publish_plan",
    "recent_failures",
    "register",
    "resolve_people",
    "save_minutes",
    "send_decisions_to_ledger",
    "staff_to_invite",
    "start_activity",
    "update_activity",
    "update_plan",
    "update_theme",
    "update_venue",
]
