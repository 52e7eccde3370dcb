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

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.scope import can, grant_many, require
from jiaoyan.core.services import apply_changes, check_version
from jiaoyan.hours import services as hours_services
from jiaoyan.hours.models import HoursRecord
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person, RoleAssignment

from . import codes, hooks
from .models import (
    Activity,
    CheckinFailure,
    Decision,
    Feedback,
    Level,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)

Action = audit.AuditLog.Action
Status = Activity.Status
PStatus = Participation.Status
Att = Participation.Attendance

CHECKIN_OPENS = dt.timedelta(minutes=60)  # before the start
CHECKIN_CLOSES = dt.timedelta(minutes=30)  # after the end
LATE_AFTER = dt.timedelta(minutes=10)  # after the start
MAX_HOURS = Decimal("40")
MAX_MATERIAL_BYTES = 200 * 2**20
ACTIVE = (PStatus.INVITED, PStatus.REGISTERED)


def _level_of(unit: OrgUnit) -> str:
    return unit.level if unit.level in Level.values else Level.CITY


def _person_of(actor) -> Person:
    person = getattr(actor, "person", None) if actor is not None else None
    if person is None:
        raise ServiceError(_("Your account is not linked to a person, so you cannot take part."))
    return person


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _month_key(value: dt.datetime) -> int:
    local = timezone.localtime(value)
    return local.year * 100 + local.month


# --- plans and themes --------------------------------------------------------------------


def _check_plan_fields(year: int, title: str) -> None:
    if not title.strip():
        raise ServiceError(_("The title may not be empty."), field="title")
    if not 2000 <= int(year) <= 2100:
        raise ServiceError(_("The year is not plausible."), field="year")


@transaction.atomic
def create_plan(
    *,
    actor,
    org_unit: OrgUnit,
    year: int,
    title: str,
    goals: str = "",
    subject: Subject | None = None,
    stage: Stage | None = None,
    parent: ResearchPlan | None = None,
) -> ResearchPlan:
    plan = ResearchPlan(
        org_unit=org_unit,
        year=year,
        title=title.strip(),
        goals=goals.strip(),
        level=_level_of(org_unit),
        subject=subject,
        stage=stage,
        parent=parent,
        created_by=actor,
    )
    require(actor, "add", plan)
    _check_plan_fields(year, title)
    if parent is not None:
        parent = ResearchPlan.objects.filter(pk=parent.pk).first()
        plan.parent = parent
        if parent is None or not can(actor, "view", parent):
            raise ServiceError(_("The plan above does not exist."), field="parent")
        if parent.status != ResearchPlan.Status.PUBLISHED:
            raise ServiceError(_("Only a published plan can be followed."), field="parent")
    plan.save()
    audit.record(
        actor,
        plan,
        Action.CREATE,
        {
            k: [None, v]
            for k, v in audit.snapshot(
                plan, ["org_unit", "year", "title", "subject", "stage"]
            ).items()
        },
    )
    return plan


PLAN_FIELDS = ["title", "goals", "year", "subject", "stage", "parent"]


@transaction.atomic
def update_plan(
    *, actor, plan: ResearchPlan, data: dict, expected_version: int | None = None
) -> ResearchPlan:
    plan = ResearchPlan.objects.select_for_update().get(pk=plan.pk)
    require(actor, "change", plan)
    _check_plan_fields(data.get("year", plan.year), data.get("title", plan.title))
    if "title" in data:
        data["title"] = data["title"].strip()
    parent = data.get("parent")
    if parent is not None and (parent.pk == plan.pk or not can(actor, "view", parent)):
        raise ServiceError(_("The plan above does not exist."), field="parent")
    apply_changes(actor, plan, data, PLAN_FIELDS, expected_version=expected_version)
    return plan


@transaction.atomic
def publish_plan(*, actor, plan: ResearchPlan) -> ResearchPlan:
    plan = ResearchPlan.objects.select_for_update().get(pk=plan.pk)
    require(actor, "change", plan)
    if plan.status == ResearchPlan.Status.PUBLISHED:
        return plan
    if not plan.themes.exists():
        raise ServiceError(_("Add at least one monthly theme before publishing the plan."))
    plan.status = ResearchPlan.Status.PUBLISHED
    plan.published_at = timezone.now()
    plan.version += 1
    plan.save(update_fields=["status", "published_at", "version"])
    audit.record(actor, plan, Action.STATUS, {"status": ["draft", "published"]})
    return plan


def _check_theme(plan: ResearchPlan, month: int, title: str, subject, stage, exclude=None):
    if not 1 <= int(month) <= 12:
        raise ServiceError(_("The month must be between 1 and 12."), field="month")
    if not title.strip():
        raise ServiceError(_("The theme may not be empty."), field="title")
    clash = MonthlyTheme.objects.filter(plan=plan, month=month, subject=subject, stage=stage)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ServiceError(
            _("This plan already has a theme for month %(m)d with the same subject and stage.")
            % {"m": month},
            field="month",
        )


@transaction.atomic
def add_theme(
    *,
    actor,
    plan: ResearchPlan,
    month: int,
    title: str,
    goals: str = "",
    subject: Subject | None = None,
    stage: Stage | None = None,
) -> MonthlyTheme:
    require(actor, "change", plan)
    _check_theme(plan, month, title, subject, stage)
    theme = MonthlyTheme.objects.create(
        plan=plan,
        month=month,
        title=title.strip(),
        goals=goals.strip(),
        subject=subject,
        stage=stage,
    )
    audit.record(
        actor,
        plan,
        Action.UPDATE,
        {"themes": [None, str(theme)]},
        message=_("Theme added"),
    )
    return theme


THEME_FIELDS = ["month", "title", "goals", "subject", "stage"]


@transaction.atomic
def update_theme(
    *, actor, theme: MonthlyTheme, data: dict, expected_version: int | None = None
) -> MonthlyTheme:
    theme = MonthlyTheme.objects.select_for_update().select_related("plan").get(pk=theme.pk)
    require(actor, "change", theme)
    _check_theme(
        theme.plan,
        data.get("month", theme.month),
        data.get("title", theme.title),
        data.get("subject", theme.subject),
        data.get("stage", theme.stage),
        exclude=theme,
    )
    apply_changes(actor, theme, data, THEME_FIELDS, expected_version=expected_version)
    return theme


@transaction.atomic
def delete_theme(*, actor, theme: MonthlyTheme) -> None:
    require(actor, "delete", theme)
    if theme.activities.exists():
        raise ServiceError(_("Activities are tied to this theme; tie them to another theme first."))
    audit.record(
        actor, theme.plan, Action.UPDATE, {"themes": [str(theme), None]}, message=_("Theme removed")
    )
    theme.delete()


# --- activities ------------------------------------------------------------------------


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


def _check_venue_fields(name: str, address: str, online_url: str, capacity) -> None:
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
    activity.hours = _check_hours(hours)
    activity.start_month = _month_key(starts_at)
    name = (venue_name or "").strip() or _("Main venue")
    _check_venue_fields(name, venue_address, venue_url, venue_capacity)
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
                activity, ["title", "kind", "org_unit", "starts_at", "ends_at", "mode", "hours"]
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
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "change", activity)
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
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "change", activity)
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


# --- venues --------------------------------------------------------------------------


def _require_editable(actor, activity: Activity) -> None:
    require(actor, "change", activity)
    if activity.is_closed:
        raise ServiceError(_("The activity is closed; its venues can no longer change."))


@transaction.atomic
def add_venue(
    *,
    actor,
    activity: Activity,
    name: str,
    unit: OrgUnit | None = None,
    address: str = "",
    online_url: str = "",
    capacity: int | None = None,
) -> Venue:
    """Add a sub-venue (分会场); the activity becomes hybrid if it was on site only."""
    _require_editable(actor, activity)
    _check_venue_fields(name, address, online_url, capacity)
    venue = Venue.objects.create(
        activity=activity,
        is_main=False,
        name=name.strip()[:100],
        unit=unit,
        address=(address or "").strip()[:200],
        online_url=(online_url or "").strip()[:300],
        capacity=capacity,
        checkin_secret=codes.new_secret(),
    )
    audit.record(actor, activity, Action.UPDATE, {"venues": [None, venue.name]})
    return venue


VENUE_FIELDS = ["name", "unit", "address", "online_url", "capacity"]


@transaction.atomic
def update_venue(*, actor, venue: Venue, data: dict, expected_version: int | None = None) -> Venue:
    venue = Venue.objects.select_for_update().select_related("activity").get(pk=venue.pk)
    _require_editable(actor, venue.activity)
    merged = {f: data.get(f, getattr(venue, f)) for f in VENUE_FIELDS}
    _check_venue_fields(merged["name"], merged["address"], merged["online_url"], merged["capacity"])
    capacity = merged["capacity"]
    if capacity is not None:
        taken = venue.participations.filter(status__in=ACTIVE).count()
        if capacity < taken:
            raise ServiceError(
                _("%(n)d people are already on this venue; the capacity cannot be lower.")
                % {"n": taken},
                field="capacity",
            )
    apply_changes(actor, venue, data, VENUE_FIELDS, expected_version=expected_version)
    return venue


@transaction.atomic
def delete_venue(*, actor, venue: Venue) -> None:
    venue = Venue.objects.select_for_update().select_related("activity").get(pk=venue.pk)
    _require_editable(actor, venue.activity)
    if venue.is_main:
        raise ServiceError(_("The main venue cannot be removed."))
    if venue.participations.filter(checked_in_at__isnull=False).exists():
        raise ServiceError(_("People checked in at this venue; it cannot be removed."))
    main = venue.activity.venues.filter(is_main=True).first()
    venue.participations.update(venue=main)
    audit.record(actor, venue.activity, Action.UPDATE, {"venues": [venue.name, None]})
    venue.delete()


# --- invitations and registration ------------------------------------------------------


def _venue_for(venues: list[Venue], unit_paths: dict[int, str], person_path: str) -> Venue | None:
    """The sub-venue of the person's own unit (the closest one), else the main venue."""
    best, best_len = None, -1
    for v in venues:
        path = unit_paths.get(v.unit_id or 0, "")
        if not v.is_main and path and person_path.startswith(path) and len(path) > best_len:
            best, best_len = v, len(path)
    if best is not None:
        return best
    return next((v for v in venues if v.is_main), venues[0] if venues else None)


def resolve_people(
    *,
    units: Iterable[OrgUnit] = (),
    subject: Subject | None = None,
    stage: Stage | None = None,
    roles: Iterable[str] = ("teacher",),
    staff_numbers: Iterable[str] = (),
) -> tuple[list[int], list[str]]:
    """Ids of the active people meant by a unit-and-subject choice plus staff numbers.

    Returns (person ids, staff numbers that match nobody)."""
    ids: set[int] = set()
    units = list(units)
    if units:
        q = Q(pk__in=[])
        for u in units:
            q |= Q(person__org_unit__path__under=u.path)
        ras = RoleAssignment.objects.filter(
            q, is_active=True, person__status=Person.Status.ACTIVE, role__in=list(roles)
        )
        if subject is not None:
            ras = ras.filter(subjects=subject)
        if stage is not None:
            ras = ras.filter(stages=stage)
        ids.update(ras.values_list("person_id", flat=True))
    numbers = [n.strip() for n in staff_numbers if n and n.strip()]
    unknown: list[str] = []
    if numbers:
        found = dict(
            Person.objects.filter(staff_no__in=numbers, status=Person.Status.ACTIVE).values_list(
                "staff_no", "pk"
            )
        )
        unknown = [n for n in numbers if n not in found]
        ids.update(found.values())
    return sorted(ids), unknown


@transaction.atomic
def invite(
    *,
    actor,
    activity: Activity,
    person_ids: Sequence[int],
    audience_only: bool = False,
    description: str = "",
) -> int:
    """Invite people (they are put on the list, on the venue of their unit) or, with
    ``audience_only``, let them see an open-registration activity and register themselves.

    Either way each of them gets a scope grant on the activity (and on nothing else).
    Returns how many people were newly invited (or added to the audience).
    """
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "change", activity)
    if activity.is_closed:
        raise ServiceError(_("The activity is closed; nobody can be invited any more."))
    if audience_only and activity.registration != Activity.Registration.OPEN:
        raise ServiceError(
            _("Switch the activity to open registration before opening it to an audience.")
        )
    if not person_ids:
        raise ServiceError(_("Nobody matches this choice."))
    people = list(
        Person.objects.filter(pk__in=person_ids).values_list("pk", "user_id", "org_unit__path")
    )
    new_count = 0
    if not audience_only:
        have = set(
            Participation.objects.filter(activity=activity).values_list("person_id", flat=True)
        )
        venues = list(activity.venues.all())
        unit_paths = dict(
            OrgUnit.objects.filter(pk__in=[v.unit_id for v in venues if v.unit_id]).values_list(
                "pk", "path"
            )
        )
        now = timezone.now()
        rows = []
        for pk, _uid, path in people:
            if pk in have:
                continue
            venue = _venue_for(venues, unit_paths, path)
            rows.append(
                Participation(
                    activity=activity,
                    person_id=pk,
                    venue=venue,
                    status=PStatus.INVITED,
                    created_at=now,
                    updated_at=now,
                )
            )
        Participation.objects.bulk_create(rows, batch_size=2000)
        new_count = len(rows)
        Activity.objects.filter(pk=activity.pk).update(
            participant_count=F("participant_count") + new_count
        )
        new_users = {uid for pk, uid, _p in people if uid and pk not in have}
    else:
        new_users = {uid for _pk, uid, _p in people if uid}
    granted = grant_many(
        activity, users=new_users, reason="invited" if not audience_only else "audience"
    )
    if audience_only:
        new_count = granted
    audit.record(
        actor,
        activity,
        Action.GRANT,
        {"invited" if not audience_only else "audience": [None, new_count]},
        message=description[:300],
    )
    if activity.status != Status.DRAFT and new_users:
        notify(
            new_users,
            title=(
                _("Invitation: %(title)s")
                if not audience_only
                else _("Open for registration: %(title)s")
            )
            % {"title": activity.title},
            body=_("%(when)s, organised by %(unit)s.")
            % {"when": _local(activity.starts_at), "unit": activity.org_unit.name},
            url=activity.get_absolute_url(),
            about=activity,
            dedupe_key=f"activity-invite-{activity.pk}",
        )
    return new_count


def _require_participant_view(actor, activity: Activity) -> Person:
    person = _person_of(actor)
    if not can(actor, "view", activity):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return person


def _lock_venues(ids: Iterable[int]) -> dict[int, Venue]:
    """Lock venue rows in ascending id order (the one lock order of this module)."""
    wanted = sorted({i for i in ids if i})
    return {v.pk: v for v in Venue.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}


def _seats_taken(venue: Venue) -> int:
    return Participation.objects.filter(venue=venue, status__in=ACTIVE).count()


@transaction.atomic
def register(*, actor, activity: Activity, venue: Venue) -> Participation:
    """Register (open registration) or confirm an invitation, on a venue with seats left."""
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    if venue.activity_id != activity.pk:
        raise ServiceError(_("This venue belongs to another activity."), field="venue")
    if not activity.is_open:
        raise ServiceError(_("Registration is closed: the activity is not open."))
    existing = (
        Participation.objects.select_for_update().filter(activity=activity, person=person).first()
    )
    if existing is None and activity.registration != Activity.Registration.OPEN:
        raise ServiceError(_("This activity is by invitation only."))
    locked = _lock_venues([venue.pk, existing.venue_id if existing else 0])
    venue = locked[venue.pk]
    if existing is not None:
        existing = Participation.objects.select_for_update().get(pk=existing.pk)
    moving = (
        existing is None or existing.status == PStatus.DECLINED or existing.venue_id != venue.pk
    )
    if moving and venue.capacity is not None and _seats_taken(venue) >= venue.capacity:
        raise ServiceError(
            _("“%(venue)s” is full (%(n)d seats). Choose another venue.")
            % {"venue": venue.name, "n": venue.capacity},
            field="venue",
        )
    now = timezone.now()
    if existing is None:
        try:
            with transaction.atomic():
                part = Participation.objects.create(
                    activity=activity,
                    person=person,
                    venue=venue,
                    status=PStatus.REGISTERED,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            raise ServiceError(_("You are already registered.")) from None
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") + 1)
        audit.record(actor, activity, Action.UPDATE, {"registered": [None, person.name]})
        return part
    was_active = existing.status in ACTIVE
    changes = {}
    if existing.venue_id != venue.pk:
        changes["venue"] = [str(existing.venue) if existing.venue_id else None, venue.name]
    if existing.status != PStatus.REGISTERED:
        changes["status"] = [existing.status, PStatus.REGISTERED]
    existing.venue = venue
    existing.status = PStatus.REGISTERED
    existing.decline_reason = ""
    existing.updated_at = now
    existing.save(update_fields=["venue", "status", "decline_reason", "updated_at"])
    if not was_active:
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") + 1)
    if changes:
        audit.record(actor, activity, Action.UPDATE, changes, message=person.name)
    return existing


@transaction.atomic
def decline(*, actor, activity: Activity, reason: str) -> Participation:
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Tell the organiser why you cannot come."), field="reason")
    if not activity.is_open and activity.status != Status.DRAFT:
        raise ServiceError(_("The activity is closed."))
    part = (
        Participation.objects.select_for_update().filter(activity=activity, person=person).first()
    )
    if part is None:
        raise ServiceError(_("You are not on the list of this activity."))
    if part.attended:
        raise ServiceError(_("You already checked in; you cannot decline any more."))
    was_active = part.status in ACTIVE
    part.status = PStatus.DECLINED
    part.decline_reason = reason[:300]
    part.updated_at = timezone.now()
    part.save(update_fields=["status", "decline_reason", "updated_at"])
    if was_active:
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") - 1)
    audit.record(
        actor, activity, Action.UPDATE, {"declined": [None, person.name]}, message=reason[:300]
    )
    return part


# --- check-in ---------------------------------------------------------------------------


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
        part = Participation.objects.create(
            activity=activity,
            person=person,
            venue=venue,
            status=PStatus.REGISTERED,
            created_at=now,
            updated_at=now,
        )
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") + 1)
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
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "change", activity)
    if activity.status in {Status.DRAFT, Status.CANCELLED}:
        raise ServiceError(_("Attendance can be marked once the activity is published."))
    return len(_apply_marks(actor, activity, {k: (v, None) for k, v in marks.items()}, method))


@transaction.atomic
def add_participants(*, actor, activity: Activity, person_ids: Sequence[int]) -> int:
    """Organisers add walk-ins (people who came without being on the list)."""
    return invite(actor=actor, activity=activity, person_ids=person_ids)


# --- materials, minutes, decisions -------------------------------------------------------


def can_add_material(actor, activity: Activity) -> bool:
    if can(actor, "change", activity):
        return True
    person = getattr(actor, "person", None)
    return bool(person and activity.host_id == person.pk and can(actor, "view", activity))


@transaction.atomic
def add_material(
    *,
    actor,
    activity: Activity,
    phase: str,
    kind: str,
    title: str,
    upload=None,
    url: str = "",
) -> Material:
    activity = Activity.objects.get(pk=activity.pk)
    if not can_add_material(actor, activity):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if activity.status == Status.CANCELLED:
        raise ServiceError(_("The activity is cancelled."))
    title = (title or "").strip()
    if upload is None and not (url or "").strip():
        raise ServiceError(_("Attach a file or give a link."), field="file")
    if upload is not None and url:
        raise ServiceError(_("Attach a file or give a link, not both."), field="url")
    if phase not in Material.Phase.values:
        raise ServiceError(_("Choose when the material is used."), field="phase")
    if kind not in Material.Kind.values:
        raise ServiceError(_("Choose the kind of material."), field="kind")
    material = Material(
        activity=activity,
        phase=phase,
        kind=kind,
        title=(title or (upload.name if upload is not None else url))[:150],
        url=(url or "").strip()[:300],
        uploaded_by=actor,
    )
    if upload is not None:
        if upload.size > MAX_MATERIAL_BYTES:
            raise ServiceError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_MATERIAL_BYTES // 2**20},
                field="file",
            )
        material.file_name = (upload.name or "file")[-200:]
        material.size = upload.size
        material.file.save(material.file_name, upload, save=False)
    material.save()
    audit.record(
        actor,
        activity,
        Action.UPDATE,
        {"materials": [None, material.title]},
        message=_("Material added after the activity finished")
        if activity.status == Status.FINISHED
        else "",
    )
    return material


@transaction.atomic
def delete_material(*, actor, material: Material) -> None:
    activity = material.activity
    if not (
        can(actor, "delete", material)
        or (can_add_material(actor, activity) and material.uploaded_by_id == actor.pk)
    ):
        raise PermissionDenied(_("You do not have permission to do this here."))
    audit.record(actor, activity, Action.UPDATE, {"materials": [material.title, None]})
    if material.file:
        material.file.delete(save=False)
    material.delete()


@transaction.atomic
def save_minutes(
    *, actor, activity: Activity, minutes: str, expected_version: int | None = None
) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "change", activity)
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Minutes are written once the activity has started."))
    check_version(activity, expected_version)
    text = (minutes or "").strip()
    if text == activity.minutes:
        return activity
    old = activity.minutes
    activity.minutes = text
    activity.minutes_updated_at = timezone.now()
    activity.version += 1
    activity.save(update_fields=["minutes", "minutes_updated_at", "version"])
    audit.record(
        actor,
        activity,
        Action.UPDATE,
        {"minutes": [old[:500] or None, text[:500]]},
        message=_("Minutes"),
    )
    return activity


@transaction.atomic
def add_decision(
    *,
    actor,
    activity: Activity,
    text: str,
    owner_unit: OrgUnit | None = None,
    owner_name: str = "",
    due_on: dt.date | None = None,
    for_ledger: bool = False,
) -> Decision:
    activity = Activity.objects.get(pk=activity.pk)
    require(actor, "change", activity)
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Decisions are recorded once the activity has started."))
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the decision."), field="text")
    decision = Decision.objects.create(
        activity=activity,
        text=text[:300],
        owner_unit=owner_unit,
        owner_name=(owner_name or "").strip()[:50],
        due_on=due_on,
        for_ledger=for_ledger,
    )
    audit.record(actor, activity, Action.UPDATE, {"decisions": [None, decision.text]})
    return decision


@transaction.atomic
def delete_decision(*, actor, decision: Decision) -> None:
    require(actor, "delete", decision)
    if decision.ledger_ref:
        raise ServiceError(_("This decision is already in the work ledger; change it there."))
    audit.record(actor, decision.activity, Action.UPDATE, {"decisions": [decision.text, None]})
    decision.delete()


@transaction.atomic
def send_decisions_to_ledger(*, actor, activity: Activity) -> int:
    """Hand the decisions marked for the ledger to it (see ``hooks``); returns how many."""
    require(actor, "change", activity)
    sink = hooks.decision_sink()
    if sink is None:
        raise ServiceError(_("The work ledger is not available yet."))
    sent = 0
    for decision in Decision.objects.select_for_update().filter(
        activity=activity, for_ledger=True, ledger_ref=""
    ):
        ref = sink(actor=actor, decision=decision)
        decision.ledger_ref = str(ref)[:64]
        decision.sent_at = timezone.now()
        decision.save(update_fields=["ledger_ref", "sent_at"])
        sent += 1
    if sent:
        audit.record(actor, activity, Action.UPDATE, {"sent_to_ledger": [None, sent]})
    return sent


# --- feedback ---------------------------------------------------------------------------


@transaction.atomic
def give_feedback(*, actor, activity: Activity, rating: int, comment: str = "") -> Feedback:
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError(_("Choose a rating from 1 to 5."), field="rating")
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Feedback opens when the activity has taken place."))
    attended = Participation.objects.filter(
        activity=activity, person=person, attendance__in=[Att.PRESENT, Att.LATE]
    ).exists()
    if not attended:
        raise ServiceError(_("Only people who attended can rate the activity."))
    try:
        with transaction.atomic():
            fb = Feedback.objects.create(
                activity=activity,
                person=person,
                rating=rating,
                comment=(comment or "").strip()[:2000],
            )
    except IntegrityError:
        raise ServiceError(_("You already rated this activity. Thank you!")) from None
    Activity.objects.filter(pk=activity.pk).update(
        feedback_count=F("feedback_count") + 1, rating_total=F("rating_total") + rating
    )
    return fb
