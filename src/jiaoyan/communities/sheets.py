"""Import and export of community memberships (成员名单).

Columns: 共同体编号, 工号 (a person member) or 学校代码 (a consortium's member school),
角色 (主持人, 核心成员, 成员, 入室学员), 加入日期; the export adds 姓名/学校 and 退出日期
for reading (not read back). A row is matched on the community and the member: a current
membership with the same role and joining day is unchanged, one with another role or day
is updated, a new member is added through the same rules as the pages (the rules are
checked per row, and across the rows of the file). Re-importing the file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import cells, stamps
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import services
from .models import Community, Kind, Membership

ROLE_WORDS = {
    "主持人": Membership.Role.LEADER,
    "牵头学校": Membership.Role.LEADER,
    "核心成员": Membership.Role.CORE,
    "成员": Membership.Role.MEMBER,
    "成员学校": Membership.Role.MEMBER,
    "入室学员": Membership.Role.TRAINEE,
    "学员": Membership.Role.TRAINEE,
}
WORD_OF = {
    Membership.Role.LEADER: "主持人",
    Membership.Role.CORE: "核心成员",
    Membership.Role.MEMBER: "成员",
    Membership.Role.TRAINEE: "入室学员",
}


@register
class MembershipSheet(SheetKind):
    kind = "memberships"
    model = Community
    label = _lazy("Community members")
    sheet_title = "共同体成员"
    key_column = "community"
    columns = [
        Column(
            "共同体编号",
            "community",
            lambda raw: cells.code(raw, max_length=30).upper(),
            required=True,
            help="共同体的编号，须在您的管理范围内",
        ),
        Column("工号", "staff_no", partial(cells.code, max_length=32), help="个人成员的工号"),
        Column("学校代码", "school_code", cells.code, help="名校+联合体的成员学校代码"),
        Column(
            "角色",
            "role",
            cells.one_of(ROLE_WORDS, shown=list(WORD_OF.values())),
            width=10,
            choices=list(WORD_OF.values()),
            help="主持人、核心成员、成员、入室学员；空白为成员",
        ),
        Column("加入日期", "joined_on", cells.date, width=12, help="空白为今天"),
        Column("姓名或学校", "name", cells.text, width=20, help="导出时列出，导入时不读"),
        Column("退出日期", "left_on", cells.date, width=12, help="导出时列出，导入时不读"),
    ]

    def row_key(self, values: Mapping[str, Any]) -> Any:
        member = values.get("staff_no") or values.get("school_code")
        community = values.get("community")
        return (community, member) if community and member else None

    def prepare(self, rows: list[Row]) -> None:
        self.communities = self.resolver(
            Community, queryset=Community.objects.select_related("org_unit"), keys=("code",)
        )
        self.communities.prefetch(
            [r.values["community"] for r in rows if r.values.get("community")]
        )
        self.people = self.resolver(
            Person, queryset=Person.objects.select_related("org_unit"), keys=("staff_no",)
        )
        self.people.prefetch([r.values["staff_no"] for r in rows if r.values.get("staff_no")])
        self.schools = self.resolver(
            OrgUnit, queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL), keys=("code",)
        )
        self.schools.prefetch(
            [r.values["school_code"] for r in rows if r.values.get("school_code")]
        )
        self.in_file: set[tuple[str, str, int]] = set()

    def _existing(self, community: Community, person, school) -> Membership | None:
        qs = Membership.objects.filter(community=community, left_on__isnull=True)
        return qs.filter(person=person).first() if person else qs.filter(school=school).first()

    def check(self, row: Row, errors: list[RowError]) -> None:
        v, h = row.values, self.header_of
        community = self.referenced(row, errors, self.communities, "community")
        if community is None:
            return
        if not self.allowed("import", community):
            errors.append(
                RowError(
                    row.number,
                    h("community"),
                    _("you may not change the members of this community"),
                    v["community"],
                )
            )
            return
        person = school = None
        if community.kind == Kind.CONSORTIUM:
            if not v.get("school_code"):
                errors.append(RowError(row.number, h("school_code"), _("is required but empty")))
                return
            school = self.referenced(row, errors, self.schools, "school_code")
            if school is None:
                return
        else:
            if not v.get("staff_no"):
                errors.append(RowError(row.number, h("staff_no"), _("is required but empty")))
                return
            person = self.referenced(row, errors, self.people, "staff_no")
            if person is None:
                return
        role = v.get("role") or Membership.Role.MEMBER
        joined_on = v.get("joined_on") or max(_today(), community.start_on)
        existing = self._existing(community, person, school)
        member_col = h("school_code") if school else h("staff_no")
        if existing is None:
            try:
                services.check_member(
                    self.actor,
                    community,
                    person=person,
                    school=school,
                    role=role,
                    joined_on=joined_on,
                )
            except ServiceError as e:
                errors.append(RowError(row.number, member_col, e.text))
                return
        else:
            try:
                services.check_member_change(community, existing, role=role, joined_on=joined_on)
            except ServiceError as e:
                errors.append(RowError(row.number, h("role"), e.text))
                return
        # Rules across the rows of the file: one leader per community, one studio led and
        # one consortium per level (unless the policy relaxes them).
        conflicts = []
        if role == Membership.Role.LEADER:
            conflicts.append(("leader", community.code, 0))
            if community.kind == Kind.STUDIO and person is not None:
                conflicts.append(("leads", community.level, person.pk))
        if community.kind == Kind.CONSORTIUM and school is not None:
            conflicts.append(("consortium", community.level, school.pk))
        for c in conflicts:
            if c in self.in_file and not services.relaxed(community, c[0]):
                errors.append(
                    RowError(
                        row.number, member_col, _("breaks a rule together with an earlier row")
                    )
                )
                return
        self.in_file.update(conflicts)
        row.extra.update(
            community=community,
            person=person,
            school=school,
            role=role,
            joined_on=joined_on,
            existing=existing,
        )

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        message = _("Imported from %(file)s") % {"file": job_label}
        for r in rows:
            outcome = services.import_member(
                actor=self.actor,
                community=r.extra["community"],
                existing=r.extra["existing"],
                person=r.extra["person"],
                school=r.extra["school"],
                role=r.extra["role"],
                joined_on=r.extra["joined_on"],
                message=message,
                versioned=False,
            )
            setattr(counts, outcome, getattr(counts, outcome) + 1)
        if counts.created or counts.updated:
            stamps.bump(services.MEMBERS)  # once for the file, in its transaction
        return counts

    # --- export ---------------------------------------------------------------------------

    def export_queryset(self):
        qs = Membership.objects.all()
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.order_by("community__code", "left_on", "role", "id")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for m in queryset.select_related("community", "person", "school").iterator(chunk_size=2000):
            yield [
                m.community.code,
                m.person.staff_no if m.person_id else "",
                m.school.code if m.school_id else "",
                WORD_OF.get(m.role, ""),
                m.joined_on,
                m.person.name if m.person_id else m.school.name,
                m.left_on,
            ]


def _today():
    from django.utils import timezone

    return timezone.localdate()
