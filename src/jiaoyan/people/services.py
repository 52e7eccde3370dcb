"""Writes to people, role assignments, honours, accounts and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit, stamps
from jiaoyan.core.cells import CellError, mobile_phone
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, forget_scopes, locked, require
from jiaoyan.core.services import apply_changes
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from .models import ApiToken, HomeroomAssignment, Honour, Person, RoleAssignment, User, hash_token

PERSON_FIELDS = ["name", "gender", "phone", "professional_title", "teaching_since"]
# The version (``core.stamps``) of the people's units: figures that read a person's school
# (a community member's rural or weak flag) are computed again when someone moves.
UNITS = "people.units"
Action = audit.AuditLog.Action


def _clean_phone(phone: str) -> str:
    try:
        return mobile_phone(phone)
    except CellError as e:
        raise ServiceError(_("Mobile phone %(e)s") % {"e": e}, field="phone") from None


def _check_teaching_since(day: dt.date | None) -> None:
    if day is not None and day > timezone.localdate():
        raise ServiceError(
            _("The date teaching began cannot be later than today."), field="teaching_since"
        )


def _person_audit_snapshot(person: Person) -> dict:
    snap = audit.snapshot(person, ["staff_no", *PERSON_FIELDS, "org_unit", "status"])
    if snap.get("phone"):
        snap["phone"] = person.masked_phone
    return snap


@transaction.atomic
def create_person(
    *,
    actor,
    staff_no: str,
    name: str,
    org_unit: OrgUnit,
    gender: str = "",
    phone: str = "",
    professional_title: str = "",
    teaching_since: dt.date | None = None,
    role: str | None = None,
    subjects: Iterable[Subject] = (),
    stages: Iterable[Stage] = (),
) -> Person:
    person = Person(
        staff_no=staff_no.strip(),
        name=name.strip(),
        org_unit=org_unit,
        gender=gender,
        phone=_clean_phone(phone) if phone else "",
        professional_title=professional_title,
        teaching_since=teaching_since,
    )
    require(actor, "add", person)
    _check_teaching_since(teaching_since)
    if not person.staff_no or not person.name:
        raise ServiceError(_("Staff number and name are required."))
    if Person.objects.filter(staff_no=person.staff_no).exists():
        raise ServiceError(
            _("The staff number “%(no)s” is already in use.") % {"no": person.staff_no},
            field="staff_no",
        )
    person.save()
    audit.record(
        actor,
        person,
        Action.CREATE,
        {k: [None, v] for k, v in _person_audit_snapshot(person).items()},
    )
    if role:
        assign_role(actor=actor, person=person, role=role, subjects=subjects, stages=stages)
    return person


@transaction.atomic
def update_person(
    *, actor, person: Person, data: dict, expected_version: int | None = None
) -> Person:
    person = locked(actor, "change", person)
    if "name" in data:
        data["name"] = data["name"].strip()
        if not data["name"]:
            raise ServiceError(pgettext("person", "The name may not be empty."), field="name")
    if data.get("phone"):
        data["phone"] = _clean_phone(data["phone"])
    _check_teaching_since(data.get("teaching_since"))
    changes = apply_changes(actor, person, data, PERSON_FIELDS, expected_version=expected_version)
    if "phone" in changes:
        # The log keeps masked numbers only; it is readable by everyone who sees the person.
        last = audit.history(person, 1)[0]
        mask = Person(phone=changes["phone"][0] or "").masked_phone
        last.changes["phone"] = [mask, person.masked_phone]
        last.save(update_fields=["changes"])
    return person


@transaction.atomic
def change_status(*, actor, person: Person, status: str, note: str = "") -> Person:
    """A person leaves (transfer out, retirement) or returns — never a deletion."""
    person = locked(actor, "change", person)
    if status not in Person.Status.values:
        raise ServiceError(_("Unknown status."), field="status")
    if status == person.status:
        return person
    old = person.status
    person.status = status
    person.status_note = note.strip()[:200]
    person.status_changed_at = timezone.now()
    person.version += 1
    person.save(update_fields=["status", "status_note", "status_changed_at", "version"])
    if status != Person.Status.ACTIVE:
        ended = RoleAssignment.objects.filter(person=person, is_active=True).update(
            is_active=False, ended_at=timezone.now()
        )
        if person.user_id:
            User.objects.filter(pk=person.user_id).update(is_active=False)
    else:
        ended = 0
    audit.record(
        actor,
        person,
        Action.STATUS,
        {"status": [old, status], **({"roles_ended": [ended, 0]} if ended else {})},
        message=note,
    )
    return person


@transaction.atomic
def transfer_person(*, actor, person: Person, to_unit: OrgUnit, note: str = "") -> Person:
    """Move a person to another unit; their roles at the old unit end, history stays."""
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    require(actor, "change", person)
    require(actor, "add", Person(org_unit=to_unit))
    if to_unit.pk == person.org_unit_id:
        return person
    old_unit = person.org_unit
    person.org_unit = to_unit
    person.version += 1
    person.updated_at = timezone.now()
    person.save(update_fields=["org_unit", "version", "updated_at"])
    stamps.bump(UNITS)
    RoleAssignment.objects.filter(person=person, is_active=True).update(
        is_active=False, ended_at=timezone.now()
    )
    audit.record(
        actor, person, Action.UPDATE, {"org_unit": [str(old_unit), str(to_unit)]}, message=note
    )
    return person


GRANTABLE_BY = {
    Role.BUREAU_ADMIN: set(Role.values),
}


@transaction.atomic
def assign_role(
    *,
    actor,
    person: Person,
    role: str,
    org_unit: OrgUnit | None = None,
    subjects: Iterable[Subject] = (),
    stages: Iterable[Stage] = (),
    started_on: dt.date | None = None,
) -> RoleAssignment:
    """``person`` holds ``role`` over ``org_unit`` (default: the region of their unit),
    from ``started_on`` (default: now; never later than today)."""
    if role not in Role.values:
        raise ServiceError(_("Unknown role."), field="role")
    # Judge the person as they are now, not as the caller loaded them (they may have left).
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    unit = org_unit or person.org_unit.scope_root
    ra = RoleAssignment(person=person, role=role, org_unit=unit)
    if started_on is not None:
        if started_on > timezone.localdate():
            raise ServiceError(
                _("A role is assigned from today or an earlier day."), field="started_on"
            )
        ra.created_at = timezone.make_aware(dt.datetime.combine(started_on, dt.time.min))
    require(actor, "add", ra)
    # The unit the role governs must itself be in the actor's scope.
    require(actor, "add", Person(org_unit=unit))
    if person.status != Person.Status.ACTIVE:
        raise ServiceError(_("Only people in post can hold a role."))
    if not unit.path.startswith(
        person.org_unit.scope_root.path
    ) and not person.org_unit.path.startswith(unit.path):
        raise ServiceError(
            _("A role must be bound to the person's own unit or a unit above it."), field="org_unit"
        )
    try:
        with transaction.atomic():
            ra.save()
    except IntegrityError:
        raise ServiceError(_("This person already holds this role there.")) from None
    ra.subjects.set(subjects)
    ra.stages.set(stages)
    audit.record(
        actor,
        person,
        Action.UPDATE,
        {
            "roles": [
                None,
                f"{ra.get_role_display()}@{unit.name}"
                + (
                    f"（{'、'.join(s.name for s in ra.subjects.all())}）"
                    if ra.subjects.exists()
                    else ""
                ),
            ]
        },
    )
    if person.user_id:
        forget_scopes(person.user)
    return ra


@transaction.atomic
def end_role(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    ra = (
        RoleAssignment.objects.select_for_update()
        .select_related("person", "org_unit")
        .get(pk=assignment.pk)
    )
    require(actor, "change", ra)
    if not ra.is_active:
        return ra
    if actor is not None and ra.person.user_id == actor.pk and ra.role == Role.BUREAU_ADMIN:
        raise ServiceError(_("You cannot remove your own administrator role."))
    ra.is_active = False
    ra.ended_at = timezone.now()
    ra.save(update_fields=["is_active", "ended_at"])
    audit.record(
        actor,
        ra.person,
        Action.UPDATE,
        {"roles": [f"{ra.get_role_display()}@{ra.org_unit.name}", None]},
    )
    return ra


@transaction.atomic
def add_honour(
    *, actor, person: Person, title: str, level: str, year: int | None = None, title_text: str = ""
) -> Honour:
    honour = Honour(person=person, title=title, level=level, year=year, title_text=title_text)
    require(actor, "add", honour)
    if year is not None and not 1950 <= year <= timezone.localdate().year:
        raise ServiceError(_("The year is not plausible."), field="year")
    if Honour.objects.filter(person=person, title=title, level=level).exists():
        raise ServiceError(_("This person already has this honour at this level."))
    honour.save()
    audit.record(actor, person, Action.UPDATE, {"honours": [None, str(honour)]})
    return honour


@transaction.atomic
def remove_honour(*, actor, honour: Honour) -> None:
    require(actor, "delete", honour)
    label = str(honour)
    person = honour.person
    honour.delete()
    audit.record(actor, person, Action.UPDATE, {"honours": [label, None]})


# --- accounts -------------------------------------------------------------------------


def _validate_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise ServiceError(_("The user name may not be empty."), field="username")
    try:
        User.username_validator(username)
    except ValidationError:
        raise ServiceError(
            _("The user name may contain only letters, digits and @ . + - _"), field="username"
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(_("This user name is already taken."), field="username")
    return username


@transaction.atomic
def create_account(*, actor, person: Person, username: str, password: str) -> User:
    person = locked(actor, "manage_account", person)
    if person.user_id:
        raise ServiceError(_("This person already has an account."))
    if person.status != Person.Status.ACTIVE:
        raise ServiceError(_("Only people in post can have an account."))
    username = _validate_username(username)
    user = User(username=username, first_name=person.name[:150])
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise ServiceError(" ".join(e.messages), field="password") from None
    user.set_password(password)
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    audit.record(actor, person, Action.UPDATE, {"account": [None, username]})
    return user


@transaction.atomic
def set_account_active(*, actor, person: Person, active: bool) -> None:
    require(actor, "manage_account", person)
    if not person.user_id:
        raise ServiceError(_("This person has no account."))
    if actor is not None and person.user_id == actor.pk and not active:
        raise ServiceError(_("You cannot disable your own account."))
    User.objects.filter(pk=person.user_id).update(is_active=active)
    audit.record(actor, person, Action.UPDATE, {"account_active": [not active, active]})


@transaction.atomic
def reset_password(*, actor, person: Person, password: str) -> None:
    require(actor, "manage_account", person)
    if not person.user_id:
        raise ServiceError(_("This person has no account."))
    user = person.user
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise ServiceError(" ".join(e.messages), field="password") from None
    user.set_password(password)
    user.save(update_fields=["password"])
    # Whoever knew the old password may have made tokens with it: they stop working too
    # (the account's sessions end by themselves, their hash was the password's).
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit.record(
        actor,
        person,
        Action.PASSWORD,
        {"api_tokens_revoked": [0, revoked]} if revoked else {},
        message=_("Password reset by an admin"),
    )


# --- API tokens -----------------------------------------------------------------------


@transaction.atomic
def create_token(
    *, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new personal token for ``actor``; returns (record, the token shown once)."""
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the token a name, e.g. what it is for."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(_("The expiry date must be in the future."), field="expires_at")
    if actor.api_tokens.filter(revoked_at__isnull=True).count() >= 20:
        raise ServiceError(_("You have 20 active tokens; revoke one first."))
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name[:60],
        prefix=raw[:10],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    token.save()
    audit.record(
        actor,
        token,
        Action.TOKEN,
        {"name": [None, token.name]},
        message=_("Token created"),
        unit_path="",
    )
    return token, raw


@transaction.atomic
def revoke_token(*, actor: User, token: ApiToken) -> None:
    if not can(actor, "change", token):
        raise ServiceError(_("This is not your token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            token,
            Action.TOKEN,
            {"revoked": [False, True]},
            message=_("Token revoked"),
            unit_path="",
        )


def authenticate_token(raw: str) -> User | None:
    """The user a bearer token belongs to, if the token is valid and the user active."""
    if not raw or not raw.startswith(settings.API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- class teachers (班主任) ---------------------------------------------------------------


@transaction.atomic
def assign_homeroom(*, actor, person: Person, grade: int, class_name: str) -> HomeroomAssignment:
    """Make ``person`` the class teacher of one class of their school (grade, class name as
    the rosters write them); an admin above the school or its principal decides."""
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    school = person.org_unit
    if school.level != OrgUnit.Level.SCHOOL:
        raise ServiceError(_("Only the staff of a school can be class teachers."))
    if person.status != Person.Status.ACTIVE:
        raise ServiceError(_("Only people in post can hold a role."))
    try:
        grade = int(grade)
    except (TypeError, ValueError):
        grade = 0
    if not 1 <= grade <= 12:
        raise ServiceError(_("The grade is a number from 1 to 12."), field="grade")
    class_name = " ".join(str(class_name or "").split())
    if not class_name or len(class_name) > 30:
        raise ServiceError(
            _("Give the class as the rosters write it, e.g. 1班."), field="class_name"
        )
    row = HomeroomAssignment(person=person, school=school, grade=grade, class_name=class_name)
    require(actor, "add", row)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ServiceError(_("This person is already the class teacher of this class.")) from None
    audit.record(actor, person, Action.UPDATE, {"homeroom": [None, str(row)]})
    return row


@transaction.atomic
def end_homeroom(*, actor, assignment: HomeroomAssignment) -> HomeroomAssignment:
    row = locked(actor, "change", assignment)
    if not row.is_active:
        return row
    row.is_active = False
    row.ended_at = timezone.now()
    row.save(update_fields=["is_active", "ended_at"])
    audit.record(actor, row.person, Action.UPDATE, {"homeroom": [str(row), None]})
    return row
