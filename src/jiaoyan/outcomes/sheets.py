"""Import and export of outcomes (成果名单).

Columns (the export's are the template's, so an exported list imports back unchanged):
提交单位代码, 成果类别, 成果名称, 年份, 作者工号 (staff numbers, 、 or , between them),
课题立项编号 (the research project it came from), 共同体编号, 摘要. Every reference — the
unit, the authors, the project, the community — goes through the one scoped resolver: one
that does not exist and one out of the importer's reach get the same message. A row is
matched on its unit, title and year: the same values are unchanged, other values update
the outcome, a new key adds one, each through the outcome services (their rules, audit).
Any bad cell: every error reported by row and column in Chinese, nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.communities.models import Community
from jiaoyan.core import cells
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person
from jiaoyan.projects.models import Project

from . import services
from .models import Kind, Outcome

KIND_WORDS = {
    "教学成果": Kind.TEACHING,
    "典型案例": Kind.CASE,
    "案例": Kind.CASE,
    "论文": Kind.PAPER,
    "案例集": Kind.CASEBOOK,
    "课程": Kind.COURSE,
    "其他": Kind.OTHER,
}
WORD_OF = {
    Kind.TEACHING: "教学成果",
    Kind.CASE: "典型案例",
    Kind.PAPER: "论文",
    Kind.CASEBOOK: "案例集",
    Kind.COURSE: "课程",
    Kind.OTHER: "其他",
}
SEP = "、"


def _year(raw: Any) -> int | None:
    return cells.integer(raw, minimum=2000, maximum=2100)


@register
class OutcomeSheet(SheetKind):
    kind = "outcomes"
    model = Outcome
    label = _lazy("Outcomes and typical cases")
    sheet_title = "成果名单"
    key_column = "title"
    columns = [
        Column(
            "提交单位代码",
            "unit",
            partial(cells.code, max_length=40),
            required=True,
            help="提交成果的学校或单位代码，须在您的管理范围内",
        ),
        Column(
            "成果类别",
            "kind",
            cells.one_of(KIND_WORDS, shown=list(WORD_OF.values())),
            required=True,
            width=10,
            choices=list(WORD_OF.values()),
            help="教学成果、典型案例、论文、案例集、课程、其他",
        ),
        Column("成果名称", "title", cells.text, required=True, width=36, help="不超过120字"),
        Column("年份", "year", _year, width=8, help="空白为今年"),
        Column("作者工号", "authors", cells.split_list, width=20, help="多个工号用顿号分隔"),
        Column("课题立项编号", "project", partial(cells.code, max_length=40), width=20),
        Column("共同体编号", "community", partial(cells.code, max_length=30), width=14),
        Column("摘要", "summary", cells.text, width=40, help="不超过4000字"),
    ]

    def row_key(self, values: Mapping[str, Any]) -> Any:
        unit, title = values.get("unit"), values.get("title")
        return (unit, title, values.get("year")) if unit and title else None

    def prepare(self, rows: list[Row]) -> None:
        self.units = self.resolver(OrgUnit, keys=("code",))
        self.units.prefetch([r.values["unit"] for r in rows if r.values.get("unit")])
        self.people = self.resolver(Person, keys=("staff_no",))
        self.people.prefetch([n for r in rows for n in (r.values.get("authors") or [])])
        self.projects = self.resolver(Project, keys=("number",))
        self.projects.prefetch([r.values["project"] for r in rows if r.values.get("project")])
        self.communities = self.resolver(Community, keys=("code",))
        self.communities.prefetch(
            [r.values["community"] for r in rows if r.values.get("community")]
        )

    def check(self, row: Row, errors: list[RowError]) -> None:
        v, h = row.values, self.header_of
        before = len(errors)
        unit = self.referenced(row, errors, self.units, "unit")
        if unit is not None and not self.allowed("add", Outcome(org_unit=unit)):
            errors.append(
                RowError(
                    row.number, h("unit"), _("you may not add outcomes of this unit"), v["unit"]
                )
            )
        authors = [
            self.referenced(row, errors, self.people, "authors", n) for n in v["authors"] or []
        ]
        project = community = None
        if v.get("project"):
            project = self.referenced(row, errors, self.projects, "project")
        if v.get("community"):
            community = self.referenced(row, errors, self.communities, "community")
        if len(errors) > before:
            return
        data = {
            "kind": v["kind"],
            "title": v["title"],
            "summary": v.get("summary") or "",
            "year": v.get("year") or _this_year(),
        }
        try:
            data = services.clean_fields(data, authors=authors)
        except ServiceError as e:
            errors.append(RowError(row.number, h(e.field or "title"), e.text))
            return
        existing = (
            Outcome.objects.filter(org_unit=unit, title=data["title"], year=data["year"])
            .order_by("pk")
            .first()
        )
        if existing is not None and not self.allowed("change", existing):
            errors.append(
                RowError(row.number, h("title"), _("you may not change this outcome"), v["title"])
            )
            return
        row.extra.update(
            unit=unit,
            data=data,
            authors=authors,
            project=project,
            community=community,
            existing=existing,
        )

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        for r in rows:
            e = r.extra
            if e["existing"] is None:
                services.create_outcome(
                    actor=self.actor,
                    org_unit=e["unit"],
                    authors=e["authors"],
                    project=e["project"],
                    community=e["community"],
                    **e["data"],
                )
                counts.created += 1
                continue
            o = e["existing"]
            changes = {k: val for k, val in e["data"].items() if getattr(o, k) != val}
            # A blank project or community cell keeps the outcome's (an export leaves the
            # project out for someone who may not see it).
            if e["project"] is not None and o.project_id != e["project"].pk:
                changes["project"] = e["project"]
            if e["community"] is not None and o.community_id != e["community"].pk:
                changes["community"] = e["community"]
            if e["authors"] and sorted(p.pk for p in o.authors.all()) != sorted(
                p.pk for p in e["authors"]
            ):
                changes["authors"] = e["authors"]
            if not changes:
                counts.unchanged += 1
                continue
            services.update_outcome(actor=self.actor, outcome=o, data=changes)
            counts.updated += 1
        return counts

    # --- export ---------------------------------------------------------------------------

    def export_queryset(self):
        qs = Outcome.objects.all()
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.order_by("org_unit__code", "-year", "id")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        rows = queryset.select_related("org_unit", "community").prefetch_related("authors")
        # The project is named only to those who may see it (as on the outcome's page).
        seen = Project.objects.filter(pk__in=queryset.values("project_id"))
        if self.actor is not None:
            seen = Project.objects.visible_to(self.actor).filter(
                pk__in=queryset.values("project_id")
            )
        projects = dict(seen.values_list("pk", "number"))
        for o in rows.iterator(chunk_size=2000):
            yield [
                o.org_unit.code,
                WORD_OF.get(o.kind, ""),
                o.title,
                o.year,
                SEP.join(p.staff_no for p in o.authors.all() if p.staff_no),
                projects.get(o.project_id) or "",
                o.community.code if o.community_id else "",
                o.summary,
            ]


def _this_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year
