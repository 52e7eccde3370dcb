"""Every write of the researchers app: profiles and duties, liaison schools per term
(through observations' liaison services: one record of 联点联校), residencies and their
visits, exit and exchange.

References (units, people, activities, observations) arrive as objects found by the
scoped resolver (``core.resolve``) in the form, API body or sheet; the services check
what each implies (a school's liaison needs ``add`` there, a visit's activity must be
visible to the actor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.activities.models import Activity
from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import apply_changes, clean_text
from jiaoyan.observations import services as observation_services
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people import services as people_services
from jiaoyan.people.models import Person, RoleAssignment

from .models import Duty, ResearcherProfile, Residency, RoleChange, Visit

Action = AuditLog.Action

MAX_RESIDENCY_DAYS = 366


def _researcher_roles(person: Person):
    return RoleAssignment.objects.filter(person=person, role=Role.RESEARCHER, is_active=True)


def _check_institute(unit: OrgUnit, field: str = "org_unit") -> None:
    if unit.kind not in {OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU}:
        raise ServiceError(
            _("A researcher belongs to a research institute (or a bureau)."), field=field
        )


def _check_school(unit: OrgUnit | None, field: str = "school") -> None:
    if unit is not None and unit.kind != OrgUnit.Kind.SCHOOL:
        raise ServiceError(_("“%(name)s” is not a school.") % {"name": unit.name}, field=field)


# --- profiles -----------------------------------------------------------------------------


@transaction.atomic
def create_profile(
    *,
    actor,
    person: Person,
    org_unit: OrgUnit,
    employment: str = ResearcherProfile.Employment.FULL_TIME,
    school: OrgUnit | None = None,
    subjects: Iterable[Subject] = (),
    stages: Iterable[Stage] = (),
    since: dt.date | None = None,
) -> ResearcherProfile:
    """The profile of a person who holds the researcher role, kept by the institute's
    bureau admins."""
    _check_institute(org_unit)
    if employment not in ResearcherProfile.Employment.values:
        raise ServiceError(_("Unknown kind of employment."), field="employment")
    _check_school(school)
    if employment == ResearcherProfile.Employment.PART_TIME and school is None:
        raise ServiceError(
            _("A part-time researcher names the school they teach at."), field="school"
        )
    profile = ResearcherProfile(
        person=person,
        org_unit=org_unit,
        employment=employment,
        school=school if employment == ResearcherProfile.Employment.PART_TIME else None,
        since=since or timezone.localdate(),
    )
    require(actor, "add", profile)
    if person.status != Person.Status.ACTIVE or not _researcher_roles(person).exists():
        raise ServiceError(
            _("%(name)s does not hold an active researcher role.") % {"name": person.name},
            field="person",
        )
    if ResearcherProfile.objects.filter(person=person).exists():
        raise ServiceError(
            _("%(name)s already has a researcher profile.") % {"name": person.name},
            field="person",
        )
    profile.save()
    profile.subjects.set(subjects)
    profile.stages.set(stages)
    audit.record(
        actor,
        profile,
        Action.CREATE,
        {"person": [None, person.name], "org_unit": [None, org_unit.name]},
    )
    return profile


@transaction.atomic
def reactivate_profile(
    *,
    actor,
    profile: ResearcherProfile,
    org_unit: OrgUnit,
    employment: str = ResearcherProfile.Employment.FULL_TIME,
    school: OrgUnit | None = None,
    subjects: Iterable[Subject] = (),
    stages: Iterable[Stage] = (),
    since: dt.date | None = None,
    note: str = "",
) -> ResearcherProfile:
    """An exited researcher appointed again (准入 after 退出): the same profile serves
    again at ``org_unit`` — its exit, appraisals, residencies and everything recorded
    stay with it; the audit log keeps what it was."""
    _check_institute(org_unit)
    if employment not in ResearcherProfile.Employment.values:
        raise ServiceError(_("Unknown kind of employment."), field="employment")
    _check_school(school)
    profile = locked(actor, "view", profile)
    if profile.status == ResearcherProfile.Status.ACTIVE:
        raise ServiceError(
            _("%(name)s already has a researcher profile.") % {"name": profile.person.name},
            field="person",
        )
    require(actor, "add", ResearcherProfile(person=profile.person, org_unit=org_unit))
    if not _researcher_roles(profile.person).exists():
        raise ServiceError(
            _("%(name)s does not hold an active researcher role.") % {"name": profile.person.name},
            field="person",
        )
    before = {
        "org_unit": profile.org_unit.name,
        "since": f"{profile.since:%Y-%m-%d}" if profile.since else None,
        "exited_on": f"{profile.exited_on:%Y-%m-%d}" if profile.exited_on else None,
    }
    profile.status = ResearcherProfile.Status.ACTIVE
    profile.org_unit = org_unit
    profile.employment = employment
    profile.school = school if employment == ResearcherProfile.Employment.PART_TIME else None
    profile.since = since or timezone.localdate()
    profile.exited_on = None
    profile.version += 1
    profile.updated_at = timezone.now()
    profile.save()
    profile.subjects.set(subjects)
    profile.stages.set(stages)
    audit.record(
        actor,
        profile,
        Action.STATUS,
        {
            "status": ["exited", "active"],
            "org_unit": [before["org_unit"], org_unit.name],
            "since": [before["since"], f"{profile.since:%Y-%m-%d}"],
            "exited_on": [before["exited_on"], None],
        },
        message=clean_text(note, field="note", label=_("The note"), limit=300),
    )
    return profile


PROFILE_FIELDS = ("employment", "school")


@transaction.atomic
def update_profile(
    *,
    actor,
    profile: ResearcherProfile,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ResearcherProfile:
    profile = locked(actor, "change", profile)
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has exited; the record is kept as it was."))
    employment = data.get("employment", profile.employment)
    if employment not in ResearcherProfile.Employment.values:
        raise ServiceError(_("Unknown kind of employment."), field="employment")
    school = data.get("school", profile.school)
    _check_school(school)
    if employment == ResearcherProfile.Employment.PART_TIME and school is None:
        raise ServiceError(
            _("A part-time researcher names the school they teach at."), field="school"
        )
    if employment == ResearcherProfile.Employment.FULL_TIME:
        school = None
    changes = apply_changes(
        actor,
        profile,
        {"employment": employment, "school": school},
        PROFILE_FIELDS,
        expected_version=expected_version,
    )
    for name in ("subjects", "stages"):
        if name in data and data[name] is not None:
            before = sorted(o.pk for o in getattr(profile, name).all())
            after = sorted(o.pk for o in data[name])
            if before != after:
                getattr(profile, name).set(data[name])
                if not changes:
                    profile.version += 1
                    profile.save(update_fields=["version"])
                changes[name] = [before, after]
                audit.record(actor, profile, Action.UPDATE, {name: [before, after]})
    return profile


@transaction.atomic
def set_duties(*, actor, profile: ResearcherProfile, year: int, text: str) -> Duty:
    """职责 of one year (replacing what was written for that year)."""
    require(actor, "change", profile)
    if not 2000 <= int(year) <= 2100:
        raise ServiceError(_("Give a year between 2000 and 2100."), field="year")
    text = clean_text(text, field="text", label=_("The duties"), limit=4000, required=True)
    duty = Duty.objects.select_for_update().filter(profile=profile, year=year).first()
    before = duty.text if duty else None
    if duty is None:
        duty = Duty(profile=profile, year=year)
    duty.text = text
    duty.updated_by = actor
    duty.save()
    audit.record(actor, profile, Action.UPDATE, {f"duties {year}": [before, text]})
    return duty


# --- liaison schools ----------------------------------------------------------------------


@transaction.atomic
def assign_liaison_schools(
    *,
    actor,
    profile: ResearcherProfile,
    schools: Iterable[OrgUnit],
    start_date: dt.date,
    end_date: dt.date | None = None,
    note: str = "",
) -> list[LiaisonAssignment]:
    """联点联校 for a term or a year: a bureau assigns the researcher a set of schools (each
    within the bureau's scope — checked by observations' ``assign_liaison``, whose record
    this is). All or none: one refused school writes nothing."""
    schools = list(schools)
    if not schools:
        raise ServiceError(_("Choose at least one school."), field="schools")
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has exited; the record is kept as it was."))
    if end_date is not None and end_date < start_date:
        raise ServiceError(_("The end date is before the start date."), field="end_date")
    made = []
    for school in schools:
        made.append(
            observation_services.assign_liaison(
                actor=actor,
                researcher=profile.person,
                school=school,
                start_date=start_date,
                end_date=end_date,
                note=note,
            )
        )
    return made


# --- residencies ----------------------------------------------------------------------------


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start is None or end is None:
        raise ServiceError(_("Give the first and the last day."), field="start_date")
    if end < start:
        raise ServiceError(_("The end date is before the start date."), field="end_date")
    if (end - start).days + 1 > MAX_RESIDENCY_DAYS:
        raise ServiceError(_("A residency lasts at most a year."), field="end_date")


def _check_overlap(profile: ResearcherProfile, start, end, exclude: int | None = None) -> None:
    clash = (
        Residency.objects.filter(profile=profile, start_date__lte=end, end_date__gte=start)
        .exclude(pk=exclude)
        .select_related("school")
        .first()
    )
    if clash is not None:
        raise ServiceError(
            _("These dates overlap the residency at %(school)s from %(start)s to %(end)s.")
            % {
                "school": clash.school.name,
                "start": f"{clash.start_date:%Y-%m-%d}",
                "end": f"{clash.end_date:%Y-%m-%d}",
            },
            field="start_date",
        )


@transaction.atomic
def create_residency(
    *,
    actor,
    profile: ResearcherProfile,
    school: OrgUnit,
    start_date: dt.date,
    end_date: dt.date,
    goals: str,
) -> Residency:
    """驻校蹲点: the researcher stationed at ``school`` from ``start_date`` to ``end_date``.
    Overlaps with the researcher's other residencies are refused (checked under the
    profile's row lock, so two at once cannot both pass)."""
    profile = (
        ResearcherProfile.objects.select_for_update().select_related("person").get(pk=profile.pk)
    )
    _check_school(school)
    residency = Residency(
        profile=profile,
        researcher=profile.person,
        org_unit_id=profile.org_unit_id,
        school=school,
        start_date=start_date,
        end_date=end_date,
        goals=clean_text(goals, field="goals", label=_("The goals"), limit=4000, required=True),
        created_by=actor,
    )
    require(actor, "add", residency)
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has exited; the record is kept as it was."))
    _check_period(start_date, end_date)
    _check_overlap(profile, start_date, end_date)
    residency.save()
    audit.record(
        actor,
        residency,
        Action.CREATE,
        {
            "school": [None, school.name],
            "period": [None, f"{start_date:%Y-%m-%d}–{end_date:%Y-%m-%d}"],
        },
    )
    return residency


RESIDENCY_FIELDS = ("start_date", "end_date", "goals")


@transaction.atomic
def update_residency(
    *, actor, residency: Residency, data: Mapping[str, Any], expected_version: int | None = None
) -> Residency:
    residency = locked(actor, "change", residency)
    ResearcherProfile.objects.select_for_update().filter(pk=residency.profile_id).first()
    start = data.get("start_date", residency.start_date)
    end = data.get("end_date", residency.end_date)
    _check_period(start, end)
    _check_overlap(residency.profile, start, end, exclude=residency.pk)
    if residency.visits.exclude(date__range=(start, end)).exists():
        raise ServiceError(
            _("Visits were logged outside these dates; keep them inside the residency."),
            field="start_date",
        )
    values = {
        "start_date": start,
        "end_date": end,
        "goals": clean_text(
            data.get("goals", residency.goals),
            field="goals",
            label=_("The goals"),
            limit=4000,
            required=True,
        ),
    }
    apply_changes(actor, residency, values, RESIDENCY_FIELDS, expected_version=expected_version)
    return residency


@transaction.atomic
def summarise_residency(*, actor, residency: Residency, summary: str) -> Residency:
    """The summary report at the end of a residency (from its last day on)."""
    residency = locked(actor, "change", residency)
    if timezone.localdate() < residency.end_date:
        raise ServiceError(
            _("The summary report is written when the residency ends (%(date)s).")
            % {"date": f"{residency.end_date:%Y-%m-%d}"},
            field="summary",
        )
    text = clean_text(summary, field="summary", label=_("The summary"), limit=8000, required=True)
    before = residency.summary
    residency.summary = text
    residency.summarised_at = timezone.now()
    residency.version += 1
    residency.updated_at = timezone.now()
    residency.save(update_fields=["summary", "summarised_at", "version", "updated_at"])
    audit.record(actor, residency, Action.UPDATE, {"summary": [before or None, text]})
    return residency


@transaction.atomic
def log_visit(
    *,
    actor,
    residency: Residency,
    kind: str,
    date: dt.date | None = None,
    note: str = "",
    activity: Activity | None = None,
    observation: Observation | None = None,
) -> Visit:
    """A day of the residency: what was done; an activity or observation already on the
    platform is linked (its date is the visit's), not retyped."""
    if kind not in Visit.Kind.values:
        raise ServiceError(_("Choose what was done."), field="kind")
    if observation is not None:
        if (
            observation.observer_id != residency.researcher.user_id
            or observation.observer_id is None
        ):
            raise ServiceError(_("Link an observation the researcher made."), field="observation")
        if observation.org_unit_id != residency.school_id:
            raise ServiceError(
                _("The observation was made at another school."), field="observation"
            )
        date = date or observation.date
    if activity is not None:
        if activity.status == Activity.Status.CANCELLED:
            raise ServiceError(_("The activity was cancelled."), field="activity")
        date = date or timezone.localtime(activity.starts_at).date()
    if date is None:
        raise ServiceError(_("Give the date of the visit."), field="date")
    visit = Visit(
        residency=residency,
        researcher_id=residency.researcher_id,
        org_unit_id=residency.org_unit_id,
        school_id=residency.school_id,
        date=date,
        kind=kind,
        note=clean_text(note, field="note", label=_("The note"), limit=300),
        activity=activity,
        observation=observation,
        created_by=actor,
    )
    visit.researcher = residency.researcher
    require(actor, "add", visit)
    if not residency.start_date <= date <= residency.end_date:
        raise ServiceError(
            _("The visit's date lies outside the residency (%(start)s–%(end)s).")
            % {
                "start": f"{residency.start_date:%Y-%m-%d}",
                "end": f"{residency.end_date:%Y-%m-%d}",
            },
            field="date",
        )
    if date > timezone.localdate():
        raise ServiceError(_("A visit is logged once it has happened."), field="date")
    visit.save()
    audit.record(
        actor,
        residency,
        Action.UPDATE,
        {"visit": [None, f"{date:%Y-%m-%d} {visit.get_kind_display()}"]},
    )
    return visit


@transaction.atomic
def delete_visit(*, actor, visit: Visit) -> None:
    visit = locked(actor, "delete", visit)
    audit.record(
        actor,
        visit.residency,
        Action.UPDATE,
        {"visit": [f"{visit.date:%Y-%m-%d} {visit.get_kind_display()}", None]},
    )
    visit.delete()


# --- exit and exchange ------------------------------------------------------------------------


def _end_liaisons(actor, person: Person, date: dt.date) -> int:
    ended = 0
    for la in LiaisonAssignment.objects.filter(researcher=person, is_active=True):
        observation_services.end_liaison(actor=actor, assignment=la, end_date=date)
        ended += 1
    return ended


def _reason(reason: str) -> str:
    if reason not in RoleChange.Reason.values:
        raise ServiceError(_("Choose the reason."), field="reason")
    return reason


@transaction.atomic
def exit_researcher(
    *, actor, profile: ResearcherProfile, reason: str, date: dt.date | None = None, note: str = ""
) -> RoleChange:
    """退出: the researcher role ends (its assignments and liaison schools end); the
    profile and everything recorded stay, marked exited."""
    profile = locked(actor, "exit", profile)
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has already exited."))
    reason = _reason(reason)
    date = date or timezone.localdate()
    change = RoleChange(
        profile=profile,
        kind=RoleChange.Kind.EXIT,
        reason=reason,
        note=clean_text(note, field="note", label=_("The note"), limit=300),
        date=date,
        org_unit_id=profile.org_unit_id,
        created_by=actor,
    )
    require(actor, "add", change)
    for ra in _researcher_roles(profile.person):
        people_services.end_role(actor=actor, assignment=ra)
    _end_liaisons(actor, profile.person, date)
    profile.status = ResearcherProfile.Status.EXITED
    profile.exited_on = date
    profile.version += 1
    profile.updated_at = timezone.now()
    profile.save(update_fields=["status", "exited_on", "version", "updated_at"])
    change.save()
    audit.record(
        actor,
        profile,
        Action.STATUS,
        {"status": ["active", "exited"], "reason": [None, change.get_reason_display()]},
        message=change.note,
    )
    return change


@transaction.atomic
def exchange_researcher(
    *,
    actor,
    profile: ResearcherProfile,
    to_unit: OrgUnit,
    reason: str,
    date: dt.date | None = None,
    note: str = "",
) -> RoleChange:
    """交流: the researcher moves to another institute — the person is transferred, the
    researcher role is held anew there (same subjects and stages), the liaison schools
    end; the history stays with the institute they left."""
    profile = locked(actor, "exchange", profile)
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has exited; the record is kept as it was."))
    _check_institute(to_unit, field="to_unit")
    if to_unit.pk == profile.org_unit_id:
        raise ServiceError(_("Choose another institute."), field="to_unit")
    require(actor, "add", ResearcherProfile(org_unit=to_unit, person=profile.person))
    reason = _reason(reason)
    date = date or timezone.localdate()
    old_roles = list(_researcher_roles(profile.person).prefetch_related("subjects", "stages"))
    subjects = {s.pk: s for ra in old_roles for s in ra.subjects.all()}
    stages = {s.pk: s for ra in old_roles for s in ra.stages.all()}
    change = RoleChange(
        profile=profile,
        kind=RoleChange.Kind.EXCHANGE,
        reason=reason,
        note=clean_text(note, field="note", label=_("The note"), limit=300),
        date=date,
        org_unit_id=profile.org_unit_id,
        to_unit=to_unit,
        created_by=actor,
    )
    require(actor, "add", change)
    _end_liaisons(actor, profile.person, date)
    person = people_services.transfer_person(
        actor=actor, person=profile.person, to_unit=to_unit, note=change.note
    )
    people_services.assign_role(
        actor=actor,
        person=person,
        role=Role.RESEARCHER,
        subjects=subjects.values(),
        stages=stages.values(),
    )
    old_unit = profile.org_unit
    profile.org_unit = to_unit
    profile.version += 1
    profile.updated_at = timezone.now()
    profile.save(update_fields=["org_unit", "version", "updated_at"])
    change.save()
    audit.record(
        actor,
        profile,
        Action.UPDATE,
        {"org_unit": [old_unit.name, to_unit.name], "reason": [None, change.get_reason_display()]},
        message=change.note,
    )
    return change
