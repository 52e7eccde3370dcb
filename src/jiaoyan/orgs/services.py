"""Writes to the org tree and schools. Each function checks ``can``, validates, writes and
audits in one transaction; a rule broken raises :class:`ServiceError` and writes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from jiaoyan.core import audit, stamps
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import apply_changes

from .models import OrgUnit, School, Stage

LEVEL_ORDER = {
    OrgUnit.Level.PROVINCE: 0,
    OrgUnit.Level.CITY: 1,
    OrgUnit.Level.COUNTY: 2,
    OrgUnit.Level.TOWN: 3,
    OrgUnit.Level.SCHOOL: 4,
}

UNIT_FIELDS = ["code", "name", "level", "kind", "is_active"]
# The version (``core.stamps``) of what figures over a subtree read of the units: their
# places in the tree and the schools' location class and weak flag.
UNITS = "orgs.units"
FLAGS = ("location", "is_weak")
SCHOOL_FIELDS = [
    "kind",
    "stages",
    "location",
    "is_weak",
    "student_count",
    "teacher_count",
    "address",
]


def validate_placement(*, parent: OrgUnit | None, level: str, kind: str) -> None:
    """The tree's shape: regions nest downwards; bureaus and institutes sit in a region at
    its level; schools sit under a region."""
    if parent is None:
        if kind != OrgUnit.Kind.REGION:
            raise ServiceError(_("Only a region can be a top-level unit."), field="parent")
        return
    if parent.kind != OrgUnit.Kind.REGION:
        raise ServiceError(
            _("Units can only be placed under a region, not under “%(p)s”.") % {"p": parent.name},
            field="parent",
        )
    if kind == OrgUnit.Kind.SCHOOL:
        if level != OrgUnit.Level.SCHOOL:
            raise ServiceError(_("A school's level must be “school”."), field="level")
        return
    if level == OrgUnit.Level.SCHOOL:
        raise ServiceError(_("Only schools have the level “school”."), field="level")
    if kind in (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE):
        if level != parent.level:
            raise ServiceError(
                _("A bureau or institute has the level of its region (%(level)s).")
                % {"level": parent.get_level_display()},
                field="level",
            )
        return
    if LEVEL_ORDER[level] <= LEVEL_ORDER[parent.level]:
        raise ServiceError(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {
                "child": OrgUnit.Level(level).label,
                "parent": OrgUnit.Level(parent.level).label,
            },
            field="level",
        )


def _check_code_free(code: str, exclude_pk: int | None = None) -> None:
    qs = OrgUnit.objects.filter(code=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ServiceError(
            _("The unit code “%(code)s” is already used by another unit.") % {"code": code},
            field="code",
        )


def set_path(unit: OrgUnit) -> None:
    """Give a freshly inserted unit its path and depth (one UPDATE)."""
    parent_path = unit.parent.path if unit.parent_id else "/"
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)


@transaction.atomic
def create_unit(
    *, actor, parent: OrgUnit | None, code: str, name: str, level: str, kind: str
) -> OrgUnit:
    unit = OrgUnit(parent=parent, code=code.strip(), name=name.strip(), level=level, kind=kind)
    require(actor, "add", unit)
    if not unit.code or not unit.name:
        raise ServiceError(_("Code and name are required."))
    validate_placement(parent=parent, level=level, kind=kind)
    _check_code_free(unit.code)
    unit.save()
    set_path(unit)
    audit.record(actor, unit, audit.AuditLog.Action.CREATE, audit.snapshot(unit, UNIT_FIELDS))
    return unit


@transaction.atomic
def update_unit(
    *, actor, unit: OrgUnit, data: dict, expected_version: int | None = None
) -> OrgUnit:
    unit = locked(actor, "change", unit)
    if "code" in data:
        data["code"] = data["code"].strip()
        _check_code_free(data["code"], exclude_pk=unit.pk)
    if "name" in data:
        data["name"] = data["name"].strip()
        if not data["name"]:
            raise ServiceError(_("The name may not be empty."), field="name")
    level = data.get("level", unit.level)
    kind = data.get("kind", unit.kind)
    if kind != unit.kind and OrgUnit.Kind.SCHOOL in (kind, unit.kind):
        raise ServiceError(_("A school cannot become another kind of unit, or the reverse."))
    validate_placement(parent=unit.parent, level=level, kind=kind)
    if data.get("is_active") is False and unit.children.filter(is_active=True).exists():
        raise ServiceError(_("Close the units below this one first."), field="is_active")
    apply_changes(actor, unit, data, UNIT_FIELDS, expected_version=expected_version)
    return unit


@transaction.atomic
def move_unit(*, actor, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Hang ``unit`` (and its subtree) under ``new_parent``; paths below are rewritten."""
    unit = locked(actor, "change", unit)
    require(actor, "add", OrgUnit(parent=new_parent))
    if new_parent.path.startswith(unit.path):
        raise ServiceError(_("A unit cannot be moved under itself or its own subtree."))
    validate_placement(parent=new_parent, level=unit.level, kind=unit.kind)
    old_path, old_parent = unit.path, unit.parent
    new_path = f"{new_parent.path}{unit.pk}/"
    depth_shift = new_path.count("/") - old_path.count("/")
    OrgUnit.objects.filter(path__under=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent)
    stamps.bump(UNITS)
    unit.refresh_from_db()
    audit.record(
        actor, unit, audit.AuditLog.Action.UPDATE, {"parent": [str(old_parent), str(new_parent)]}
    )
    return unit


@transaction.atomic
def create_school(
    *,
    actor,
    parent: OrgUnit,
    code: str,
    name: str,
    kind: str,
    location: str,
    stages: Iterable[Stage] = (),
    is_weak: bool = False,
    student_count: int = 0,
    teacher_count: int = 0,
    address: str = "",
) -> School:
    unit = OrgUnit(
        parent=parent,
        code=code.strip(),
        name=name.strip(),
        level=OrgUnit.Level.SCHOOL,
        kind=OrgUnit.Kind.SCHOOL,
    )
    require(actor, "add", unit)
    if not unit.code or not unit.name:
        raise ServiceError(_("Code and name are required."))
    validate_placement(parent=parent, level=unit.level, kind=unit.kind)
    _check_code_free(unit.code)
    if student_count < 0 or teacher_count < 0:
        raise ServiceError(_("Counts may not be negative."))
    unit.save()
    set_path(unit)
    school = School(
        org_unit=unit,
        kind=kind,
        location=location,
        is_weak=is_weak,
        student_count=student_count,
        teacher_count=teacher_count,
        address=address.strip(),
    )
    require(actor, "add", school)
    school.save()
    school.stages.set(stages)
    audit.record(
        actor,
        school,
        audit.AuditLog.Action.CREATE,
        {**audit.snapshot(unit, ["code", "name"]), **audit.snapshot(school, SCHOOL_FIELDS)},
    )
    return school


@transaction.atomic
def update_school(
    *, actor, school: School, data: dict, expected_version: int | None = None
) -> School:
    school = School.objects.select_for_update().select_related("org_unit").get(pk=school.pk)
    require(actor, "change", school)
    for f in ("student_count", "teacher_count"):
        if f in data and (data[f] is None or data[f] < 0):
            raise ServiceError(_("Counts may not be negative."), field=f)
    unit_data = {k: data.pop(k) for k in ("name", "code") if k in data}
    if unit_data:
        # Renaming or recoding a school is an admin's act, not a principal's.
        require(actor, "change", school.org_unit)
        if "code" in unit_data:
            unit_data["code"] = unit_data["code"].strip()
            _check_code_free(unit_data["code"], exclude_pk=school.pk)
        if "name" in unit_data:
            unit_data["name"] = unit_data["name"].strip()
            if not unit_data["name"]:
                raise ServiceError(_("The name may not be empty."), field="name")
    from jiaoyan.core.services import check_version

    check_version(school, expected_version)
    unit_changes = {}
    if unit_data:
        unit = school.org_unit
        before = audit.snapshot(unit, list(unit_data))
        for k, v in unit_data.items():
            setattr(unit, k, v)
        unit_changes = audit.diff(before, audit.snapshot(unit, list(unit_data)))
        if unit_changes:
            unit.version = F("version") + 1
            unit.save(update_fields=[*unit_data, "version"])
            unit.refresh_from_db()
    changes = apply_changes(actor, school, data, SCHOOL_FIELDS)
    if any(f in changes for f in FLAGS):
        stamps.bump(UNITS)
    if unit_changes and not changes:
        school.version = F("version") + 1
        school.save(update_fields=["version"])
        school.refresh_from_db()
        audit.record(actor, school, audit.AuditLog.Action.UPDATE, unit_changes)
    elif unit_changes:
        # Merge the name/code change into the audit row apply_changes wrote.
        last = audit.history(school, 1)[0]
        last.changes = {**unit_changes, **last.changes}
        last.save(update_fields=["changes"])
    return school
