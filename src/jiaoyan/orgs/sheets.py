"""Import and export of org units and schools (templates: ../shared/data/org_units.xlsx and
schools.xlsx). The Chinese cell values are fixed vocabulary, independent of the UI language."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import audit, cells, stamps
from jiaoyan.core.models import AuditLog
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register

from .models import OrgUnit, School, Stage
from .services import LEVEL_ORDER, UNITS

LEVEL_SHEET = {
    OrgUnit.Level.PROVINCE: "省",
    OrgUnit.Level.CITY: "市",
    OrgUnit.Level.COUNTY: "县",
    OrgUnit.Level.TOWN: "镇",
    OrgUnit.Level.SCHOOL: "校",
}
LEVEL_READ = {
    **{v: k for k, v in LEVEL_SHEET.items()},
    "省级": OrgUnit.Level.PROVINCE,
    "市级": OrgUnit.Level.CITY,
    "区": OrgUnit.Level.COUNTY,
    "县级": OrgUnit.Level.COUNTY,
    "区县": OrgUnit.Level.COUNTY,
    "县区": OrgUnit.Level.COUNTY,
    "乡": OrgUnit.Level.TOWN,
    "乡镇": OrgUnit.Level.TOWN,
    "街道": OrgUnit.Level.TOWN,
    "学校": OrgUnit.Level.SCHOOL,
}
KIND_SHEET = {
    OrgUnit.Kind.REGION: "区域",
    OrgUnit.Kind.BUREAU: "教育局",
    OrgUnit.Kind.INSTITUTE: "教研机构",
    OrgUnit.Kind.SCHOOL: "学校",
    OrgUnit.Kind.OTHER: "其他",
}
KIND_READ = {
    **{v: k for k, v in KIND_SHEET.items()},
    "行政区域": OrgUnit.Kind.REGION,
    "区划": OrgUnit.Kind.REGION,
    "教体局": OrgUnit.Kind.BUREAU,
    "教育和体育局": OrgUnit.Kind.BUREAU,
    "教研院": OrgUnit.Kind.INSTITUTE,
    "教研室": OrgUnit.Kind.INSTITUTE,
    "教研中心": OrgUnit.Kind.INSTITUTE,
    "教师发展中心": OrgUnit.Kind.INSTITUTE,
    "": OrgUnit.Kind.REGION,
}

SCHOOL_KIND_SHEET = {
    School.Kind.KINDERGARTEN: "幼儿园",
    School.Kind.PRIMARY: "小学",
    School.Kind.JUNIOR: "初级中学",
    School.Kind.SENIOR: "高级中学",
    School.Kind.NINE_YEAR: "九年一贯制学校",
    School.Kind.TWELVE_YEAR: "十二年一贯制学校",
    School.Kind.COMPLETE_SECONDARY: "完全中学",
    School.Kind.VOCATIONAL: "中等职业学校",
    School.Kind.SPECIAL: "特殊教育学校",
    School.Kind.TEACHING_POINT: "教学点",
    School.Kind.OTHER: "其他",
}
SCHOOL_KIND_READ = {
    **{v: k for k, v in SCHOOL_KIND_SHEET.items()},
    "初中": School.Kind.JUNIOR,
    "高中": School.Kind.SENIOR,
    "九年一贯制": School.Kind.NINE_YEAR,
    "十二年一贯制": School.Kind.TWELVE_YEAR,
    "职业高中": School.Kind.VOCATIONAL,
    "职业学校": School.Kind.VOCATIONAL,
    "特教学校": School.Kind.SPECIAL,
}
LOCATION_SHEET = {
    School.Location.URBAN: "城区",
    School.Location.TOWNSHIP: "镇区",
    School.Location.RURAL: "乡村",
}
LOCATION_READ = {v: k for k, v in LOCATION_SHEET.items()}


def stage_names() -> list[str]:
    return list(Stage.objects.values_list("name", flat=True))


def _stages_by_name() -> dict[str, Stage]:
    return {s.name: s for s in Stage.objects.all()}


def _content_type(model) -> ContentType:
    return ContentType.objects.get_for_model(model)


@register
class OrgUnitSheet(SheetKind):
    kind = "org_units"
    model = OrgUnit
    label = _lazy("Units")
    sheet_title = "单位"
    key_column = "code"
    columns = [
        Column("单位代码", "code", cells.code, required=True, help="行政区划代码或单位代码，唯一"),
        Column("单位名称", "name", cells.text, required=True, width=24),
        Column(
            "上级单位代码",
            "parent_code",
            cells.code,
            header_required=True,
            help="省级根单位留空；其他单位填写上级区域的代码",
        ),
        Column(
            "层级",
            "level",
            cells.one_of(LEVEL_READ, list(LEVEL_SHEET.values())),
            required=True,
            choices=list(LEVEL_SHEET.values()),
        ),
        Column(
            "类型",
            "kind",
            cells.one_of(KIND_READ, list(KIND_SHEET.values())),
            header_required=True,
            choices=[*list(KIND_SHEET.values())[:3], "其他"],
        ),
    ]

    def prepare(self, rows: list[Row]) -> None:
        codes = {r.values["code"] for r in rows} | {
            r.values["parent_code"] for r in rows if r.values.get("parent_code")
        }
        # Which codes exist at all (a unit's own code is unique across the tree) …
        self.existing = {
            u.code: u for u in OrgUnit.objects.filter(code__in=codes).select_related("parent")
        }
        self.in_file = {r.values["code"]: r for r in rows}
        # … and which of them a row may name as its parent: the scoped resolver's.
        self.parents = self.resolver(OrgUnit, keys=("code",))
        self.parents.prefetch(
            [r.values["parent_code"] for r in rows if r.values.get("parent_code")]
        )

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        if len(v["name"]) > 100:
            errors.append(RowError(row.number, h("name"), _("is longer than 100 characters")))
        if v["kind"] == OrgUnit.Kind.SCHOOL or v["level"] == OrgUnit.Level.SCHOOL:
            errors.append(
                RowError(row.number, h("kind"), _("schools are imported with the school sheet"))
            )
            return
        existing = self.existing.get(v["code"])
        if existing is not None and existing.kind == OrgUnit.Kind.SCHOOL:
            errors.append(
                RowError(row.number, h("code"), _("this code belongs to a school"), v["code"])
            )
            return
        parent_code = v.get("parent_code") or ""
        if parent_code == v["code"]:
            errors.append(
                RowError(row.number, h("parent_code"), _("a unit cannot be its own parent"))
            )
            return
        if not parent_code:
            if existing is not None and existing.parent_id is None:
                pass
            elif self.actor is not None and not self.actor.is_superuser:
                errors.append(
                    RowError(
                        row.number,
                        h("parent_code"),
                        _("is required (only the top-level province may have no parent)"),
                    )
                )
                return
            elif v["kind"] != OrgUnit.Kind.REGION:
                errors.append(
                    RowError(row.number, h("parent_code"), _("only a region can be top-level"))
                )
                return
        parent = None
        if parent_code:
            # A stored unit is named through the scoped resolver (one outside the actor's
            # scope is as unknown as a code that exists nowhere); a unit new in this file
            # is judged by its own row.
            if existing is not None and existing.parent_id and existing.parent.code == parent_code:
                parent = existing.parent  # where it is now (a re-imported export): no move
            else:
                parent = self.parents.get(parent_code)
            if parent is None and (parent_code in self.existing or parent_code not in self.in_file):
                errors.append(
                    RowError(
                        row.number, h("parent_code"), self.parents.message(parent_code), parent_code
                    )
                )
                return
            if parent_code in self.in_file:
                p_level, p_kind = (self.in_file[parent_code].values[k] for k in ("level", "kind"))
            else:
                p_level, p_kind = parent.level, parent.kind
            problem = _placement_problem(p_level, p_kind, v["level"], v["kind"])
            if problem:
                errors.append(RowError(row.number, h("level"), problem))
                return
            if self._has_cycle(v["code"]) or (
                existing is not None
                and parent is not None
                and parent.path.startswith(existing.path)
            ):
                errors.append(
                    RowError(row.number, h("parent_code"), _("the parent chain loops back"))
                )
                return
        # Scope: may the actor change this unit, and add under its (new) parent — the
        # two checks ``move_unit`` makes?
        if existing is not None and not self.allowed("change", existing):
            errors.append(RowError(row.number, h("code"), _("this unit is outside your scope")))
        elif (
            parent is not None
            and (existing is None or existing.parent_id != parent.pk)
            and not self.allowed("add", OrgUnit(parent=parent))
        ):
            errors.append(
                RowError(row.number, h("parent_code"), _("this unit is outside your scope"))
            )

    def _has_cycle(self, code: str) -> bool:
        seen = set()
        while code in self.in_file:
            if code in seen:
                return True
            seen.add(code)
            code = self.in_file[code].values.get("parent_code") or ""
        return False

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        by_code = {r.values["code"]: r for r in rows}
        done: dict[str, OrgUnit] = {}
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=list(by_code))}
        parent_codes = {r.values.get("parent_code") for r in rows} - {None, ""}
        parents = {u.code: u for u in OrgUnit.objects.filter(code__in=parent_codes)}
        ct = _content_type(OrgUnit)
        logs: list[AuditLog] = []
        msg = _("Imported from %(file)s") % {"file": job_label}

        def resolve(code: str) -> OrgUnit | None:
            if code in done:
                return done[code]
            row = by_code.get(code)
            if row is None:
                return parents.get(code)
            pc = row.values.get("parent_code") or ""
            parent = resolve(pc) if pc else None
            if pc and parent is None:
                return None  # parent row failed: skip silently (it was validated)
            done[code] = _upsert_unit(
                row, units.get(code), parent, counts, logs, ct, msg, self.actor
            )
            return done[code]

        for code in by_code:
            resolve(code)
        AuditLog.objects.bulk_create(logs, batch_size=1000)
        return counts

    def export_queryset(self):
        qs = OrgUnit.objects.exclude(kind=OrgUnit.Kind.SCHOOL)
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.select_related("parent").order_by("path")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for u in queryset.iterator(chunk_size=2000):
            yield [
                u.code,
                u.name,
                u.parent.code if u.parent_id else "",
                LEVEL_SHEET[u.level],
                KIND_SHEET[u.kind],
            ]


def _placement_problem(p_level: str, p_kind: str, level: str, kind: str) -> str:
    if p_kind != OrgUnit.Kind.REGION:
        return _("the parent must be a region")
    if kind in (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE):
        if level != p_level:
            return _("a bureau or institute has the level of its region")
        return ""
    if LEVEL_ORDER[level] <= LEVEL_ORDER[p_level]:
        return _("a %(child)s cannot be placed under a %(parent)s") % {
            "child": LEVEL_SHEET[level],
            "parent": LEVEL_SHEET[p_level],
        }
    return ""


def _upsert_unit(row, unit, parent, counts, logs, ct, msg, actor) -> OrgUnit:
    from .services import set_path

    v = row.values
    fields = {"name": v["name"], "level": v["level"], "kind": v["kind"]}
    if unit is None:
        unit = OrgUnit(code=v["code"], parent=parent, **fields)
        unit.save()
        set_path(unit)
        counts.created += 1
        logs.append(
            audit.build(
                actor,
                unit,
                AuditLog.Action.IMPORT_CREATE,
                {
                    **{
                        k: [None, val]
                        for k, val in audit.snapshot(
                            unit, ["code", "name", "level", "kind"]
                        ).items()
                    }
                },
                message=msg,
                unit_path=unit.path,
                content_type=ct,
            )
        )
        return unit
    before = audit.snapshot(unit, ["name", "level", "kind", "parent"])
    changed = [k for k, val in fields.items() if getattr(unit, k) != val]
    for k in changed:
        setattr(unit, k, fields[k])
    moved = parent is not None and unit.parent_id != parent.pk
    if changed:
        unit.version += 1
        unit.updated_at = timezone.now()
        unit.save(update_fields=[*changed, "version", "updated_at"])
    if moved:
        from django.db.models import F, Value
        from django.db.models.functions import Concat, Substr

        old_path = unit.path
        new_path = f"{parent.path}{unit.pk}/"
        shift = new_path.count("/") - old_path.count("/")
        OrgUnit.objects.filter(path__under=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + shift,
        )
        OrgUnit.objects.filter(pk=unit.pk).update(parent=parent)
        stamps.bump(UNITS)
        unit.refresh_from_db()
    if changed or moved:
        counts.updated += 1
        after = audit.snapshot(unit, ["name", "level", "kind", "parent"])
        logs.append(
            audit.build(
                actor,
                unit,
                AuditLog.Action.IMPORT_UPDATE,
                audit.diff(before, after),
                message=msg,
                unit_path=unit.path,
                content_type=ct,
            )
        )
    else:
        counts.unchanged += 1
    return unit


@register
class SchoolSheet(SheetKind):
    kind = "schools"
    model = School
    label = _lazy("Schools")
    sheet_title = "学校"
    key_column = "code"
    columns = [
        Column("学校代码", "code", cells.code, required=True, help="学校标识码，唯一"),
        Column("学校名称", "name", cells.text, required=True, width=24),
        Column(
            "所属区划代码",
            "division_code",
            cells.code,
            required=True,
            help="学校所在区县或乡镇的行政区划代码",
        ),
        Column(
            "办学类型",
            "kind",
            cells.one_of(SCHOOL_KIND_READ, list(SCHOOL_KIND_SHEET.values())),
            required=True,
            choices=list(SCHOOL_KIND_SHEET.values()),
        ),
        Column("学段", "stages", cells.split_list, help="多个学段用顿号分隔，如：小学、初中"),
        Column(
            "城乡类型",
            "location",
            cells.one_of(LOCATION_READ),
            required=True,
            choices=list(LOCATION_SHEET.values()),
        ),
        Column("是否薄弱学校", "is_weak", cells.boolean, choices=["是", "否"]),
        Column("学生数", "student_count", partial(cells.integer, minimum=0), width=10),
        Column("教师数", "teacher_count", partial(cells.integer, minimum=0), width=10),
        Column("地址", "address", cells.text, width=30),
    ]

    def prepare(self, rows: list[Row]) -> None:
        codes = {r.values["code"] for r in rows}
        divisions = {r.values["division_code"] for r in rows if r.values.get("division_code")}
        self.units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
        # The region a row places its school in is named through the scoped resolver.
        self.divisions = self.resolver(
            OrgUnit, queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION), keys=("code",)
        )
        self.divisions.prefetch(divisions)
        self.stages = _stages_by_name()

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        if len(v["name"]) > 100:
            errors.append(RowError(row.number, h("name"), _("is longer than 100 characters")))
        division = self.referenced(row, errors, self.divisions, "division_code")
        if division is None:
            return
        stage_objs = []
        for name in v.get("stages") or []:
            stage = self.stages.get(cells.nfkc(name))
            if stage is None:
                errors.append(
                    RowError(
                        row.number,
                        h("stages"),
                        _("“%(value)s” is not one of: %(allowed)s")
                        % {"value": name, "allowed": "、".join(self.stages)},
                        name,
                    )
                )
                return
            stage_objs.append(stage)
        row.extra["stages"] = stage_objs
        row.extra["division"] = division
        existing = self.units.get(v["code"])
        if existing is not None and existing.kind != OrgUnit.Kind.SCHOOL:
            errors.append(
                RowError(
                    row.number,
                    h("code"),
                    _("this code belongs to a unit that is not a school"),
                    v["code"],
                )
            )
            return
        if existing is not None:
            if not self.allowed("change", existing):
                errors.append(
                    RowError(row.number, h("code"), _("this school is outside your scope"))
                )
            elif existing.parent_id != division.pk and not self.allowed(
                "add", OrgUnit(parent=division)
            ):
                errors.append(
                    RowError(row.number, h("division_code"), _("this region is outside your scope"))
                )
        elif not self.allowed("add", OrgUnit(parent=division)):
            errors.append(
                RowError(row.number, h("division_code"), _("this region is outside your scope"))
            )

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        msg = _("Imported from %(file)s") % {"file": job_label}
        ct = _content_type(School)
        codes = [r.values["code"] for r in rows]
        existing = {
            s.org_unit.code: s
            for s in School.objects.filter(org_unit__code__in=codes)
            .select_related("org_unit", "org_unit__parent")
            .prefetch_related("stages")
        }
        now = timezone.now()
        new_rows = [r for r in rows if r.values["code"] not in existing]
        logs: list[AuditLog] = []

        # New schools: their units first (ids), then paths, then profiles and stages.
        units = [
            OrgUnit(
                code=r.values["code"],
                name=r.values["name"],
                parent=r.extra["division"],
                level=OrgUnit.Level.SCHOOL,
                kind=OrgUnit.Kind.SCHOOL,
                created_at=now,
                updated_at=now,
            )
            for r in new_rows
        ]
        OrgUnit.objects.bulk_create(units, batch_size=1000)
        if units and units[0].pk is None:  # backends that do not return ids
            ids = dict(
                OrgUnit.objects.filter(code__in=[u.code for u in units]).values_list("code", "pk")
            )
            for u in units:
                u.pk = ids[u.code]
        for u in units:
            u.path = f"{u.parent.path}{u.pk}/"
            u.depth = u.path.count("/") - 2
        OrgUnit.objects.bulk_update(units, ["path", "depth"], batch_size=1000)
        schools = []
        for r, u in zip(new_rows, units, strict=True):
            v = r.values
            schools.append(
                School(
                    org_unit=u,
                    kind=v["kind"],
                    location=v["location"],
                    is_weak=bool(v.get("is_weak")),
                    student_count=v.get("student_count") or 0,
                    teacher_count=v.get("teacher_count") or 0,
                    address=v.get("address") or "",
                )
            )
        School.objects.bulk_create(schools, batch_size=1000)
        Through = School.stages.through
        Through.objects.bulk_create(
            [
                Through(school_id=s.pk, stage_id=st.pk)
                for r, s in zip(new_rows, schools, strict=True)
                for st in r.extra["stages"]
            ],
            batch_size=2000,
        )
        for r, s in zip(new_rows, schools, strict=True):
            snap = {**_school_sheet_snapshot(s, r.extra["stages"])}
            logs.append(
                audit.build(
                    self.actor,
                    s,
                    AuditLog.Action.IMPORT_CREATE,
                    {k: [None, val] for k, val in snap.items()},
                    message=msg,
                    unit_path=s.org_unit.path,
                    content_type=ct,
                    when=now,
                )
            )
        counts.created = len(schools)

        # Existing schools: compare, then write only what changed.
        changed_units, changed_schools, stage_sets = [], [], []
        for r in rows:
            school = existing.get(r.values["code"])
            if school is None:
                continue
            v = r.values
            before = _school_sheet_snapshot(school, list(school.stages.all()))
            unit = school.org_unit
            unit_dirty = False
            if unit.name != v["name"]:
                unit.name = v["name"]
                unit_dirty = True
            division = r.extra["division"]
            if unit.parent_id != division.pk:
                unit.parent = division
                unit.path = f"{division.path}{unit.pk}/"
                unit.depth = unit.path.count("/") - 2
                unit_dirty = True
            new_values = {
                "kind": v["kind"],
                "location": v["location"],
                "is_weak": bool(v.get("is_weak")),
                "student_count": v.get("student_count") or 0,
                "teacher_count": v.get("teacher_count") or 0,
                "address": v.get("address") or "",
            }
            school_dirty = False
            for k, val in new_values.items():
                if getattr(school, k) != val:
                    setattr(school, k, val)
                    school_dirty = True
            new_stage_ids = {s.pk for s in r.extra["stages"]}
            old_stage_ids = {s.pk for s in school.stages.all()}
            stages_dirty = new_stage_ids != old_stage_ids
            if not (unit_dirty or school_dirty or stages_dirty):
                counts.unchanged += 1
                continue
            counts.updated += 1
            if unit_dirty:
                unit.version += 1
                unit.updated_at = now
                changed_units.append(unit)
            school.version += 1
            changed_schools.append(school)
            if stages_dirty:
                stage_sets.append((school, r.extra["stages"]))
            after = _school_sheet_snapshot(school, r.extra["stages"])
            logs.append(
                audit.build(
                    self.actor,
                    school,
                    AuditLog.Action.IMPORT_UPDATE,
                    audit.diff(before, after),
                    message=msg,
                    unit_path=unit.path,
                    content_type=ct,
                    when=now,
                )
            )
        OrgUnit.objects.bulk_update(
            changed_units,
            ["name", "parent", "path", "depth", "version", "updated_at"],
            batch_size=1000,
        )
        School.objects.bulk_update(
            changed_schools,
            ["kind", "location", "is_weak", "student_count", "teacher_count", "address", "version"],
            batch_size=1000,
        )
        if changed_units or changed_schools:  # a move or a flag among them, maybe
            stamps.bump(UNITS)
        for school, stages in stage_sets:
            school.stages.set(stages)
        AuditLog.objects.bulk_create(logs, batch_size=1000)
        return counts

    def export_queryset(self):
        qs = School.objects.all()
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.select_related("org_unit", "org_unit__parent").prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("order"))
        )

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for s in queryset.iterator(chunk_size=2000):
            yield [
                s.org_unit.code,
                s.org_unit.name,
                s.org_unit.parent.code if s.org_unit.parent_id else "",
                SCHOOL_KIND_SHEET.get(s.kind, ""),
                "、".join(st.name for st in s.stages.all()),
                LOCATION_SHEET.get(s.location, ""),
                "是" if s.is_weak else "否",
                s.student_count,
                s.teacher_count,
                s.address,
            ]


def _school_sheet_snapshot(school: School, stages) -> dict[str, Any]:
    unit = school.org_unit
    return {
        "code": unit.code,
        "name": unit.name,
        "parent": str(unit.parent) if unit.parent_id else None,
        "kind": school.kind,
        "stages": sorted(s.name for s in stages),
        "location": school.location,
        "is_weak": school.is_weak,
        "student_count": school.student_count,
        "teacher_count": school.teacher_count,
        "address": school.address,
    }
