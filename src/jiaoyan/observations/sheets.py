"""Import and export of liaison schools (联点联校).

One row per researcher: their staff number and the codes of the schools they are
assigned to guide (several, separated by 、). Importing makes the researcher's active
assignments at the schools the importer governs exactly those listed: missing ones are
added, unlisted ones end; assignments at schools outside the importer's scope are left
alone. Re-importing the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, cells
from jiaoyan.core.roles import Role
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person, RoleAssignment

from .models import LiaisonAssignment


def parse_codes(raw: Any) -> list[str]:
    codes = []
    for piece in cells.split_list(raw):
        codes.append(cells.code(piece))
    return codes


@register
class LiaisonSheet(SheetKind):
    kind = "liaisons"
    model = LiaisonAssignment
    label = "联点联校"
    sheet_title = "联点联校"
    key_column = "staff_no"
    columns = [
        Column(
            "教研员工号",
            "staff_no",
            partial(cells.code, max_length=32),
            required=True,
            help="教研员的工号；每位教研员一行",
        ),
        Column("教研员姓名", "name", cells.text, help="核对用：与工号不符时报错"),
        Column(
            "联系学校代码",
            "school_codes",
            parse_codes,
            required=True,
            width=30,
            help="多个学校代码用顿号分隔；导入后该教研员在您辖区内的联系学校即为所列学校",
        ),
        Column("开始日期", "start_date", cells.date, help="新增联系学校的开始日期，默认今天"),
        Column("备注", "note", cells.text, width=20),
        Column("联系学校名称", "school_names", cells.text, width=40, help="导出时列出，导入时不读"),
    ]

    def prepare(self, rows: list[Row]) -> None:
        staff = {r.values["staff_no"] for r in rows if r.values.get("staff_no")}
        # The researcher and the schools a row names go through the scoped resolver: one
        # outside the actor's scope is as unknown as one that exists nowhere.
        self.people = self.resolver(
            Person,
            queryset=Person.objects.prefetch_related(
                Prefetch(
                    "roles",
                    queryset=RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True),
                    to_attr="researcher_roles",
                )
            ),
            keys=("staff_no",),
        )
        self.people.prefetch(staff)
        codes = {c for r in rows for c in r.values.get("school_codes") or []}
        self.schools = self.resolver(
            OrgUnit, queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL), keys=("code",)
        )
        self.schools.prefetch(codes)

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        person = self.referenced(row, errors, self.people, "staff_no")
        if person is None:
            return
        if v.get("name") and cells.nfkc(v["name"]).replace(" ", "") != cells.nfkc(
            person.name
        ).replace(" ", ""):
            errors.append(
                RowError(
                    row.number,
                    h("name"),
                    _("the name does not match staff number %(no)s") % {"no": person.staff_no},
                    v["name"],
                )
            )
        if not person.researcher_roles or person.status != Person.Status.ACTIVE:
            errors.append(
                RowError(row.number, h("staff_no"), _("this person is not an active researcher"))
            )
        schools = []
        for code in v.get("school_codes") or []:
            unit = self.referenced(row, errors, self.schools, "school_codes", code)
            if unit is None:
                continue
            if not self.allowed("add", LiaisonAssignment(researcher=person, school=unit)):
                errors.append(
                    RowError(
                        row.number,
                        h("school_codes"),
                        _("the school %(code)s is outside your scope") % {"code": code},
                        code,
                    )
                )
                continue
            schools.append(unit)
        row.extra["person"] = person
        row.extra["schools"] = schools

    def _governs(self, school: OrgUnit) -> bool:
        return self.allowed("add", LiaisonAssignment(school=school))

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        now = timezone.now()
        today = timezone.localdate()
        msg = _("Imported from %(file)s") % {"file": job_label}
        ct = ContentType.objects.get_for_model(LiaisonAssignment)
        ids = [r.extra["person"].pk for r in rows]
        current: dict[int, list[LiaisonAssignment]] = {}
        for la in LiaisonAssignment.objects.filter(
            researcher_id__in=ids, is_active=True
        ).select_related("school"):
            current.setdefault(la.researcher_id, []).append(la)
        new: list[LiaisonAssignment] = []
        ended: list[LiaisonAssignment] = []
        logs = []
        for r in rows:
            person = r.extra["person"]
            wanted = {u.pk: u for u in r.extra["schools"]}
            have = {la.school_id: la for la in current.get(person.pk, [])}
            added = [u for pk, u in wanted.items() if pk not in have]
            removed = [
                la for pk, la in have.items() if pk not in wanted and self._governs(la.school)
            ]
            for u in added:
                new.append(
                    LiaisonAssignment(
                        researcher=person,
                        school=u,
                        start_date=r.values.get("start_date") or today,
                        note=(r.values.get("note") or "")[:200],
                        created_by=self.actor,
                        created_at=now,
                    )
                )
            for la in removed:
                la.is_active = False
                la.end_date = today
                la.ended_at = now
                ended.append(la)
            if added and not removed and not have:
                counts.created += 1
            elif added or removed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        LiaisonAssignment.objects.bulk_create(new, batch_size=2000)
        LiaisonAssignment.objects.bulk_update(ended, ["is_active", "end_date", "ended_at"])
        for la in new:
            logs.append(
                audit.build(
                    self.actor,
                    la,
                    audit.AuditLog.Action.IMPORT_CREATE,
                    {"researcher": [None, la.researcher.name], "school": [None, la.school.name]},
                    message=msg,
                    unit_path=la.school.path,
                    content_type=ct,
                    when=now,
                )
            )
        for la in ended:
            logs.append(
                audit.build(
                    self.actor,
                    la,
                    audit.AuditLog.Action.IMPORT_UPDATE,
                    {"is_active": [True, False]},
                    message=msg,
                    unit_path=la.school.path,
                    content_type=ct,
                    when=now,
                )
            )
        audit.AuditLog.objects.bulk_create(logs, batch_size=2000)
        return counts

    def export_queryset(self):
        qs = LiaisonAssignment.objects.filter(is_active=True)
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.select_related("researcher", "school").order_by(
            "researcher__staff_no", "school__code"
        )

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        grouped: dict[int, list[LiaisonAssignment]] = {}
        for la in queryset:
            grouped.setdefault(la.researcher_id, []).append(la)
        for items in grouped.values():
            person = items[0].researcher
            yield [
                person.staff_no,
                person.name,
                "、".join(la.school.code for la in items),
                min(la.start_date for la in items),
                items[0].note,
                "、".join(la.school.name for la in items),
            ]
