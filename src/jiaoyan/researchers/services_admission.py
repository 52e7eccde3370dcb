"""Every write of admission (准入): a bureau's round with its requirements (each one
checkable, :mod:`.admission`), published and closed; candidates' applications with their
evidence (files through core's guarded upload path); the reviewers' records of what the
people records cannot show; and the result — appointed (the researcher role from a start
date through ``people.services.assign_role``, and a profile at the round's institute) or
not, with the reasons, told to the candidate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.notifications import notify
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import apply_changes, clean_text
from jiaoyan.core.uploads import check_file
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people import services as people_services
from jiaoyan.people.models import Person, RoleAssignment

from . import admission
from . import services as researcher_services
from .models import (
    AdmissionApplication,
    AdmissionEvidence,
    AdmissionRound,
    ResearcherProfile,
)

Action = AuditLog.Action
UPLOAD_KIND = "attachment"
MAX_EVIDENCE = 10
MAX_PLACES = 500

Status = AdmissionRound.Status
AppStatus = AdmissionApplication.Status


def _check_units(org_unit: OrgUnit, institute: OrgUnit) -> None:
    if org_unit.kind not in {OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE}:
        raise ServiceError(
            _("An admission round belongs to a bureau (or a research institute)."),
            field="org_unit",
        )
    if institute.kind not in {OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU}:
        raise ServiceError(
            _("The appointed join a research institute (or a bureau)."), field="institute"
        )
    region = org_unit.scope_root
    if not institute.path.startswith(region.path):
        raise ServiceError(_("The institute lies outside the bureau's region."), field="institute")


def _check_window(opens_on: dt.date | None, closes_on: dt.date | None) -> None:
    if opens_on is None or closes_on is None:
        raise ServiceError(_("Give the first and the last day of applications."), field="opens_on")
    if closes_on < opens_on:
        raise ServiceError(_("The end date is before the start date."), field="closes_on")


def _places(places: Any) -> int:
    try:
        n = int(places)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_PLACES:
        raise ServiceError(
            _("Give the places as a whole number from 1 to %(max)d.") % {"max": MAX_PLACES},
            field="places",
        )
    return n


@transaction.atomic
def create_round(
    *,
    actor,
    org_unit: OrgUnit,
    institute: OrgUnit | None = None,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    requirements: Iterable[Mapping[str, Any]],
    places: int = 1,
    employment: str = ResearcherProfile.Employment.FULL_TIME,
    subject: Subject | None = None,
    stage: Stage | None = None,
    notes: str = "",
) -> AdmissionRound:
    """A draft round of the bureau ``org_unit``: its requirements are checked now (one
    the platform cannot evaluate is refused, nothing written) and kept as published."""
    institute = institute or org_unit
    rnd = AdmissionRound(
        org_unit=org_unit,
        institute=institute,
        title=clean_text(title, field="title", label=_("The title"), limit=100, required=True),
        subject=subject,
        stage=stage,
        opens_on=opens_on,
        closes_on=closes_on,
        notes=clean_text(notes, field="notes", label=_("The notes"), limit=4000),
        created_by=actor,
    )
    require(actor, "add", rnd)
    _check_units(org_unit, institute)
    require(actor, "add", ResearcherProfile(org_unit=institute))
    if employment not in ResearcherProfile.Employment.values:
        raise ServiceError(_("Unknown kind of employment."), field="employment")
    rnd.employment = employment
    rnd.places = _places(places)
    _check_window(opens_on, closes_on)
    rnd.requirements = admission.clean_requirements(requirements)
    rnd.save()
    audit.record(
        actor,
        rnd,
        Action.CREATE,
        {
            "title": [None, rnd.title],
            "requirements": [None, "；".join(admission.describe(r) for r in rnd.requirements)],
        },
    )
    return rnd


ROUND_FIELDS = (
    "title",
    "institute",
    "subject",
    "stage",
    "employment",
    "places",
    "opens_on",
    "closes_on",
    "requirements",
    "notes",
)


@transaction.atomic
def update_round(
    *,
    actor,
    round: AdmissionRound,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> AdmissionRound:
    """A draft round changed; a published one keeps what candidates applied under (only
    its closing day may move later, and its notes)."""
    rnd = locked(actor, "change", round)
    values = {k: data[k] for k in ROUND_FIELDS if k in data}
    if rnd.status != Status.DRAFT:
        moved = {
            k for k, v in values.items() if k not in {"closes_on", "notes"} and v != getattr(rnd, k)
        }
        if moved:
            raise ServiceError(
                _(
                    "The round is published: its requirements and terms stay as candidates "
                    "applied under them; only the closing day may move later."
                )
            )
        if "closes_on" in values and values["closes_on"] < rnd.closes_on:
            raise ServiceError(
                _("The closing day of a published round may only move later."), field="closes_on"
            )
    if "title" in values:
        values["title"] = clean_text(
            values["title"], field="title", label=_("The title"), limit=100, required=True
        )
    if "notes" in values:
        values["notes"] = clean_text(
            values["notes"], field="notes", label=_("The notes"), limit=4000
        )
    if "institute" in values:
        _check_units(rnd.org_unit, values["institute"])
        require(actor, "add", ResearcherProfile(org_unit=values["institute"]))
    if "employment" in values and values["employment"] not in ResearcherProfile.Employment.values:
        raise ServiceError(_("Unknown kind of employment."), field="employment")
    if "places" in values:
        values["places"] = _places(values["places"])
    _check_window(values.get("opens_on", rnd.opens_on), values.get("closes_on", rnd.closes_on))
    if "requirements" in values:
        values["requirements"] = admission.clean_requirements(values["requirements"])
    apply_changes(actor, rnd, values, ROUND_FIELDS, expected_version=expected_version)
    return rnd


def _set_status(actor, rnd: AdmissionRound, status: str, fields: dict[str, Any]) -> None:
    before = rnd.status
    rnd.status = status
    for k, v in fields.items():
        setattr(rnd, k, v)
    rnd.version += 1
    rnd.updated_at = timezone.now()
    rnd.save(update_fields=["status", "version", "updated_at", *fields])
    audit.record(actor, rnd, Action.STATUS, {"status": [before, status]})


@transaction.atomic
def publish_round(*, actor, round: AdmissionRound) -> AdmissionRound:
    """The round published: the people of the bureau's region see it and may apply."""
    rnd = locked(actor, "change", round)
    if rnd.status != Status.DRAFT:
        raise ServiceError(_("The round is already published."))
    if rnd.closes_on < timezone.localdate():
        raise ServiceError(
            _("The applications would close before today; move the closing day first."),
            field="closes_on",
        )
    admission.clean_requirements(rnd.requirements)
    _set_status(actor, rnd, Status.OPEN, {"published_at": timezone.now()})
    return rnd


@transaction.atomic
def close_round(*, actor, round: AdmissionRound) -> AdmissionRound:
    """No more applications; the reviews and results go on."""
    rnd = locked(actor, "change", round)
    if rnd.status != Status.OPEN:
        raise ServiceError(_("Only an open round can be closed."))
    _set_status(actor, rnd, Status.CLOSED, {})
    return rnd


@transaction.atomic
def delete_round(*, actor, round: AdmissionRound) -> None:
    """Delete a draft round (a published one keeps its applications: close it instead)."""
    rnd = locked(actor, "change", round)
    if rnd.status != Status.DRAFT:
        raise ServiceError(_("Only a draft round can be deleted; close a published one instead."))
    require(actor, "delete", rnd)
    audit.record(actor, rnd, Action.DELETE, {"title": [rnd.title, None]})
    rnd.delete()


# --- applications ----------------------------------------------------------------------------


def _person_of(actor) -> Person:
    person = Person.objects.filter(user_id=getattr(actor, "pk", None)).first()
    if person is None or person.status != Person.Status.ACTIVE:
        raise ServiceError(_("Only people in post with a staff record can apply."))
    return person


def _store_evidence(actor, application: AdmissionApplication, upload: Any, note: str = ""):
    name = check_file(upload, UPLOAD_KIND, field="evidence")
    ev = AdmissionEvidence(
        application=application,
        file_name=name,
        note=clean_text(note, field="note", label=_("The note"), limit=200),
        uploaded_by=actor,
    )
    ev.file.save(name, upload, save=False)
    ev.save()
    return ev


@transaction.atomic
def apply(
    *,
    actor,
    round: AdmissionRound,
    statement: str,
    evidence: Iterable[Any] = (),
) -> AdmissionApplication:
    """The actor applies to ``round`` for themselves, with a statement and evidence files;
    the round must be open, the actor of its region and not yet a researcher."""
    rnd = AdmissionRound.objects.select_for_update().get(pk=round.pk)
    person = _person_of(actor)
    app = AdmissionApplication(
        round=rnd,
        person=person,
        org_unit_id=rnd.org_unit_id,
        statement=clean_text(
            statement, field="statement", label=_("The statement"), limit=4000, required=True
        ),
    )
    require(actor, "add", app)
    today = timezone.localdate()
    if rnd.status != Status.OPEN or not rnd.opens_on <= today <= rnd.closes_on:
        raise ServiceError(
            _("This round takes applications from %(start)s to %(end)s while it is open.")
            % {"start": f"{rnd.opens_on:%Y-%m-%d}", "end": f"{rnd.closes_on:%Y-%m-%d}"}
        )
    person = Person.objects.select_related("org_unit").get(pk=person.pk)
    if not person.org_unit.path.startswith(rnd.org_unit.scope_root.path):
        raise ServiceError(_("This round admits people of the bureau's region only."))
    if ResearcherProfile.objects.filter(
        person=person, status=ResearcherProfile.Status.ACTIVE
    ).exists():
        raise ServiceError(_("You already serve as a researcher."))
    files = [f for f in evidence if f]
    if len(files) > MAX_EVIDENCE:
        raise ServiceError(
            _("Give at most %(n)d evidence files.") % {"n": MAX_EVIDENCE}, field="evidence"
        )
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:
        raise ServiceError(_("You have already applied to this round.")) from None
    for f in files:
        _store_evidence(actor, app, f)
    audit.record(
        actor,
        app,
        Action.CREATE,
        {"round": [None, rnd.title], "evidence": [None, len(files)]},
    )
    return app


@transaction.atomic
def add_evidence(
    *, actor, application: AdmissionApplication, file: Any, note: str = ""
) -> AdmissionEvidence:
    app = locked(actor, "attach", application)
    if app.evidence.count() >= MAX_EVIDENCE:
        raise ServiceError(
            _("Give at most %(n)d evidence files.") % {"n": MAX_EVIDENCE}, field="file"
        )
    ev = _store_evidence(actor, app, file, note)
    audit.record(actor, app, Action.UPDATE, {"evidence": [None, ev.file_name]})
    return ev


@transaction.atomic
def withdraw_application(*, actor, application: AdmissionApplication) -> AdmissionApplication:
    app = locked(actor, "withdraw", application)
    before = app.status
    app.status = AppStatus.WITHDRAWN
    app.version += 1
    app.updated_at = timezone.now()
    app.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor, app, Action.STATUS, {"status": [before, app.status]})
    return app


def _undecided(app: AdmissionApplication) -> None:
    if app.status != AppStatus.SUBMITTED:
        raise ServiceError(
            _("The application is %(status)s; it is no longer reviewed.")
            % {"status": app.get_status_display()}
        )


@transaction.atomic
def record_review(
    *,
    actor,
    application: AdmissionApplication,
    kind: str,
    score: Decimal | float | str | None = None,
    passed: bool | None = None,
    comment: str = "",
) -> AdmissionApplication:
    """A reviewer records a requirement the people records cannot show: a demonstration
    lesson's or written test's score (0–100), or the interview passed or not, with a
    comment. Recording it again replaces the earlier record (kept in the history)."""
    app = locked(actor, "review", application)
    _undecided(app)
    kinds = [r["kind"] for r in app.round.requirements if r["kind"] in admission.REVIEWED]
    if kind not in kinds:
        raise ServiceError(
            _("This round does not ask for that; the reviewers record: %(kinds)s.")
            % {"kinds": "、".join(admission.kind_label(k) for k in kinds) or "—"},
            field="kind",
        )
    entry: dict[str, Any] = {
        "comment": clean_text(comment, field="comment", label=_("The comment"), limit=500),
        "by": getattr(actor, "pk", None),
        "by_name": _actor_name(actor),
        "at": timezone.now().isoformat(),
    }
    if kind in admission.SCORED:
        try:
            value = Decimal(str(score).strip()) if score not in (None, "") else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= 100:
            raise ServiceError(_("Give the score from 0 to 100."), field="score")
        entry["score"] = float(round(value, 1))
        shown = admission._score_text(entry["score"])
    else:
        if passed is None:
            raise ServiceError(_("Say whether the interview was passed."), field="passed")
        entry["passed"] = bool(passed)
        shown = pgettext("interview", "Passed") if passed else pgettext("interview", "Not passed")
    before = app.reviews.get(kind)
    app.reviews = {**app.reviews, kind: entry}
    app.version += 1
    app.updated_at = timezone.now()
    app.save(update_fields=["reviews", "version", "updated_at"])
    audit.record(
        actor,
        app,
        Action.UPDATE,
        {admission.kind_label(kind): [_shown(before), shown]},
        message=entry["comment"],
    )
    return app


def _shown(entry: Mapping[str, Any] | None) -> str | None:
    if not entry:
        return None
    if "score" in entry:
        return admission._score_text(entry["score"])
    return (
        pgettext("interview", "Passed")
        if entry.get("passed")
        else pgettext("interview", "Not passed")
    )


def _actor_name(actor) -> str:
    person = Person.objects.filter(user_id=getattr(actor, "pk", None)).first()
    return person.name if person else getattr(actor, "username", "")


def checks_for(app: AdmissionApplication) -> list[admission.Check]:
    """The pre-check of an application as it stands (from the person's records now)."""
    return admission.precheck(
        app.round.requirements,
        app.person,
        app.person.honours.all(),
        app.reviews,
        app.round.closes_on,
    )


@transaction.atomic
def decide_application(
    *,
    actor,
    application: AdmissionApplication,
    appoint: bool,
    reasons: str = "",
    start_date: dt.date | None = None,
) -> AdmissionApplication:
    """The result. Appointed: every requirement met, a place left, the researcher role
    from ``start_date`` (bound to the institute's region; a full-time appointee moves to
    the institute, a part-time one keeps teaching at their school) and a profile at the
    institute. Not appointed: the reasons. Either way the candidate is told."""
    app = locked(actor, "decide", application)
    _undecided(app)
    rnd = AdmissionRound.objects.select_for_update().get(pk=app.round_id)
    if rnd.status == Status.DRAFT:
        raise ServiceError(_("The round is not published."))
    reasons = clean_text(reasons, field="reasons", label=_("The reasons"), limit=2000)
    person = Person.objects.select_related("org_unit").get(pk=app.person_id)
    checks = admission.precheck(
        rnd.requirements, person, person.honours.all(), app.reviews, rnd.closes_on
    )
    if appoint:
        pending = [c for c in checks if c.state == admission.PENDING]
        if pending:
            raise ServiceError(
                _("Record these first: %(what)s.")
                % {"what": "、".join(admission.kind_label(c.kind) for c in pending)}
            )
        failed = [c for c in checks if c.state == admission.FAIL]
        if failed:
            raise ServiceError(
                _("Not every requirement is met: %(what)s.")
                % {"what": "；".join(c.requirement for c in failed)}
            )
        if start_date is None:
            raise ServiceError(_("Give the day the appointment starts."), field="start_date")
        if start_date > timezone.localdate():
            raise ServiceError(
                _(
                    "The appointment starts today or on an earlier day: record the result "
                    "when it takes effect."
                ),
                field="start_date",
            )
        if start_date < rnd.opens_on:
            raise ServiceError(
                _("The appointment cannot start before the round opened (%(date)s).")
                % {"date": f"{rnd.opens_on:%Y-%m-%d}"},
                field="start_date",
            )
        taken = rnd.applications.filter(status=AppStatus.APPOINTED).count()
        if taken >= rnd.places:
            raise ServiceError(_("All %(n)d places of the round are filled.") % {"n": rnd.places})
        _appoint(actor, rnd, app, person, start_date)
        app.status = AppStatus.APPOINTED
        app.start_date = start_date
    else:
        if not reasons:
            raise ServiceError(
                _("Give the reasons the candidate is not appointed."), field="reasons"
            )
        app.status = AppStatus.NOT_APPOINTED
    app.reasons = reasons
    app.checks = [c.as_dict() for c in checks]
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.version += 1
    app.updated_at = timezone.now()
    app.save()
    audit.record(
        actor,
        app,
        Action.STATUS,
        {
            "status": [AppStatus.SUBMITTED, app.status],
            **({"start_date": [None, f"{start_date:%Y-%m-%d}"]} if appoint else {}),
        },
        message=reasons,
    )
    if person.user_id:
        title = (
            _("You were appointed a researcher: %(round)s")
            if appoint
            else _("The result of your application: %(round)s")
        ) % {"round": rnd.title}
        url = reverse("researchers:admission_application", args=[app.pk])
        transaction.on_commit(
            lambda: notify([person.user_id], title=title, body=reasons, url=url, about=app)
        )
    return app


def _appoint(actor, rnd: AdmissionRound, app, person: Person, start: dt.date) -> None:
    institute = rnd.institute
    part_time = rnd.employment == ResearcherProfile.Employment.PART_TIME
    school = None
    if part_time:
        if person.org_unit.kind != OrgUnit.Kind.SCHOOL:
            raise ServiceError(
                _("A part-time researcher teaches at a school; %(name)s is not employed by one.")
                % {"name": person.name}
            )
        school = person.org_unit
    elif person.org_unit_id != institute.pk:
        person = people_services.transfer_person(
            actor=actor, person=person, to_unit=institute, note=rnd.title
        )
    subjects = [rnd.subject] if rnd.subject_id else []
    stages = [rnd.stage] if rnd.stage_id else []
    ra = (
        RoleAssignment.objects.filter(person=person, role=Role.RESEARCHER, is_active=True)
        .order_by("pk")
        .first()
    )
    if ra is None:
        ra = people_services.assign_role(
            actor=actor,
            person=person,
            role=Role.RESEARCHER,
            org_unit=institute.scope_root,
            subjects=subjects,
            stages=stages,
            started_on=start,
        )
    app.role_assignment = ra
    existing = ResearcherProfile.objects.select_for_update().filter(person=person).first()
    if existing is not None:
        if existing.status == ResearcherProfile.Status.ACTIVE:
            raise ServiceError(
                _("%(name)s already has a researcher profile.") % {"name": person.name}
            )
        # Back after an exit: the same profile serves again, its history kept.
        researcher_services.reactivate_profile(
            actor=actor,
            profile=existing,
            org_unit=institute,
            employment=rnd.employment,
            school=school,
            subjects=subjects,
            stages=stages,
            since=start,
            note=rnd.title,
        )
        return
    researcher_services.create_profile(
        actor=actor,
        person=person,
        org_unit=institute,
        employment=rnd.employment,
        school=school,
        subjects=subjects,
        stages=stages,
        since=start,
    )
