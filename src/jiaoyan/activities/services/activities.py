"""Activities: create and edit, the life cycle (publish, start, cancel, finish) and the
hours a finished activity credits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.scope import can, locked, require
from jiaoyan.core.services import apply_changes, clean_link
from jiaoyan.hours import services as hours_services
from jiaoyan.hours.models import HoursRecord
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from .. import codes, hooks
from ..models import Activity, MonthlyTheme, Participation, Venue
from .common import ACTIVE, MAX_HOURS, Action, Att, Status, _level_of, _local, _month_key


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at is None or ends_at is None:
        raise ServiceError(_("Give the start and the end of the activity."), field="starts_at")
    if ends_at <= starts_at:
        raise ServiceError(_("The activity must end after it starts."), field="ends_at")
    if ends_at - starts_at > dt.timedelta(days=7):
        raise ServiceError(_("An activity may last at most seven days."), field="ends_at")


def _check_hours(hours) -> Decimal:
    try:
        value = Decimal(str(hours if hours not in (None, "") else 0))
    except Exception:
        raise ServiceError(_("The hours must be a number."), field="hours") from None
    if value < 0 or value > MAX_HOURS:
        raise ServiceError(
            _("The hours must be between 0 and %(n)s.") % {"n": MAX_HOURS}, field="hours"
        )
    return value.quantize(Decimal("0.1"))


def _check_theme_for(actor, theme: MonthlyTheme | None) -> None:
    if theme is not None and not can(actor, "view", theme):
        raise ServiceError(_("The monthly theme does not exist."), field="theme")


def _check_community_for(actor, community) -> None:
    """An activity names its organising community only if the actor may organise for it
    (its managers, its leader and core members)."""
    if community is None:
        return
    from jiaoyan.communities.services import may_organise_for

    if not may_organise_for(actor, community):
        raise ServiceError(
            _("You may not organise activities for this community."), field="community"
        )


def _check_venue_fields(
    name: str, address: str, online_url: str, capacity, *, url_field: str = "online_url"
) -> None:
    clean_link(online_url, field=url_field)
    if not (name or "").strip():
        raise ServiceError(_("Give the venue a name."), field="name")
    if not (address or "").strip() and not (online_url or "").strip():
        raise ServiceError(_("A venue needs an address or an online link."), field="address")
    if capacity is not None and int(capacity) < 1:
        raise ServiceError(
            _("The capacity must be at least 1 (or empty: no limit)."), field="capacity"
        )


@transaction.atomic
def create_activity(
    *,
    actor,
    org_unit: OrgUnit,
    title: str,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mode: str = Activity.Mode.ONSITE,
    registration: str = Activity.Registration.INVITED,
    subject: Subject | None = None,
    stage: Stage | None = None,
    host: Person | None = None,
    theme: MonthlyTheme | None = None,
    community: Any = None,
    hours: Any = 0,
    description: str = "",
    venue_name: str = "",
    venue_address: str = "",
    venue_url: str = "",
    venue_capacity: int | None = None,
    venue_unit: OrgUnit | None = None,
) -> Activity:
    """Create a draft activity with its main venue (主会场)."""
    activity = Activity(
        title=(title or "").strip(),
        kind=kind,
        org_unit=org_unit,
        level=_level_of(org_unit),
        subject=subject,
        stage=stage,
        host=host,
        theme=theme,
        community=community,
        starts_at=starts_at,
        ends_at=ends_at,
        mode=mode,
        registration=registration,
        description=(description or "").strip(),
        created_by=actor,
    )
    require(actor, "add", activity)
    if not activity.title:
        raise ServiceError(_("The title may not be empty."), field="title")
    if kind not in Activity.Kind.values:
        raise ServiceError(_("Choose the kind of activity."), field="kind")
    if mode not in Activity.Mode.values:
        raise ServiceError(_("Choose how people take part."), field="mode")
    if registration not in Activity.Registration.values:
        raise ServiceError(_("Choose who may take part."), field="registration")
    _check_times(starts_at, ends_at)
    _check_theme_for(actor, theme)
    _check_community_for(actor, community)
    activity.hours = _check_hours(hours)
    activity.start_month = _month_key(starts_at)
    name = (venue_name or "").strip() or _("Main venue")
    _check_venue_fields(name, venue_address, venue_url, venue_capacity, url_field="venue_url")
    activity.save()
    Venue.objects.create(
        activity=activity,
        is_main=True,
        name=name[:100],
        unit=venue_unit or org_unit,
        address=(venue_address or "").strip()[:200],
        online_url=(venue_url or "").strip()[:300],
        capacity=venue_capacity,
        checkin_secret=codes.new_secret(),
    )
    audit.record(
        actor,
        activity,
        Action.CREATE,
        {
            k: [None, v]
            for k, v in audit.snapshot(
                activity,
                ["title", "kind", "org_unit", "community", "starts_at", "ends_at", "mode", "hours"],
            ).items()
        },
    )
    return activity


ACTIVITY_FIELDS = [
    "title",
    "kind",
    "subject",
    "stage",
    "host",
    "theme",
    "community",
    "starts_at",
    "ends_at",
    "mode",
    "registration",
    "hours",
    "description",
]


def _invitee_user_ids(activity: Activity) -> set[int]:
    """Accounts of everyone invited or registered (and the open-registration audience)."""
    from django.contrib.contenttypes.models import ContentType

    from jiaoyan.core.models import ScopeGrant

    ids = set(
        Participation.objects.filter(
            activity=activity, status__in=ACTIVE, person__user__isnull=False
        ).values_list("person__user_id", flat=True)
    )
    ids |= set(
        ScopeGrant.objects.filter(
            content_type=ContentType.objects.get_for_model(Activity),
            object_id=activity.pk,
            user__isnull=False,
        ).values_list("user_id", flat=True)
    )
    return ids


@transaction.atomic
def update_activity(
    *, actor, activity: Activity, data: dict, expected_version: int | None = None
) -> Activity:
    """Edit an activity not yet finished. A new time is announced to everyone invited."""
    activity = locked(actor, "change", activity)
    if activity.is_closed:
        raise ServiceError(
            _(
                "A finished or cancelled activity can no longer be edited; only its minutes, "
                "materials and attendance can be corrected."
            )
        )
    if "title" in data:
        data["title"] = (data["title"] or "").strip()
        if not data["title"]:
            raise ServiceError(_("The title may not be empty."), field="title")
    starts = data.get("starts_at", activity.starts_at)
    ends = data.get("ends_at", activity.ends_at)
    _check_times(starts, ends)
    if "hours" in data:
        data["hours"] = _check_hours(data["hours"])
    if "theme" in data:
        _check_theme_for(actor, data["theme"])
    if data.get("community") is not None and data["community"] != activity.community:
        _check_community_for(actor, data["community"])
    old_start, old_end = activity.starts_at, activity.ends_at
    changes = apply_changes(
        actor, activity, data, ACTIVITY_FIELDS, expected_version=expected_version
    )
    if "starts_at" in changes:
        Activity.objects.filter(pk=activity.pk).update(start_month=_month_key(activity.starts_at))
        activity.start_month = _month_key(activity.starts_at)
    if ("starts_at" in changes or "ends_at" in changes) and activity.status != Status.DRAFT:
        notify(
            _invitee_user_ids(activity),
            title=_("Time changed: %(title)s") % {"title": activity.title},
            body=_("Was %(old)s – %(old_end)s; now %(new)s – %(new_end)s.")
            % {
                "old": _local(old_start),
                "old_end": _local(old_end),
                "new": _local(activity.starts_at),
                "new_end": _local(activity.ends_at),
            },
            url=activity.get_absolute_url(),
            kind="warning",
            about=activity,
        )
    return activity


def _transition(actor, activity: Activity, allowed: Sequence[str], new: str, **extra) -> Activity:
    activity = locked(actor, "change", activity)
    if activity.status not in allowed:
        raise ServiceError(
            _("This cannot be done while the activity is “%(status)s”.")
            % {"status": activity.get_status_display()}
        )
    old = activity.status
    activity.status = new
    for k, v in extra.items():
        setattr(activity, k, v)
    activity.version += 1
    activity.updated_at = timezone.now()
    activity.save(update_fields=["status", "version", "updated_at", *extra])
    audit.record(
        actor,
        activity,
        Action.STATUS,
        {"status": [old, new]},
        message=extra.get("cancel_reason", ""),
    )
    return activity


@transaction.atomic
def publish_activity(*, actor, activity: Activity) -> Activity:
    activity = _transition(
        actor, activity, [Status.DRAFT], Status.PUBLISHED, published_at=timezone.now()
    )
    users = _invitee_user_ids(activity)
    notify(
        users,
        title=_("Invitation: %(title)s") % {"title": activity.title},
        body=_("%(when)s, organised by %(unit)s.")
        % {"when": _local(activity.starts_at), "unit": activity.org_unit.name},
        url=activity.get_absolute_url(),
        about=activity,
        dedupe_key=f"activity-invite-{activity.pk}",
    )
    return activity


@transaction.atomic
def start_activity(*, actor, activity: Activity) -> Activity:
    return _transition(actor, activity, [Status.PUBLISHED], Status.IN_PROGRESS)


@transaction.atomic
def cancel_activity(*, actor, activity: Activity, reason: str) -> Activity:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for cancelling."), field="reason")
    activity = _transition(
        actor,
        activity,
        [Status.DRAFT, Status.PUBLISHED, Status.IN_PROGRESS],
        Status.CANCELLED,
        cancel_reason=reason[:300],
    )
    notify(
        _invitee_user_ids(activity),
        title=_("Cancelled: %(title)s") % {"title": activity.title},
        body=_("The activity of %(when)s is cancelled. Reason: %(reason)s")
        % {"when": _local(activity.starts_at), "reason": reason},
        url=activity.get_absolute_url(),
        kind="warning",
        about=activity,
    )
    return activity


def _sync_hours(activity: Activity) -> tuple[int, int]:
    """Hours for exactly the people who attended (present or late) a finished activity."""
    attended = Participation.objects.filter(
        activity=activity, attendance__in=[Att.PRESENT, Att.LATE]
    ).values_list("person_id", flat=True)
    if activity.hours <= 0:
        return 0, hours_services.revoke_for_source(activity)
    return hours_services.sync_for_source(
        activity,
        person_ids=list(attended),
        hours=activity.hours,
        date=timezone.localtime(activity.starts_at).date(),
        title=activity.title,
        kind=HoursRecord.Kind.ACTIVITY,
        credited_by_id=activity.org_unit_id,
    )


@transaction.atomic
def finish_activity(*, actor, activity: Activity) -> Activity:
    """Close the activity: whoever did not check in is absent; attendees get their hours."""
    activity = _transition(
        actor,
        activity,
        [Status.PUBLISHED, Status.IN_PROGRESS],
        Status.FINISHED,
        finished_at=timezone.now(),
    )
    Participation.objects.filter(activity=activity, status__in=ACTIVE, attendance="").update(
        attendance=Att.ABSENT, updated_at=timezone.now()
    )
    _sync_hours(activity)
    attended_users = Participation.objects.filter(
        activity=activity, attendance__in=[Att.PRESENT, Att.LATE], person__user__isnull=False
    ).values_list("person__user_id", flat=True)
    notify(
        attended_users,
        title=_("Thank you for taking part: %(title)s") % {"title": activity.title},
        body=(
            _("%(hours)s hours were credited to you. Please rate the activity.")
            % {"hours": activity.hours}
            if activity.hours > 0
            else _("Please rate the activity.")
        ),
        url=activity.get_absolute_url(),
        about=activity,
        dedupe_key=f"activity-finished-{activity.pk}",
    )
    for hook in hooks.finish_hooks():
        hook(actor=actor, activity=activity)
    return activity
