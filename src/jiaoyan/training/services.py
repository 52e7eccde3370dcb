"""Every write of training: programmes and their sessions, quotas, enrolment (open,
nomination within a school's quota, invitation) with the waitlist, check-in and imported
attendance, assignments and their grading, feedback, and completion with the hours it
credits. Each checks ``can`` first, refuses bad input with a ``ServiceError`` (nothing
written) and writes an audit row.

Concurrency: every change to who holds a seat runs under the programme's row lock
(``SELECT … FOR UPDATE``), so two people taking the last seat are served one after the
other: one is enrolled, the other waits on the list; a withdrawal promotes the first one
waiting in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.activities import codes
from jiaoyan.activities.services import CHECKIN_CLOSES, CHECKIN_OPENS, LATE_AFTER
from jiaoyan.core import audit, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.paths import OFFICE_KINDS, nearest, region_id
from jiaoyan.core.resolve import resolve, resolve_many, resolve_optional
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, locked, require, user_scopes
from jiaoyan.core.services import apply_changes, check_version, clean_link, clean_text
from jiaoyan.hours.models import HoursCategory, HoursRecord
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import (
    Assignment,
    Attendance,
    Cohort,
    Enrolment,
    Feedback,
    Programme,
    Quota,
    Session,
    Submission,
)

Action = AuditLog.Action
PStatus = Programme.Status
EStatus = Enrolment.Status

MAX_SESSION_HOURS = Decimal("24")
MAX_SCORE = Decimal("1000")
# What a submission may be: documents, slides, sheets, pictures, archives. Never HTML,
# scripts or programs; files are always served as downloads (``stored_file_response``).
SUBMISSION_TYPES = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".ppt",
        ".pptx",
        ".xls",
        ".xlsx",
        ".txt",
        ".md",
        ".jpg",
        ".jpeg",
        ".png",
        ".zip",
        ".rar",
        ".7z",
        ".mp3",
        ".mp4",
    }
)

EDITABLE = (
    "title",
    "description",
    "cohorts",
    "tier",
    "format",
    "category",
    "capacity",
    "mode",
    "min_attendance",
    "assignment_required",
    "assignment_pass_mark",
    "test_pass_mark",
    "hours_mode",
)


# --- helpers -------------------------------------------------------------------------------


def _person_of(actor) -> Person:
    person = getattr(actor, "person", None) if actor is not None else None
    if person is None:
        raise ServiceError(_("Your account is not linked to a person, so you cannot take part."))
    return person


def _level_of(unit: OrgUnit) -> str:
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return Programme.Level.SCHOOL
    if unit.level == OrgUnit.Level.TOWN:
        return Programme.Level.COUNTY
    return unit.level if unit.level in Programme.Level.values else Programme.Level.CITY


def cohort_of(person: Person, roles: Iterable[str] | None = None) -> str:
    """The cohort a person counts in: principal, researcher, otherwise teacher."""
    if roles is None:
        from jiaoyan.people.models import RoleAssignment

        roles = RoleAssignment.objects.filter(person=person, is_active=True).values_list(
            "role", flat=True
        )
    roles = set(roles)
    if Role.PRINCIPAL in roles:
        return Cohort.PRINCIPAL
    if Role.RESEARCHER in roles:
        return Cohort.RESEARCHER
    return Cohort.TEACHER


def _decimal(value: Any, *, field: str, label: str, low=Decimal("0"), high=MAX_SCORE):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            _("%(label)s must be a number.") % {"label": label}, field=field
        ) from None
    if not number.is_finite() or number < low or number > high:
        raise ServiceError(
            _("%(label)s must lie between %(low)s and %(high)s.")
            % {"label": label, "low": low, "high": high},
            field=field,
        )
    return number.quantize(Decimal("0.1"))


def categories_for(unit: OrgUnit) -> list[HoursCategory]:
    """The hours categories offered to a programme of ``unit``: those of the nearest
    bureau above it (or at it) that set any (``core.paths.nearest``, as hours' rules)."""
    ids = unit.ancestor_ids
    rows = (
        HoursCategory.objects.filter(
            Q(org_unit_id__in=ids)
            | Q(org_unit__parent_id__in=ids, org_unit__kind__in=OFFICE_KINDS),
            active=True,
        )
        .select_related("org_unit")
        .order_by("order", "id")
    )
    by_region: dict[int, list[HoursCategory]] = defaultdict(list)
    for c in rows:
        u = c.org_unit
        by_region[region_id(u.pk, u.kind, u.parent_id)].append(c)
    return nearest(by_region, unit.path) or []


def _clean_cohorts(value: Any) -> str:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    items = [str(v).strip() for v in (value or [])]
    if not items:
        raise ServiceError(_("Choose at least one cohort."), field="cohorts")
    bad = [v for v in items if v not in Cohort.values]
    if bad:
        raise ServiceError(_("Unknown cohort “%(value)s”.") % {"value": bad[0]}, field="cohorts")
    return ",".join(c for c in Cohort.values if c in items)


def _clean_programme(data: dict[str, Any], org_unit: OrgUnit, actor) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_text(
            data["title"], field="title", label=_("Title"), limit=120, required=True
        )
    if "description" in data:
        out["description"] = clean_text(
            data["description"], field="description", label=_("Description"), limit=5000
        )
    if "cohorts" in data:
        out["cohorts"] = _clean_cohorts(data["cohorts"])
    for name, choices, label in (
        ("tier", Programme.Tier, _("Tier")),
        ("format", Programme.Format, _("Format")),
        ("mode", Programme.Mode, _("Enrolment")),
        ("hours_mode", Programme.HoursMode, _("Hours granted")),
    ):
        if name in data:
            if data[name] not in choices.values:
                raise ServiceError(
                    _("Choose a value for “%(label)s”.") % {"label": label}, field=name
                )
            out[name] = data[name]
    if "category" in data:
        cat = data["category"]
        if cat in (None, ""):
            out["category"] = None
        else:
            allowed = {c.pk: c for c in categories_for(org_unit)}
            pk = cat.pk if isinstance(cat, HoursCategory) else cat
            try:
                found = allowed.get(int(pk))
            except (TypeError, ValueError):
                found = None
            if found is None:
                raise ServiceError(
                    _("This hours category is not one the organiser's bureau set."),
                    field="category",
                )
            out["category"] = found
    if "capacity" in data:
        cap = data["capacity"]
        if cap in (None, ""):
            out["capacity"] = None
        else:
            try:
                cap = int(cap)
            except (TypeError, ValueError):
                raise ServiceError(
                    _("The capacity must be a whole number."), field="capacity"
                ) from None
            if cap < 1 or cap > 100000:
                raise ServiceError(
                    _("The capacity must lie between 1 and 100000."), field="capacity"
                )
            out["capacity"] = cap
    if "min_attendance" in data:
        try:
            share = int(data["min_attendance"])
        except (TypeError, ValueError):
            share = -1
        if share < 0 or share > 100:
            raise ServiceError(
                _("The minimum attendance is a percentage between 0 and 100."),
                field="min_attendance",
            )
        out["min_attendance"] = share
    if "assignment_required" in data:
        out["assignment_required"] = bool(data["assignment_required"])
    for name, label in (
        ("assignment_pass_mark", _("The assignment pass mark")),
        ("test_pass_mark", _("The test pass mark")),
    ):
        if name in data:
            out[name] = _decimal(data[name], field=name, label=label)
    return out


def _check_rule(p: Programme) -> None:
    if p.assignment_required and p.assignment_pass_mark is None:
        raise ServiceError(
            _("An assignment is required: give its pass mark."), field="assignment_pass_mark"
        )


# --- programmes ----------------------------------------------------------------------------


@transaction.atomic
def create_programme(
    *,
    actor,
    org_unit: Any,
    title: str,
    cohorts: Any,
    tier: str,
    format: str,
    mode: str,
    description: str = "",
    category: Any = None,
    capacity: Any = None,
    min_attendance: Any = 80,
    assignment_required: bool = False,
    assignment_pass_mark: Any = None,
    test_pass_mark: Any = None,
    hours_mode: str = Programme.HoursMode.ALL,
) -> Programme:
    """A new programme (a draft) of the organiser unit ``org_unit`` (id or code)."""
    unit = resolve(actor, OrgUnit, org_unit, field="org_unit")
    require(actor, "add", Programme(org_unit=unit))
    data = _clean_programme(
        {
            "title": title,
            "description": description,
            "cohorts": cohorts,
            "tier": tier,
            "format": format,
            "mode": mode,
            "hours_mode": hours_mode,
            "category": category,
            "capacity": capacity,
            "min_attendance": min_attendance,
            "assignment_required": assignment_required,
            "assignment_pass_mark": assignment_pass_mark,
            "test_pass_mark": test_pass_mark,
        },
        unit,
        actor,
    )
    p = Programme(org_unit=unit, level=_level_of(unit), created_by=actor, **data)
    _check_rule(p)
    p.save()
    audit.record(actor, p, Action.CREATE, audit.snapshot(p, ["title", "org_unit", *data]))
    return p


@transaction.atomic
def update_programme(
    *,
    actor,
    programme: Programme,
    expected_version: int | None = None,
    data: Mapping[str, Any] | None = None,
    **changes: Any,
) -> Programme:
    """Change the fields ``data`` (the API's PATCH) or ``changes`` (a form) name."""
    changes = {**(data or {}), **changes}
    p = locked(actor, "change", programme)
    if p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    data = _clean_programme(changes, p.org_unit, actor)
    if "capacity" in data and data["capacity"] is not None and data["capacity"] < p.enrolled_count:
        raise ServiceError(
            _("%(n)d people are enrolled already: the capacity cannot be smaller.")
            % {"n": p.enrolled_count},
            field="capacity",
        )
    apply_changes(actor, p, data, list(data), expected_version=expected_version)
    p.refresh_from_db()
    _check_rule(p)
    if "capacity" in data:
        _fill_from_waitlist(p)
    return p


@transaction.atomic
def set_status(*, actor, programme: Programme, status: str) -> Programme:
    """Open a draft for enrolment, or start it (running). Closing is :func:`close_programme`."""
    p = locked(actor, "change", programme)
    allowed = {
        PStatus.DRAFT: {PStatus.OPEN},
        PStatus.OPEN: {PStatus.RUNNING, PStatus.DRAFT},
        PStatus.RUNNING: {PStatus.OPEN},
    }
    if status not in allowed.get(p.status, set()):
        raise ServiceError(
            _("A programme that is “%(status)s” cannot go to this status.")
            % {"status": p.get_status_display()}
        )
    if status != PStatus.DRAFT and not p.sessions.exists():
        raise ServiceError(_("Add at least one session first."))
    apply_changes(actor, p, {"status": status}, ["status"])
    return p


def open_programme(*, actor, programme: Programme) -> Programme:
    return set_status(actor=actor, programme=programme, status=PStatus.OPEN)


def _refresh_totals(p: Programme) -> None:
    agg = p.sessions.aggregate(total=Sum("hours"), first=models_min("starts_at"))
    first = agg["first"]
    Programme.objects.filter(pk=p.pk).update(
        total_hours=agg["total"] or 0,
        starts_on=timezone.localtime(first).date() if first else None,
    )


def models_min(field: str):
    from django.db.models import Min

    return Min(field)


# --- sessions --------------------------------------------------------------------------------


def _clean_session(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["title"] = clean_text(
        data.get("title"), field="title", label=_("Title"), limit=120, required=True
    )
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is None:
        raise ServiceError(_("The start time is required."), field="starts_at")
    if ends is None:
        raise ServiceError(_("The end time is required."), field="ends_at")
    if ends <= starts:
        raise ServiceError(_("The session must end after it starts."), field="ends_at")
    out["starts_at"], out["ends_at"] = starts, ends
    out["place"] = clean_text(data.get("place"), field="place", label=_("Place"), limit=200)
    out["link"] = clean_link(data.get("link"), field="link")
    if not out["place"] and not out["link"]:
        raise ServiceError(_("Give the place or the online link."), field="place")
    hours = _decimal(
        data.get("hours"),
        field="hours",
        label=_("Hours"),
        low=Decimal("0.1"),
        high=MAX_SESSION_HOURS,
    )
    if hours is None:
        raise ServiceError(_("The hours of the session are required."), field="hours")
    out["hours"] = hours
    return out


@transaction.atomic
def add_session(
    *,
    actor,
    programme: Programme,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    hours: Any,
    place: str = "",
    link: str = "",
) -> Session:
    p = locked(actor, "change", programme)
    if p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    data = _clean_session(
        {
            "title": title,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "hours": hours,
            "place": place,
            "link": link,
        }
    )
    s = Session(programme=p, checkin_secret=codes.new_secret(), **data)
    require(actor, "add", s)
    s.save()
    _refresh_totals(p)
    audit.record(actor, s, Action.CREATE, audit.snapshot(s, list(data)))
    return s


@transaction.atomic
def update_session(
    *, actor, session: Session, expected_version: int | None = None, **changes: Any
) -> Session:
    s = locked(actor, "change", session)
    if s.programme.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    current = {
        f: getattr(s, f) for f in ("title", "starts_at", "ends_at", "hours", "place", "link")
    }
    data = _clean_session({**current, **changes})
    apply_changes(actor, s, data, list(changes), expected_version=expected_version)
    _refresh_totals(s.programme)
    return s


@transaction.atomic
def delete_session(*, actor, session: Session) -> None:
    s = locked(actor, "delete", session)
    if s.attendance.exists():
        raise ServiceError(_("People checked in to this session: it cannot be deleted."))
    p = s.programme
    audit.record(actor, s, Action.DELETE, message=str(s))
    s.delete()
    _refresh_totals(p)


# --- quotas ----------------------------------------------------------------------------------


@transaction.atomic
def set_quota(*, actor, programme: Programme, school: Any, seats: Any) -> Quota:
    """How many people ``school`` may nominate (0 removes none already nominated)."""
    p = locked(actor, "change", programme)
    unit = resolve(actor, OrgUnit, school, field="school")
    if unit.kind != OrgUnit.Kind.SCHOOL:
        raise ServiceError(_("Quotas are given to schools."), field="school")
    try:
        seats = int(seats)
    except (TypeError, ValueError):
        raise ServiceError(_("The seats must be a whole number."), field="seats") from None
    if seats < 0 or seats > 10000:
        raise ServiceError(_("The seats must lie between 0 and 10000."), field="seats")
    quota = Quota.objects.select_for_update().filter(programme=p, school=unit).first()
    if quota is None:
        quota = Quota(programme=p, school=unit, seats=seats)
        require(actor, "add", quota)
        quota.save()
        audit.record(actor, p, Action.UPDATE, {"quota": [None, f"{unit.name}:{seats}"]})
        return quota
    if seats < quota.used:
        raise ServiceError(
            _("%(school)s has nominated %(n)d people already: the quota cannot be smaller.")
            % {"school": unit.name, "n": quota.used},
            field="seats",
        )
    audit.record(
        actor, p, Action.UPDATE, {"quota": [f"{unit.name}:{quota.seats}", f"{unit.name}:{seats}"]}
    )
    quota.seats = seats
    quota.save(update_fields=["seats"])
    return quota


# --- enrolment -------------------------------------------------------------------------------


def _lock_programme(programme: Programme) -> Programme:
    """The programme's row under a lock: every seat change is served one at a time."""
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _place(p: Programme, e: Enrolment, now: dt.datetime) -> None:
    """Give ``e`` a seat when one is free, else put it at the end of the waitlist; counted
    on ``p`` in memory (the caller writes the counts)."""
    if p.capacity is None or p.enrolled_count < p.capacity:
        e.status = EStatus.ENROLLED
        e.waitlisted_at = None
        p.enrolled_count += 1
    else:
        e.status = EStatus.WAITLISTED
        e.waitlisted_at = now
        p.waitlist_count += 1


def _seat_or_wait(p: Programme, e: Enrolment, now: dt.datetime) -> None:
    """Give ``e`` a seat when one is free, else put it at the end of the waitlist."""
    _place(p, e, now)
    if e.status == EStatus.ENROLLED:
        Programme.objects.filter(pk=p.pk).update(enrolled_count=F("enrolled_count") + 1)
    else:
        Programme.objects.filter(pk=p.pk).update(waitlist_count=F("waitlist_count") + 1)


def _enrol(
    p: Programme,
    person: Person,
    *,
    actor,
    via: str,
    school: OrgUnit | None = None,
) -> Enrolment:
    """Inside the programme's lock: a new enrolment, or a withdrawn one back again."""
    now = timezone.now()
    e = Enrolment.objects.select_for_update().filter(programme=p, person=person).first()
    if e is not None and e.status != EStatus.WITHDRAWN:
        raise ServiceError(
            _("%(name)s is already on this programme (%(status)s).")
            % {"name": person.name, "status": e.get_status_display()}
        )
    if e is None:
        e = Enrolment(programme=p, person=person)
    e.school = school or person.org_unit
    e.cohort = cohort_of(person)
    e.via = via
    e.enrolled_at = now
    e.withdrawn_at = None
    e.added_by = actor
    _seat_or_wait(p, e, now)
    e.save()
    return e


def _check_enrolling(p: Programme) -> None:
    if not p.enrolling:
        raise ServiceError(
            _("The programme is “%(status)s”: it takes no enrolments.")
            % {"status": p.get_status_display()}
        )


def _check_cohort(p: Programme, person: Person) -> None:
    cohort = cohort_of(person)
    if cohort not in p.cohort_list:
        raise ServiceError(
            _("This programme is for %(cohorts)s; %(name)s counts among the %(cohort)s.")
            % {
                "cohorts": p.get_cohorts_display(),
                "name": person.name,
                "cohort": Cohort(cohort).label,
            }
        )


@transaction.atomic
def enrol(*, actor, programme: Programme) -> Enrolment:
    """The actor enrols themselves in an open programme (or joins its waitlist)."""
    person = _person_of(actor)
    p = _lock_programme(programme)
    if not can(actor, "view", p):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if p.mode != Programme.Mode.OPEN:
        raise ServiceError(_("This programme takes participants by nomination or invitation only."))
    _check_enrolling(p)
    _check_cohort(p, person)
    e = _enrol(p, person, actor=actor, via=Enrolment.Via.OPEN)
    audit.record(actor, e, Action.CREATE, {"status": [None, e.status]})
    return e


@transaction.atomic
def nominate(*, actor, programme: Programme, person: Any) -> Enrolment:
    """A school nominates one of its people, within its quota."""
    p = _lock_programme(programme)
    if not can(actor, "view", p):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if p.mode != Programme.Mode.NOMINATION:
        raise ServiceError(_("This programme does not take nominations."))
    _check_enrolling(p)
    who = resolve(actor, Person, person, field="person")
    school = who.org_unit
    if not _may_nominate(actor, school):
        raise PermissionDenied(_("Only the school's principal or an admin above it nominates."))
    quota = Quota.objects.select_for_update().filter(programme=p, school=school).first()
    if quota is None or quota.used >= quota.seats:
        raise ServiceError(
            _("%(school)s has no seat left in its quota (%(used)d of %(seats)d nominated).")
            % {
                "school": school.name,
                "used": quota.used if quota else 0,
                "seats": quota.seats if quota else 0,
            },
            field="person",
        )
    _check_cohort(p, who)
    e = _enrol(p, who, actor=actor, via=Enrolment.Via.NOMINATION, school=school)
    Quota.objects.filter(pk=quota.pk).update(used=F("used") + 1)
    audit.record(actor, e, Action.CREATE, {"status": [None, e.status], "via": [None, e.via]})
    return e


def _may_nominate(actor, school: OrgUnit) -> bool:
    from jiaoyan.core.paths import is_under

    from .models import NOMINATORS

    if actor.is_superuser:
        return True
    return any(s.role in NOMINATORS and is_under(school.path, s.path) for s in user_scopes(actor))


@transaction.atomic
def invite(*, actor, programme: Programme, people: Iterable[Any]) -> list[Enrolment]:
    """The organiser enrols people (staff numbers or ids it may see) directly. Those not on
    the programme yet (or withdrawn from it) take the free seats in the order given, the
    rest wait; the others are left as they are. A fixed number of statements whatever the
    number of people: one batched insert of the enrolments and one of their audit rows."""
    p = _lock_programme(programme)
    require(actor, "change", p)
    _check_enrolling(p)
    found = resolve_many(actor, Person, list(people), field="people")
    if not found:
        raise ServiceError(_("Name at least one person."), field="people")
    from jiaoyan.people.models import RoleAssignment

    ids = [who.pk for who in found]
    existing = {
        e.person_id: e
        for e in Enrolment.objects.select_for_update().filter(programme=p, person_id__in=ids)
    }
    roles: dict[int, set[str]] = defaultdict(set)
    for person_id, role in RoleAssignment.objects.filter(
        person_id__in=ids, is_active=True
    ).values_list("person_id", "role"):
        roles[person_id].add(role)
    now = timezone.now()
    enrolled, waiting = p.enrolled_count, p.waitlist_count
    new: list[Enrolment] = []
    back: list[Enrolment] = []
    out: list[Enrolment] = []
    for who in found:
        e = existing.get(who.pk)
        if e is not None and e.status != EStatus.WITHDRAWN:
            continue
        if e is None:
            e = Enrolment(programme=p, person=who)
            new.append(e)
        else:
            e.person = who
            back.append(e)
        e.school_id = who.org_unit_id
        e.cohort = cohort_of(who, roles[who.pk])
        e.via = Enrolment.Via.INVITATION
        e.enrolled_at = now
        e.withdrawn_at = None
        e.added_by = actor
        # Those who wait are served in the order given (the waitlist is by this moment).
        _place(p, e, now + dt.timedelta(microseconds=len(out)))
        out.append(e)
    if back:
        fields = ["school", "cohort", "via", "status", "enrolled_at", "waitlisted_at"]
        Enrolment.objects.bulk_update(back, [*fields, "withdrawn_at", "added_by"])
    Enrolment.objects.bulk_create(new)
    Programme.objects.filter(pk=p.pk).update(
        enrolled_count=F("enrolled_count") + (p.enrolled_count - enrolled),
        waitlist_count=F("waitlist_count") + (p.waitlist_count - waiting),
    )
    path = OrgUnit.objects.filter(pk=p.org_unit_id).values_list("path", flat=True).get()
    AuditLog.objects.bulk_create(
        audit.build(
            actor,
            e,
            Action.CREATE,
            {"status": [None, e.status], "via": [None, e.via]},
            unit_path=path,
        )
        for e in out
    )
    return out


def _promote_first(p: Programme) -> Enrolment | None:
    """Inside the programme's lock: the first one waiting takes the free seat."""
    if p.capacity is not None and p.enrolled_count >= p.capacity:
        return None
    first = (
        Enrolment.objects.select_for_update()
        .filter(programme=p, status=EStatus.WAITLISTED)
        .order_by("waitlisted_at", "id")
        .first()
    )
    if first is None:
        return None
    first.status = EStatus.ENROLLED
    first.waitlisted_at = None
    first.save(update_fields=["status", "waitlisted_at"])
    p.enrolled_count += 1
    p.waitlist_count -= 1
    Programme.objects.filter(pk=p.pk).update(
        enrolled_count=F("enrolled_count") + 1, waitlist_count=F("waitlist_count") - 1
    )
    audit.record(
        None,
        first,
        Action.UPDATE,
        {"status": [EStatus.WAITLISTED, EStatus.ENROLLED]},
        message=_("Promoted from the waitlist"),
    )
    from jiaoyan.core.notifications import notify

    user_id = first.person.user_id
    if user_id:
        transaction.on_commit(
            lambda: notify(
                [user_id],
                title=_("A seat became free: you are now enrolled in “%(title)s”.")
                % {"title": p.title},
                url=p.get_absolute_url(),
            )
        )
    return first


def _fill_from_waitlist(p: Programme) -> None:
    p = _lock_programme(p)
    while _promote_first(p) is not None:
        pass


@transaction.atomic
def withdraw(*, actor, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """The participant (or the organiser) withdraws; the first one waiting moves up."""
    p = _lock_programme(enrolment.programme)
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    own = e.person.user_id == actor.pk
    if not own:
        require(actor, "change", e)
    if p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    if e.status == EStatus.WITHDRAWN:
        raise ServiceError(_("This enrolment was withdrawn already."))
    was = e.status
    e.status = EStatus.WITHDRAWN
    e.withdrawn_at = timezone.now()
    e.waitlisted_at = None
    e.save(update_fields=["status", "withdrawn_at", "waitlisted_at"])
    if was == EStatus.ENROLLED:
        p.enrolled_count -= 1
        Programme.objects.filter(pk=p.pk).update(enrolled_count=F("enrolled_count") - 1)
    else:
        p.waitlist_count -= 1
        Programme.objects.filter(pk=p.pk).update(waitlist_count=F("waitlist_count") - 1)
    if e.via == Enrolment.Via.NOMINATION:
        Quota.objects.filter(programme=p, school_id=e.school_id, used__gt=0).update(
            used=F("used") - 1
        )
    audit.record(
        actor, e, Action.UPDATE, {"status": [was, EStatus.WITHDRAWN]}, message=reason[:300]
    )
    if was == EStatus.ENROLLED:
        _promote_first(p)
    return e


def withdraw_mine(*, actor, programme: Programme) -> Enrolment:
    person = _person_of(actor)
    e = Enrolment.objects.filter(programme=programme, person=person).first()
    if e is None:
        raise ServiceError(_("You are not on this programme."))
    return withdraw(actor=actor, enrolment=e)


# --- attendance ------------------------------------------------------------------------------


def _check_window(session: Session, now: dt.datetime) -> None:
    """Refuse a check-in outside the session's window: the activities' window and
    lateness (``CHECKIN_OPENS``, ``CHECKIN_CLOSES``, ``LATE_AFTER``), one rule for both."""
    p = session.programme
    if p.status not in {PStatus.OPEN, PStatus.RUNNING}:
        raise ServiceError(
            _("Check-in is closed: the programme is “%(status)s”.")
            % {"status": p.get_status_display()}
        )
    if now < session.starts_at - CHECKIN_OPENS:
        opens = timezone.localtime(session.starts_at - CHECKIN_OPENS)
        raise ServiceError(_("Check-in opens at %(time)s.") % {"time": f"{opens:%Y-%m-%d %H:%M}"})
    if now > session.ends_at + CHECKIN_CLOSES:
        raise ServiceError(_("Check-in has closed: the session is over."))


def check_in(
    *, actor, session: Session, code: str, method: str = Attendance.Method.CODE
) -> tuple[Attendance, bool]:
    """Check the actor in to a session with its code (typed, or in the QR link).

    The code, its rate limit and its window come from the activities' check-in
    (``activities.services.checkin.verify_code``). Only enrolled participants check in.
    Returns (attendance, newly checked in)."""
    from jiaoyan.activities.services.checkin import verify_code

    session = Session.objects.select_related("programme").get(pk=session.pk)
    person = _person_of(actor)
    e = Enrolment.objects.filter(programme_id=session.programme_id, person=person).first()
    if e is None or e.status != EStatus.ENROLLED:
        raise ServiceError(_("You are not enrolled in this programme, so you cannot check in."))
    now = timezone.now()
    verify_code(actor, [session], code, now=now, before=lambda: _check_window(session, now))
    return _record_check_in(session, person, method, now)


@transaction.atomic
def _record_check_in(session, person, method, now) -> tuple[Attendance, bool]:
    Session.objects.select_for_update().filter(pk=session.pk).first()
    a = Attendance.objects.filter(session=session, person=person).first()
    if a is not None and a.attended:
        return a, False
    status = (
        Attendance.Status.LATE
        if now > session.starts_at + LATE_AFTER
        else (Attendance.Status.PRESENT)
    )
    if a is None:
        a = Attendance.objects.create(
            session=session, person=person, status=status, method=method, checked_in_at=now
        )
    else:
        a.status, a.method, a.checked_in_at = status, method, now
        a.save(update_fields=["status", "method", "checked_in_at"])
    Session.objects.filter(pk=session.pk).update(present_count=F("present_count") + 1)
    Programme.objects.filter(pk=session.programme_id, status=PStatus.OPEN).update(
        status=PStatus.RUNNING
    )
    return a, True


def write_attendance(
    session: Session, marks: Mapping[int, tuple[str, dt.datetime | None]], *, actor
) -> tuple[int, int, int]:
    """Set the attendance of many people at one session (an import): person id ->
    (status, time). Returns (created, updated, unchanged). Runs in the caller's
    transaction after its checks."""
    existing = {a.person_id: a for a in Attendance.objects.filter(session=session)}
    new, changed, same = [], [], 0
    for pid, (status, at) in marks.items():
        a = existing.get(pid)
        if a is None:
            new.append(
                Attendance(
                    session=session,
                    person_id=pid,
                    status=status,
                    method=Attendance.Method.IMPORT,
                    checked_in_at=at,
                )
            )
        elif a.status == status and (at is None or a.checked_in_at == at):
            same += 1
        else:
            a.status = status
            a.method = Attendance.Method.IMPORT
            if at is not None:
                a.checked_in_at = at
            changed.append(a)
    Attendance.objects.bulk_create(new, batch_size=2000)
    Attendance.objects.bulk_update(changed, ["status", "method", "checked_in_at"], batch_size=2000)
    present = Attendance.objects.filter(
        session=session, status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE]
    ).count()
    Session.objects.filter(pk=session.pk).update(present_count=present)
    if new or changed:
        audit.record(
            actor,
            session,
            Action.UPDATE,
            {"attendance": [None, f"+{len(new)} ~{len(changed)}"]},
            message=_("Attendance imported"),
        )
    return len(new), len(changed), same


# --- assignments -----------------------------------------------------------------------------


@transaction.atomic
def add_assignment(
    *,
    actor,
    programme: Programme,
    title: str,
    deadline: dt.datetime | None,
    instructions: str = "",
    max_score: Any = 100,
) -> Assignment:
    p = locked(actor, "change", programme)
    if p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    title = clean_text(title, field="title", label=_("Title"), limit=120, required=True)
    if deadline is None:
        raise ServiceError(_("The deadline is required."), field="deadline")
    full = _decimal(max_score, field="max_score", label=_("Full marks"), low=Decimal("1"))
    a = Assignment(
        programme=p,
        title=title,
        deadline=deadline,
        instructions=clean_text(
            instructions, field="instructions", label=_("Instructions"), limit=5000
        ),
        max_score=full or Decimal("100"),
    )
    require(actor, "add", a)
    a.save()
    audit.record(actor, a, Action.CREATE, audit.snapshot(a, ["title", "deadline", "max_score"]))
    return a


def _check_upload(upload) -> str:
    """The clean name of a submission's file (``core.uploads.check_file``: size, no pages,
    scripts or programs), of one of the kinds a submission may be; "" for none."""
    if upload is None:
        return ""
    name = uploads.check_file(upload, "attachment")
    ext = os.path.splitext(name)[1].lower()
    if ext not in SUBMISSION_TYPES:
        raise ServiceError(
            _("Files of type “%(ext)s” are not accepted. Accepted: %(types)s")
            % {"ext": ext or "?", "types": " ".join(sorted(SUBMISSION_TYPES))},
            field="file",
        )
    return name


@transaction.atomic
def submit(*, actor, assignment: Assignment, text: str = "", file=None) -> Submission:
    """The participant hands in (or, once returned, hands in again) before the deadline."""
    person = _person_of(actor)
    a = Assignment.objects.select_related("programme").get(pk=assignment.pk)
    e = Enrolment.objects.filter(programme_id=a.programme_id, person=person).first()
    if e is None or e.status != EStatus.ENROLLED:
        raise ServiceError(_("You are not enrolled in this programme."))
    if a.programme.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    if timezone.now() > a.deadline:
        deadline = timezone.localtime(a.deadline)
        raise ServiceError(
            _("The deadline (%(time)s) has passed.") % {"time": f"{deadline:%Y-%m-%d %H:%M}"}
        )
    text = clean_text(text, field="text", label=_("Text"), limit=20000)
    name = _check_upload(file)
    if not text and file is None:
        raise ServiceError(_("Write your answer or attach a file."), field="text")
    s = Submission.objects.select_for_update().filter(assignment=a, person=person).first()
    if s is not None:
        if s.status != Submission.Status.RETURNED:
            raise ServiceError(_("You have handed this in already."))
        if s.resubmitted:
            raise ServiceError(_("This work was resubmitted once already."))
        s.resubmitted = True
    else:
        s = Submission(assignment=a, person=person)
    s.text = text
    s.status = Submission.Status.SUBMITTED
    s.submitted_at = timezone.now()
    s.score = None
    if file is not None:
        s.file = file
        s.file_name = name
    s.save()
    audit.record(
        actor,
        s,
        Action.CREATE if not s.resubmitted else Action.UPDATE,
        {"status": [None, s.status]},
    )
    return s


@transaction.atomic
def grade(
    *, actor, submission: Submission, score: Any = None, comment: str = "", return_it: bool = False
) -> Submission:
    """The grader scores and comments; or returns it once for resubmission."""
    s = locked(actor, "change", submission)
    a = s.assignment
    if a.programme.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    comment = clean_text(comment, field="comment", label=_("Comment"), limit=5000)
    was = s.status
    if return_it:
        if s.resubmitted:
            raise ServiceError(
                _("This work was resubmitted once already: grade it."), field="score"
            )
        if not comment:
            raise ServiceError(_("Say what to improve when returning work."), field="comment")
        s.status = Submission.Status.RETURNED
        s.score = None
    else:
        value = _decimal(score, field="score", label=_("The score"), high=a.max_score)
        if value is None:
            raise ServiceError(_("Give a score."), field="score")
        s.score = value
        s.status = Submission.Status.GRADED
    s.comment = comment
    s.graded_by = actor
    s.graded_at = timezone.now()
    s.save(update_fields=["status", "score", "comment", "graded_by", "graded_at"])
    audit.record(
        actor, s, Action.UPDATE, {"status": [was, s.status], "score": [None, str(s.score)]}
    )
    return s


@transaction.atomic
def set_test_scores(*, actor, programme: Programme, scores: Mapping[Any, Any]) -> int:
    """Record test scores: person (staff number or id) -> score. Returns how many."""
    p = locked(actor, "change", programme)
    if p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed: nothing can be changed any more."))
    people = resolve_many(actor, Person, list(scores), field="scores")
    by_key = {}
    for key, person in zip(scores, people, strict=False):
        by_key[person.pk] = _decimal(scores[key], field="scores", label=_("The test score"))
    rows = list(Enrolment.objects.filter(programme=p, person_id__in=list(by_key)))
    if len(rows) != len(by_key):
        raise ServiceError(_("Some of these people are not on the programme."), field="scores")
    for e in rows:
        e.test_score = by_key[e.person_id]
    Enrolment.objects.bulk_update(rows, ["test_score"])
    audit.record(actor, p, Action.UPDATE, {"test_scores": [None, len(rows)]})
    return len(rows)


# --- feedback --------------------------------------------------------------------------------


@transaction.atomic
def give_feedback(
    *, actor, programme: Programme, rating: Any, comment: str = "", session: Any = None
) -> Feedback:
    """A participant's 1–5 rating of the programme, or of one of its sessions (a
    Session or its id), once each."""
    person = _person_of(actor)
    e = Enrolment.objects.filter(programme=programme, person=person).first()
    if e is None or e.status != EStatus.ENROLLED:
        raise ServiceError(_("You are not enrolled in this programme."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if rating < 1 or rating > 5:
        raise ServiceError(_("Give a rating from 1 to 5."), field="rating")
    if session not in (None, ""):
        pk = session.pk if isinstance(session, Session) else session
        try:
            session = Session.objects.filter(programme=programme, pk=int(pk)).first()
        except (TypeError, ValueError):
            session = None
        if session is None:
            raise ServiceError(_("This session is not part of the programme."), field="session")
    else:
        session = None
    if Feedback.objects.filter(programme=programme, session=session, person=person).exists():
        raise ServiceError(_("You gave your feedback already."))
    f = Feedback.objects.create(
        programme=programme,
        session=session,
        person=person,
        rating=rating,
        comment=clean_text(comment, field="comment", label=_("Comment"), limit=500),
    )
    audit.record(actor, f, Action.CREATE, {"rating": [None, rating]})
    return f


# --- completion ------------------------------------------------------------------------------


def compute(programme: Programme) -> dict[int, dict[str, Any]]:
    """The outcome of every enrolled participant from the programme's rule, without
    writing: enrolment id -> {"ok", "missed", "attended", "hours"}.

    ``missed`` lists exactly which condition failed, with the numbers:
    ``{"code": "attendance", "have": 2, "need": 3, "of": 4}``,
    ``{"code": "assignment", "title": …, "have": 55.0 | None, "need": 60.0}``,
    ``{"code": "test", "have": 50.0 | None, "need": 60.0}``. A few queries whatever the
    number of participants.
    """
    p = programme
    sessions = {s.pk: s.hours for s in Session.objects.filter(programme=p)}
    n_sessions = len(sessions)
    need = -(-p.min_attendance * n_sessions // 100)  # ceiling of the share
    enrolled = list(
        Enrolment.objects.filter(programme=p, status=EStatus.ENROLLED).values_list(
            "pk", "person_id", "test_score"
        )
    )
    attended: dict[int, list[int]] = defaultdict(list)
    for pid, sid in Attendance.objects.filter(
        session__programme=p, status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE]
    ).values_list("person_id", "session_id"):
        attended[pid].append(sid)
    assignments = list(Assignment.objects.filter(programme=p).order_by("deadline", "id"))
    scores: dict[tuple[int, int], Decimal | None] = {}
    if p.assignment_required and assignments:
        for aid, pid, score, status in Submission.objects.filter(
            assignment__programme=p
        ).values_list("assignment_id", "person_id", "score", "status"):
            scores[(aid, pid)] = score if status == Submission.Status.GRADED else None
    total = sum(sessions.values(), Decimal("0"))
    out: dict[int, dict[str, Any]] = {}
    for eid, pid, test in enrolled:
        missed: list[dict[str, Any]] = []
        mine = attended.get(pid, [])
        if len(mine) < need:
            missed.append({"code": "attendance", "have": len(mine), "need": need, "of": n_sessions})
        if p.assignment_required:
            mark = p.assignment_pass_mark or Decimal("0")
            if not assignments:
                pass  # nothing was set: nothing can be missed
            for a in assignments:
                got = scores.get((a.pk, pid))
                if got is None or got < mark:
                    missed.append(
                        {
                            "code": "assignment",
                            "title": a.title,
                            "have": None if got is None else float(got),
                            "need": float(mark),
                        }
                    )
        if p.test_pass_mark is not None and (test is None or test < p.test_pass_mark):
            missed.append(
                {
                    "code": "test",
                    "have": None if test is None else float(test),
                    "need": float(p.test_pass_mark),
                }
            )
        if p.hours_mode == Programme.HoursMode.PER_SESSION:
            hours = sum((sessions[s] for s in mine if s in sessions), Decimal("0"))
        else:
            hours = total
        out[eid] = {
            "ok": not missed,
            "missed": missed,
            "attended": len(mine),
            "hours": hours,
            "person_id": pid,
        }
    return out


def missed_text(item: Mapping[str, Any]) -> str:
    """One missed condition in words (Chinese through the catalogue)."""
    code = item.get("code")
    if code == "attendance":
        return _("Attended %(have)d of %(of)d sessions; at least %(need)d needed.") % item
    if code == "assignment":
        if item.get("have") is None:
            return _("Assignment “%(title)s”: no graded work (pass mark %(need)s).") % {
                "title": item.get("title", ""),
                "need": _num(item["need"]),
            }
        return _("Assignment “%(title)s”: scored %(have)s, pass mark %(need)s.") % {
            "title": item.get("title", ""),
            "have": _num(item["have"]),
            "need": _num(item["need"]),
        }
    if code == "test":
        if item.get("have") is None:
            return _("Test: no score (pass mark %(need)s).") % {"need": _num(item["need"])}
        return _("Test: scored %(have)s, pass mark %(need)s.") % {
            "have": _num(item["have"]),
            "need": _num(item["need"]),
        }
    return str(code)


def _num(value: float) -> str:
    return f"{value:g}"


def _credited_hours(p: Programme) -> dict[int, Decimal]:
    """Person id -> the hours the programme credits them (earned by the rule, plus any
    audited adjustment), for the completed participants with hours."""
    hours_by_person: dict[int, Decimal] = {}
    for pid, earned, adj in Enrolment.objects.filter(
        programme=p, status=EStatus.ENROLLED, outcome=Enrolment.Outcome.COMPLETED
    ).values_list("person_id", "hours_earned", "hours_adjustment"):
        value = max(Decimal("0"), earned + adj)
        if value > 0:
            hours_by_person[pid] = value
    return hours_by_person


def _credit(p: Programme, actor) -> tuple[int, int]:
    """Keep the hours ledger exactly in step with the completed participants."""
    from jiaoyan.hours import services as hours_services

    hours_by_person = _credited_hours(p)
    when = p.closed_at or timezone.now()
    return hours_services.sync_for_source(
        p,
        person_ids=list(hours_by_person),
        hours=hours_by_person,
        date=timezone.localtime(when).date(),
        title=p.title,
        kind=HoursRecord.Kind.TRAINING,
        credited_by_id=p.org_unit_id,
        category_id=p.category_id,
    )


@transaction.atomic
def compute_completion(*, actor, programme: Programme, close: bool = False) -> dict[str, int]:
    """Compute every participant's outcome from the rule (on demand, or when closing),
    store it with the conditions missed, credit the completed ones' hours and (on close)
    hand them to the certificates. Returns {"completed", "not_completed", "credited"}."""
    p = locked(actor, "change", programme)
    # The status is the locked row's, not the caller's copy: a stale copy (another tab)
    # must not close a closed programme again (it would move the certificates' date).
    if close and p.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed already."))
    if close and p.status == PStatus.DRAFT:
        raise ServiceError(_("A draft cannot be closed: open it first."))
    if p.status == PStatus.CLOSED and not close:
        raise ServiceError(_("The programme is closed: its completion is final."))
    if not p.sessions.exists():
        raise ServiceError(_("Add at least one session first."))
    results = compute(p)
    # One UPDATE per distinct outcome (a few dozen at most), not one CASE per row: the
    # completion of 2,000 participants stays a handful of statements.
    groups: dict[str, list[int]] = defaultdict(list)
    values: dict[str, dict[str, Any]] = {}
    completed_people = []
    for eid, r in results.items():
        fields = {
            "outcome": Enrolment.Outcome.COMPLETED if r["ok"] else Enrolment.Outcome.NOT_COMPLETED,
            "missed": r["missed"],
            "attended_sessions": r["attended"],
            "hours_earned": r["hours"],
        }
        key = json.dumps(fields, sort_keys=True, default=str)
        groups[key].append(eid)
        values[key] = fields
        if r["ok"]:
            completed_people.append(r["person_id"])
    for key, ids in groups.items():
        for chunk in range(0, len(ids), 5000):
            Enrolment.objects.filter(pk__in=ids[chunk : chunk + 5000]).update(**values[key])
    rows = results
    now = timezone.now()
    done = len(completed_people)
    changes = {"completed_count": [p.completed_count, done]}
    update = {"completed_count": done, "completion_at": now}
    if close:
        update.update(status=PStatus.CLOSED, closed_at=now)
        changes["status"] = [p.status, PStatus.CLOSED]
    Programme.objects.filter(pk=p.pk).update(**update)
    for k, v in update.items():
        setattr(p, k, v)
    created, removed = _credit(p, actor)
    audit.record(
        actor,
        p,
        Action.UPDATE,
        changes,
        message=_(
            "Completion computed: %(done)d of %(total)d completed; hours records "
            "+%(created)d −%(removed)d"
        )
        % {"done": done, "total": len(rows), "created": created, "removed": removed},
    )
    if close:
        _issue_certificates(p, completed_people)
    return {"completed": done, "not_completed": len(rows) - done, "credited": created}


def close_programme(*, actor, programme: Programme) -> dict[str, int]:
    """Close the programme: completion is computed a last time and becomes final."""
    if programme.status == PStatus.CLOSED:
        raise ServiceError(_("The programme is closed already."))
    if programme.status == PStatus.DRAFT:
        raise ServiceError(_("A draft cannot be closed: open it first."))
    return compute_completion(actor=actor, programme=programme, close=True)


def _issue_certificates(programme: Programme, completed: list[int]) -> int:
    """Certificates (hours app) for the completed participants of a closed programme,
    inside the closing transaction: one per person, with the hours they were credited
    (idempotent: a later correction updates the certificate, its code stays)."""
    from jiaoyan.hours import certificates

    hours_by_person = _credited_hours(programme)
    people = [pid for pid in completed if pid in hours_by_person]
    if not people:
        return 0
    when = programme.closed_at or timezone.now()
    return certificates.issue_for_source(
        programme,
        person_ids=people,
        title=programme.title,
        issuer_id=programme.org_unit_id,
        issued_on=timezone.localtime(when).date(),
        hours_by_person=hours_by_person,
    )


@transaction.atomic
def adjust_hours(*, actor, enrolment: Enrolment, hours: Any, reason: str) -> Enrolment:
    """A correction of the hours a completed participant is credited: an audited
    adjustment (positive or negative) with a reason, by an admin of the organiser."""
    e = (
        Enrolment.objects.select_for_update()
        .select_related("programme__org_unit")
        .get(pk=enrolment.pk)
    )
    p = e.programme
    if not can(actor, "adjust", e):
        raise PermissionDenied(_("Only an admin of the organiser corrects hours."))
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    value = _decimal(
        hours, field="hours", label=_("The adjustment"), low=Decimal("-500"), high=Decimal("500")
    )
    if value is None:
        raise ServiceError(_("Give the adjustment in hours."), field="hours")
    if e.outcome != Enrolment.Outcome.COMPLETED:
        raise ServiceError(_("Only a completed participant's hours can be corrected."))
    if e.hours_earned + value < 0:
        raise ServiceError(_("The hours credited cannot become negative."), field="hours")
    before = e.hours_adjustment
    e.hours_adjustment = value
    e.adjustment_reason = reason
    e.save(update_fields=["hours_adjustment", "adjustment_reason"])
    audit.record(
        actor,
        e,
        Action.UPDATE,
        {"hours_adjustment": [str(before), str(value)]},
        message=reason,
    )
    fresh = Programme.objects.get(pk=p.pk)
    _credit(fresh, actor)
    if fresh.status == PStatus.CLOSED:
        _issue_certificates(fresh, [e.person_id])  # the certificate shows the corrected hours
    return e


__all__ = [
    "add_assignment",
    "add_session",
    "adjust_hours",
    "check_in",
    "check_version",
    "close_programme",
    "compute",
    "compute_completion",
    "create_programme",
    "enrol",
    "give_feedback",
    "grade",
    "invite",
    "nominate",
    "resolve_optional",
    "set_quota",
    "set_status",
    "set_test_scores",
    "submit",
    "update_programme",
    "withdraw",
]
