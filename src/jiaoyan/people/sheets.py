"""Import and export of people (template: ../shared/data/people.xlsx).

One row is one person with one job (岗位) — the role, bound to the person's unit (or, for
an institute or bureau, to its region) — the subject and stage of that role, the
professional title and any honours, written ``骨干教师（市级）`` or ``学科带头人（县级，2021）``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import audit, bulk, cells, stamps
from jiaoyan.core.models import AuditLog
from jiaoyan.core.roles import ROLE_BY_SHEET_NAME, SHEET_NAME_BY_ROLE
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from .models import Honour, Person, RoleAssignment
from .services import UNITS

GENDER_SHEET = {Person.Gender.MALE: "男", Person.Gender.FEMALE: "女"}
GENDER_READ = {
    "男": Person.Gender.MALE,
    "女": Person.Gender.FEMALE,
    "M": "male",
    "F": "female",
    "": "",
}
TITLE_SHEET = {
    Person.Title.SENIOR_PLUS: "正高级",
    Person.Title.SENIOR: "高级",
    Person.Title.FIRST: "一级",
    Person.Title.SECOND: "二级",
    Person.Title.THIRD: "三级",
    Person.Title.NONE: "未定级",
}
TITLE_READ = {
    **{v: k for k, v in TITLE_SHEET.items()},
    "正高级教师": Person.Title.SENIOR_PLUS,
    "高级教师": Person.Title.SENIOR,
    "一级教师": Person.Title.FIRST,
    "二级教师": Person.Title.SECOND,
    "三级教师": Person.Title.THIRD,
    "无": Person.Title.NONE,
    "": "",
}
HONOUR_SHEET = {
    Honour.Title.MASTER_TEACHER: "名师",
    Honour.Title.KEY_TEACHER: "骨干教师",
    Honour.Title.SUBJECT_LEADER: "学科带头人",
    Honour.Title.MASTER_PRINCIPAL: "名校长",
}
HONOUR_READ = {v: k for k, v in HONOUR_SHEET.items()}
LEVEL_SHEET = {
    Honour.Level.NATIONAL: "国家级",
    Honour.Level.PROVINCE: "省级",
    Honour.Level.CITY: "市级",
    Honour.Level.COUNTY: "县级",
    Honour.Level.SCHOOL: "校级",
}
LEVEL_READ = {
    **{v: k for k, v in LEVEL_SHEET.items()},
    "全国": Honour.Level.NATIONAL,
    "国家": Honour.Level.NATIONAL,
    "省": Honour.Level.PROVINCE,
    "市": Honour.Level.CITY,
    "县": Honour.Level.COUNTY,
    "区": Honour.Level.COUNTY,
    "区级": Honour.Level.COUNTY,
    "县区级": Honour.Level.COUNTY,
    "校": Honour.Level.SCHOOL,
}

_HONOUR_BRACKET = re.compile(r"^(?P<title>[^(（]+)[(（](?P<inner>[^)）]*)[)）]$")
_HONOUR_PREFIX = re.compile(
    r"^(?:(?P<year>\d{4})年?)?(?P<level>国家级|全国|省级|市级|县级|区级|校级)(?P<title>.+)$"
)


def honour_label(h: Honour) -> str:
    name = HONOUR_SHEET.get(h.title) or h.title_text or h.get_title_display()
    inner = LEVEL_SHEET.get(h.level, "")
    if h.year:
        inner += f"，{h.year}"
    return f"{name}（{inner}）"


def parse_honours(raw: Any) -> list[tuple[str, str, str, int | None]]:
    """``骨干教师（市级）、学科带头人（县级，2021）`` → [(title, text, level, year) …]."""
    text = cells.text(raw)
    if not text:
        return []
    result = []
    for part in re.split(r"[、;；\n]+", text):
        part = part.strip()
        if not part:
            continue
        year = None
        m = _HONOUR_BRACKET.match(part)
        if m:
            title_text = m["title"].strip()
            level_word, year_word = "", ""
            for piece in re.split(r"[,，\s]+", cells.nfkc(m["inner"])):
                if re.fullmatch(r"\d{4}年?", piece):
                    year_word = piece[:4]
                elif piece:
                    level_word = piece
        else:
            m2 = _HONOUR_PREFIX.match(part)
            if not m2:
                raise cells.CellError(
                    _("“%(value)s”: write honours as 骨干教师（市级） or 学科带头人（县级，2021）")
                    % {"value": part}
                )
            title_text, level_word, year_word = m2["title"], m2["level"], m2["year"] or ""
        level = LEVEL_READ.get(level_word)
        if level is None:
            raise cells.CellError(
                _("“%(value)s”: the level must be 国家级, 省级, 市级, 县级 or 校级")
                % {"value": part}
            )
        if year_word:
            year = int(year_word)
            if not 1950 <= year <= timezone.localdate().year:
                raise cells.CellError(_("“%(value)s”: the year is not plausible") % {"value": part})
        title = HONOUR_READ.get(title_text, Honour.Title.OTHER)
        result.append((title, "" if title != Honour.Title.OTHER else title_text[:50], level, year))
    return result


def parse_teaching_since(raw: Any):
    """参加教育工作时间: a date, not later than today; blank is no date (on an update:
    the date kept as it is)."""
    day = cells.date(raw)
    if day is not None and day > timezone.localdate():
        raise cells.CellError(_("The date teaching began cannot be later than today."))
    return day


def parse_name(raw: Any) -> str:
    value = cells.text(raw)
    if len(value) > 50:
        raise cells.CellError(_("is longer than 50 characters"))
    return value


@register
class PersonSheet(SheetKind):
    kind = "people"
    model = Person
    label = _lazy("People")
    sheet_title = "教职工"
    key_column = "staff_no"
    columns = [
        Column(
            "工号",
            "staff_no",
            partial(cells.code, max_length=32),
            required=True,
            help="教职工工号，唯一；再次导入按工号更新",
        ),
        Column("姓名", "name", parse_name, required=True),
        Column(
            "性别", "gender", cells.one_of(GENDER_READ, ["男", "女"]), choices=["男", "女"], width=8
        ),
        Column("手机号", "phone", cells.mobile_phone, help="11位手机号"),
        Column("所属单位代码", "unit_code", cells.code, required=True, help="学校代码或单位代码"),
        Column(
            "岗位",
            "role",
            cells.one_of(ROLE_BY_SHEET_NAME, list(SHEET_NAME_BY_ROLE.values())),
            required=True,
            choices=list(SHEET_NAME_BY_ROLE.values()),
        ),
        Column("学科", "subjects", cells.split_list, help="多个学科用顿号分隔"),
        Column("学段", "stages", cells.split_list, help="多个学段用顿号分隔"),
        Column(
            "职称",
            "professional_title",
            cells.one_of(TITLE_READ, list(TITLE_SHEET.values())),
            choices=list(TITLE_SHEET.values()),
        ),
        Column(
            "荣誉称号",
            "honours",
            parse_honours,
            width=24,
            help="如：骨干教师（市级）；多个用顿号分隔；可注年份：学科带头人（县级，2021）",
        ),
        Column(
            "参加教育工作时间",
            "teaching_since",
            parse_teaching_since,
            width=14,
            help="如 2016-09-01；再次导入时空白表示不变",
        ),
    ]

    def prepare(self, rows: list[Row]) -> None:
        codes = {r.values["unit_code"] for r in rows if r.values.get("unit_code")}
        # A row's unit is named through the scoped resolver: one outside the actor's
        # scope gets the same error as a code that exists nowhere.
        self.units = self.resolver(
            OrgUnit, queryset=OrgUnit.objects.select_related("parent"), keys=("code",)
        )
        self.units.prefetch(codes)
        self.subjects = {s.name: s for s in Subject.objects.all()}
        self.stages = {s.name: s for s in Stage.objects.all()}
        staff = [r.values["staff_no"] for r in rows]
        paths = Person.objects.values_list("staff_no", "org_unit__path")
        self.existing_units: dict[str, str] = dict(bulk.filter_in(paths, "staff_no", staff))

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        unit = self.referenced(row, errors, self.units, "unit_code")
        if unit is None:
            return
        row.extra["unit"] = unit
        for key, table in (("subjects", self.subjects), ("stages", self.stages)):
            found = []
            for name in v.get(key) or []:
                obj = table.get(cells.nfkc(name))
                if obj is None:
                    errors.append(
                        RowError(
                            row.number,
                            h(key),
                            _("“%(value)s” is not a known %(what)s")
                            % {"value": name, "what": h(key)},
                            name,
                        )
                    )
                    continue
                found.append(obj)
            row.extra[key] = found
        # Scope: the actor must govern the person's new unit, and the old one when moving.
        if not self._may_add_in(unit):
            errors.append(
                RowError(row.number, h("unit_code"), _("this unit is outside your scope"))
            )
            return
        old_path = self.existing_units.get(v["staff_no"])
        if old_path is not None and old_path != unit.path and self.actor is not None:
            from jiaoyan.core.scope import user_scopes

            if not self.actor.is_superuser and not any(
                s.role == "bureau_admin" and old_path.startswith(s.path)
                for s in user_scopes(self.actor)
            ):
                errors.append(
                    RowError(
                        row.number,
                        h("staff_no"),
                        # Staff numbers are unique: the row cannot take this one, and
                        # the message says no more than that (not whose it is, or where).
                        _("The staff number “%(no)s” is already in use.") % {"no": v["staff_no"]},
                        v["staff_no"],
                    )
                )

    def _may_add_in(self, unit: OrgUnit) -> bool:
        """May the actor add people to ``unit``? (Asked once per unit, not per row.)"""
        cache = self.__dict__.setdefault("_may_add", {})
        if unit.pk not in cache:
            cache[unit.pk] = self.allowed("add", Person(org_unit=unit))
        return cache[unit.pk]

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        # In slices: every row stands alone (one person, by staff number), so writing
        # 5,000 at a time does the same in the same transaction with a tenth of the memory.
        total = WriteCounts()
        for chunk in bulk.chunks(rows, WRITE_SLICE):
            counts = _write_people(self.actor, chunk, job_label)
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
        return total

    def export_queryset(self):
        qs = Person.objects.all()
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return (
            qs.select_related("org_unit")
            .prefetch_related(
                # Into plain lists (to_attr): reading them costs no queryset per row.
                Prefetch(
                    "roles",
                    queryset=RoleAssignment.objects.filter(is_active=True).prefetch_related(
                        Prefetch("subjects", to_attr="export_subjects"),
                        Prefetch("stages", to_attr="export_stages"),
                    ),
                    to_attr="export_roles",
                ),
                Prefetch("honours", to_attr="export_honours"),
            )
            .order_by("org_unit__path", "staff_no")
        )

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        from jiaoyan.core.scope import can

        def listed(obj, attr: str, manager: str) -> list:
            found = getattr(obj, attr, None)
            return found if found is not None else list(getattr(obj, manager).all())

        # Whether the phone shows depends on the person's unit, or on the person being
        # the actor: asked once per unit rather than once per row.
        phone_shown: dict[int, bool] = {}
        for p in queryset.iterator(chunk_size=2000):
            roles = listed(p, "export_roles", "roles")
            role = roles[0] if roles else None
            phone = p.phone
            if self.actor is not None and phone:
                if p.user_id is not None and p.user_id == self.actor.pk:
                    shown = can(self.actor, "view_phone", p)
                else:
                    shown = phone_shown.get(p.org_unit_id)
                    if shown is None:
                        shown = phone_shown[p.org_unit_id] = can(self.actor, "view_phone", p)
                if not shown:
                    phone = p.masked_phone
            yield [
                p.staff_no,
                p.name,
                GENDER_SHEET.get(p.gender, ""),
                phone,
                p.org_unit.code,
                SHEET_NAME_BY_ROLE.get(role.role, "") if role else "",
                "、".join(s.name for s in listed(role, "export_subjects", "subjects"))
                if role
                else "",
                "、".join(s.name for s in listed(role, "export_stages", "stages")) if role else "",
                TITLE_SHEET.get(p.professional_title, ""),
                "、".join(honour_label(h) for h in listed(p, "export_honours", "honours")),
                f"{p.teaching_since:%Y-%m-%d}" if p.teaching_since else "",
            ]


WRITE_SLICE = 5000


def _write_people(actor, rows: list[Row], job_label: str) -> WriteCounts:
    """Create or update people, their imported role and honours, in bulk.

    What is already there is read as plain values (ids, and the subject and stage ids of
    each active role), not as model objects with prefetched relations; the changes go out
    as prepared statements (:mod:`jiaoyan.core.bulk`), except the new people and roles,
    whose ids the rest needs.
    """
    counts = WriteCounts()
    now = timezone.now()
    msg = _("Imported from %(file)s") % {"file": job_label}
    ct = ContentType.objects.get_for_model(Person)
    staff = [r.values["staff_no"] for r in rows]
    existing = {p.staff_no: p for p in bulk.filter_in(Person.objects.all(), "staff_no", staff)}
    # Each unit once, shared by its people (the snapshot reads the old unit's name).
    units_by_id: dict[int, OrgUnit] = {r.extra["unit"].pk: r.extra["unit"] for r in rows}
    missing = list({p.org_unit_id for p in existing.values()} - units_by_id.keys())
    for chunk in bulk.chunks(missing):
        units_by_id.update((u.pk, u) for u in OrgUnit.objects.filter(pk__in=chunk))
    for p in existing.values():
        p.org_unit = units_by_id[p.org_unit_id]

    SubjectThrough = RoleAssignment.subjects.through
    StageThrough = RoleAssignment.stages.through
    ids = [p.pk for p in existing.values()]
    assignments: dict[tuple[int, str, int], int] = {}  # (person, role, unit) -> role id
    honours: dict[int, dict[tuple[str, str], Honour]] = {}
    for chunk in bulk.chunks(ids):
        for pk, pid, role, uid in RoleAssignment.objects.filter(
            person_id__in=chunk, is_active=True
        ).values_list("pk", "person_id", "role", "org_unit_id"):
            assignments[(pid, role, uid)] = pk
        for h in Honour.objects.filter(person_id__in=chunk):
            honours.setdefault(h.person_id, {})[(h.title, h.level)] = h
    old_subjects: dict[int, set[int]] = defaultdict(set)
    old_stages: dict[int, set[int]] = defaultdict(set)
    for chunk in bulk.chunks(list(assignments.values())):
        for ra_id, sid in SubjectThrough.objects.filter(roleassignment_id__in=chunk).values_list(
            "roleassignment_id", "subject_id"
        ):
            old_subjects[ra_id].add(sid)
        for ra_id, sid in StageThrough.objects.filter(roleassignment_id__in=chunk).values_list(
            "roleassignment_id", "stage_id"
        ):
            old_stages[ra_id].add(sid)
    subject_names = dict(Subject.objects.values_list("pk", "name"))

    person_fields = ["name", "gender", "phone", "org_unit", "professional_title", "teaching_since"]
    new_people: list[Person] = []
    changed_people: list[tuple[Person, list[str]]] = []
    logs: list[AuditLog] = []
    pending: list[tuple[Row, Person, dict]] = []
    for r in rows:
        v = r.values
        unit: OrgUnit = r.extra["unit"]
        values = {
            "name": v["name"],
            "gender": v.get("gender") or "",
            "phone": v.get("phone") or "",
            "org_unit": unit,
            "professional_title": v.get("professional_title") or "",
        }
        # 参加教育工作时间: blank leaves the date as it is (none for a new person).
        if v.get("teaching_since") is not None:
            values["teaching_since"] = v["teaching_since"]
        person = existing.get(v["staff_no"])
        if person is None:
            person = Person(staff_no=v["staff_no"], created_at=now, updated_at=now, **values)
            new_people.append(person)
            pending.append((r, person, {}))
            continue
        before = _person_snapshot(person)
        dirty = []
        for k, val in values.items():
            current = person.org_unit_id if k == "org_unit" else getattr(person, k)
            target = val.pk if k == "org_unit" else val
            if current != target:
                setattr(person, k, val)
                dirty.append(k)
        pending.append((r, person, {"before": before, "dirty": dirty}))
    bulk.bulk_insert(Person, new_people)
    idmap = {}
    for chunk in bulk.chunks([p.staff_no for p in new_people]):
        idmap.update(Person.objects.filter(staff_no__in=chunk).values_list("staff_no", "pk"))
    for p in new_people:
        p.pk = p.id = idmap[p.staff_no]
        p._state.adding = False

    new_assignments: list[tuple[RoleAssignment, list, list]] = []
    subject_sets: list[tuple[int, list, list]] = []  # (role id, subjects, stages)
    new_honours: list[Honour] = []
    changed_honours: list[Honour] = []
    for r, person, state in pending:
        v = r.values
        unit = r.extra["unit"]
        scope_unit = unit.scope_root
        role_changes: dict[str, list] = {}
        key = (person.pk, v["role"], scope_unit.pk)
        ra_id = assignments.get(key)
        subjects, stages = r.extra.get("subjects", []), r.extra.get("stages", [])
        if ra_id is None:
            ra = RoleAssignment(person=person, role=v["role"], org_unit=scope_unit, created_at=now)
            new_assignments.append((ra, subjects, stages))
            role_changes["roles"] = [None, f"{SHEET_NAME_BY_ROLE[v['role']]}@{scope_unit.name}"]
        else:
            old_sub = old_subjects.get(ra_id, set())
            old_stg = old_stages.get(ra_id, set())
            if old_sub != {s.pk for s in subjects} or old_stg != {s.pk for s in stages}:
                subject_sets.append((ra_id, subjects, stages))
                role_changes["subjects"] = [
                    sorted(subject_names[i] for i in old_sub),
                    sorted(s.name for s in subjects),
                ]
        have = honours.get(person.pk, {})
        for title, text, level, year in v.get("honours") or []:
            h = have.get((title, level))
            if h is None:
                h = Honour(person=person, title=title, title_text=text, level=level, year=year)
                new_honours.append(h)
                have[(title, level)] = h
                role_changes.setdefault("honours", [None, []])[1].append(honour_label(h))
            elif year and h.year != year:
                h.year = year
                changed_honours.append(h)
                role_changes.setdefault("honours", [None, []])[1].append(honour_label(h))
        if not state:  # a new person
            counts.created += 1
            snap = _person_snapshot(person)
            logs.append(
                audit.build(
                    actor,
                    person,
                    AuditLog.Action.IMPORT_CREATE,
                    {**{k: [None, val] for k, val in snap.items()}, **role_changes},
                    message=msg,
                    unit_path=unit.path,
                    content_type=ct,
                    when=now,
                )
            )
            continue
        if state["dirty"]:
            person.version += 1
            person.updated_at = now
            changed_people.append((person, state["dirty"]))
        if state["dirty"] or role_changes:
            counts.updated += 1
            changes = audit.diff(state["before"], _person_snapshot(person))
            changes.update(role_changes)
            logs.append(
                audit.build(
                    actor,
                    person,
                    AuditLog.Action.IMPORT_UPDATE,
                    changes,
                    message=msg,
                    unit_path=unit.path,
                    content_type=ct,
                    when=now,
                )
            )
        else:
            counts.unchanged += 1

    # Only the columns that changed, grouped: an import mostly corrects a phone or a title,
    # and rewriting the unit column (and its indexes) of every changed row is costly.
    by_columns: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for person, dirty in changed_people:
        by_columns[tuple(f for f in person_fields if f in dirty)].append(person)
    for columns, people in by_columns.items():
        bulk.bulk_update(Person, people, [*columns, "version", "updated_at"])
        if "org_unit" in columns:
            stamps.bump(UNITS)
    ras = [a for a, _s, _t in new_assignments]
    bulk.bulk_insert(RoleAssignment, ras)
    if ras:  # their ids, by the natural key (one active role per person, role and unit)
        lookup = {}
        pids = list({a.person_id for a in ras})
        for chunk in bulk.chunks(pids):
            for pk, pid, role, uid in RoleAssignment.objects.filter(
                person_id__in=chunk, is_active=True
            ).values_list("pk", "person_id", "role", "org_unit_id"):
                lookup[(pid, role, uid)] = pk
        for a in ras:
            a.pk = a.id = lookup[(a.person_id, a.role, a.org_unit_id)]
    changed_ids = [ra_id for ra_id, _su, _st in subject_sets]
    bulk.bulk_delete_in(SubjectThrough, "roleassignment_id", changed_ids)
    bulk.bulk_delete_in(StageThrough, "roleassignment_id", changed_ids)
    linked = [(ra.pk, su, st) for ra, su, st in new_assignments] + subject_sets
    bulk.insert_values(
        SubjectThrough,
        ["roleassignment_id", "subject_id"],
        ((ra_id, s.pk) for ra_id, subjects, _st in linked for s in subjects),
    )
    bulk.insert_values(
        StageThrough,
        ["roleassignment_id", "stage_id"],
        ((ra_id, s.pk) for ra_id, _su, stages in linked for s in stages),
    )
    bulk.bulk_insert(Honour, new_honours)
    bulk.bulk_update(Honour, changed_honours, ["year"])
    bulk.bulk_insert(AuditLog, logs)
    return counts


def _person_snapshot(p: Person) -> dict[str, Any]:
    return {
        "staff_no": p.staff_no,
        "name": p.name,
        "gender": p.gender,
        "phone": p.masked_phone if p.phone else "",
        "org_unit": p.org_unit.name if p.org_unit_id else None,
        "professional_title": p.professional_title,
        "teaching_since": f"{p.teaching_since:%Y-%m-%d}" if p.teaching_since else None,
    }
