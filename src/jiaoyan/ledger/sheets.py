"""Import and export of the work ledger (工作台账) as bureaus keep it in Excel.

Columns: 序号, 工作事项, 责任单位, 责任人, 完成时限, 进展情况, 备注. The rows go into the
ledger of one assigning unit (parameter ``unit``: its id or code; the importer's own unit
by default). 责任单位 is a unit's name within the importer's scope; 责任人 is matched to a
person of that unit by name when exactly one has it, else kept as written. 完成时限 is a
date (a date cell, 2024年6月30日, 2024/9/30, 2024.12.31) or 长期 (no fixed deadline); past
dates are kept, a ledger has history. 进展情况 is 未启动, 推进中 or 已完成 (also 已验收 and
已取消, as exported), or a free description of the progress (then the item is in
progress and the text is its latest progress). Rows are matched on the assigning unit and
工作事项, so importing the same sheet twice changes nothing.

The board's export (``?export=xlsx``) uses this very sheet definition, so a bureau can
print it, edit it and import it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import cells
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.sheets import (
    Column,
    ImportResult,
    Param,
    Row,
    RowError,
    SheetKind,
    WriteCounts,
    register,
)
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import services
from .models import Item, Status

ONGOING = "长期"
STATUS_WORDS = {
    "未启动": Status.NOT_STARTED,
    "推进中": Status.IN_PROGRESS,
    "已完成": Status.DONE,
    "已验收": Status.VERIFIED,
    "已取消": Status.CANCELLED,
}
WORD_OF = {v: k for k, v in STATUS_WORDS.items()}
ONGOING_WORDS = {"长期", "长期坚持", "持续推进", "常态化", "长期性"}


def parse_deadline(raw: Any) -> dict[str, Any]:
    """``{"due_on": date | None}``: a date, or 长期 (and its usual variants) for none."""
    if cells.is_blank(raw):
        return {"due_on": None}
    if isinstance(raw, str) and cells.compact(raw) in ONGOING_WORDS:
        return {"due_on": None}
    try:
        return {"due_on": cells.date(raw)}
    except cells.CellError:
        raise cells.CellError(
            _("is not a date or 长期 (write it as 2024-06-30, 2024年6月30日 or 长期)")
        ) from None


def parse_progress(raw: Any) -> dict[str, Any]:
    """``{"status", "text"}`` from 进展情况: a status word, or a description of progress."""
    text = cells.text(raw)
    if not text:
        return {"status": Status.NOT_STARTED, "text": ""}
    status = STATUS_WORDS.get(cells.compact(text))
    if status is not None:
        return {"status": status, "text": ""}
    if len(text) > 500:
        raise cells.CellError(_("is longer than %(n)d characters") % {"n": 500})
    return {"status": Status.IN_PROGRESS, "text": text}


def _limited(n: int):
    def parse(raw: Any) -> str:
        value = cells.text(raw).replace("\x00", "")
        if len(value) > n:
            raise cells.CellError(_("is longer than %(n)d characters") % {"n": n})
        return value

    return parse


def _name(raw: Any) -> str:
    return cells.nfkc(cells.text(raw)).replace(" ", "")


@register
class LedgerSheet(SheetKind):
    kind = "ledger"
    model = Item
    label = _lazy("Work ledger")
    sheet_title = "工作台账"
    key_column = "title"
    columns = [
        Column("序号", "number", cells.text, width=6, help="导出时为台账序号；导入时不读"),
        Column("工作事项", "title", _limited(200), required=True, width=40),
        Column(
            "责任单位",
            "unit",
            _limited(100),
            required=True,
            width=22,
            help="单位名称，须在您的管辖范围内",
        ),
        Column("责任人", "person", _limited(50), width=10, help="责任单位中的人员姓名"),
        Column(
            "完成时限",
            "deadline",
            parse_deadline,
            width=14,
            help="日期，如 2024-06-30、2024年6月30日、2024/9/30；无固定期限写“长期”",
        ),
        Column(
            "进展情况",
            "progress",
            parse_progress,
            width=24,
            choices=["未启动", "推进中", "已完成"],
            help="未启动、推进中、已完成；也可填写进展描述（视为推进中）",
        ),
        Column("备注", "remarks", _limited(300), width=24),
    ]
    params = (
        Param(
            "unit",
            _lazy("assigning unit"),
            required=False,
            help="the assigning unit's id or code (default: the importer's unit)",
        ),
    )

    org_unit: OrgUnit | None

    # --- parameters ----------------------------------------------------------------

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        given = values.get("unit")
        if given is None:
            unit = self._default_unit()
            if unit is None:  # the command line without --param unit, or an export
                self.org_unit = None
                return values
        else:
            value = cells.compact(str(given))
            qs = OrgUnit.objects.all()
            if self.actor is not None:
                qs = qs.visible_to(self.actor)
            unit = qs.filter(code=value).first()
            if unit is None and value.isdigit():
                unit = qs.filter(pk=int(value)).first()
            if unit is None:
                raise ServiceError(
                    _("There is no unit “%(unit)s” in your scope.") % {"unit": given},
                    field="params",
                )
        if not self.allowed("import", Item(org_unit=unit)):
            raise PermissionDenied(
                _("You may not import into the ledger of %(unit)s.") % {"unit": unit.name}
            )
        self.org_unit = unit
        values["unit"] = unit.pk
        return values

    def _default_unit(self) -> OrgUnit | None:
        if self.actor is None:
            return None
        person = getattr(self.actor, "person", None)
        if person is not None and self.allowed("import", Item(org_unit=person.org_unit)):
            return person.org_unit
        from jiaoyan.core.scope import units_where

        # None: someone who may only export (the import itself is refused before it reads).
        return units_where(self.actor, "import", Item).order_by("path").first()

    def describe(self) -> str:
        return self.org_unit.name if self.org_unit else ""

    def owner_unit_id(self) -> int | None:
        return self.org_unit.pk if self.org_unit else None

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        from django.urls import reverse

        return reverse("ledger:board") + "?board=unit"

    # --- import --------------------------------------------------------------------

    def import_file(self, data: bytes, filename: str, **options: Any) -> ImportResult:
        if self.org_unit is None:
            result = ImportResult(
                kind=self.kind,
                dry_run=options.get("dry_run", False),
                valid_only=options.get("valid_only", False),
            )
            message = _("Name the assigning unit: --param unit=CODE.")
            result.errors.append(RowError(0, "", message))
            return result
        return super().import_file(data, filename, **options)

    def prepare(self, rows: list[Row]) -> None:
        names = {_name(r.values["unit"]) for r in rows if r.values.get("unit")}
        units = OrgUnit.objects.filter(name__in=names)
        if self.actor is not None:
            units = units.visible_to(self.actor)
        self.units: dict[str, list[OrgUnit]] = {}
        for u in units.order_by("path"):
            self.units.setdefault(u.name, []).append(u)
        people: dict[tuple[int, str], list[Person]] = {}
        person_names = {_name(r.values["person"]) for r in rows if r.values.get("person")}
        unit_ids = [u.pk for group in self.units.values() for u in group]
        for p in Person.objects.filter(
            org_unit_id__in=unit_ids, name__in=person_names, status=Person.Status.ACTIVE
        ):
            people.setdefault((p.org_unit_id, _name(p.name)), []).append(p)
        self.people = people
        titles = {r.values["title"] for r in rows if r.values.get("title")}
        self.existing = {
            i.title: i for i in Item.objects.filter(org_unit=self.org_unit, title__in=titles)
        }

    def _unit(self, name: str) -> OrgUnit | list[OrgUnit] | None:
        found = self.units.get(name) or []
        if len(found) > 1:
            region = self.org_unit.scope_root.path
            near = [u for u in found if u.path.startswith(region)]
            found = near if near else found
        if not found:
            return None
        return found[0] if len(found) == 1 else found

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        name = _name(v["unit"])
        unit = self._unit(name)
        if unit is None:
            errors.append(
                RowError(
                    row.number,
                    h("unit"),
                    _("the unit “%(name)s” does not exist in your scope") % {"name": v["unit"]},
                    v["unit"],
                )
            )
            return
        if isinstance(unit, list):
            errors.append(
                RowError(
                    row.number,
                    h("unit"),
                    _("several units are called “%(name)s”; rename one of them first")
                    % {"name": v["unit"]},
                    v["unit"],
                )
            )
            return
        person_name = v.get("person") or ""
        matches = self.people.get((unit.pk, _name(person_name)), []) if person_name else []
        progress = v.get("progress") or {"status": Status.NOT_STARTED, "text": ""}
        row.extra.update(
            {
                "unit": unit,
                "person": matches[0] if len(matches) == 1 else None,
                "person_name": person_name,
                "due_on": (v.get("deadline") or {}).get("due_on"),
                "status": progress["status"],
                "progress_text": progress["text"],
            }
        )

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        message = _("Imported from %(file)s") % {"file": job_label}
        for r in rows:
            outcome = services.import_item(
                actor=self.actor,
                org_unit=self.org_unit,
                existing=self.existing.get(r.values["title"]),
                title=r.values["title"],
                responsible_unit=r.extra["unit"],
                responsible_person=r.extra["person"],
                responsible_name=r.extra["person_name"],
                due_on=r.extra["due_on"],
                status=r.extra["status"],
                latest_progress=r.extra["progress_text"],
                remarks=r.values.get("remarks") or "",
                message=message,
            )
            setattr(counts, outcome, getattr(counts, outcome) + 1)
        return counts

    # --- export --------------------------------------------------------------------

    def export_queryset(self):
        qs = Item.objects.all() if self.actor is None else Item.objects.visible_to(self.actor)
        if self.org_unit is not None:
            qs = qs.filter(org_unit=self.org_unit)
        return qs.order_by("org_unit__path", "number")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for item in queryset.select_related("responsible_unit", "responsible_person").iterator(
            chunk_size=2000
        ):
            yield export_row(item)


def export_row(item: Item) -> list[Any]:
    """One item in the template's columns."""
    return [
        item.number,
        item.title,
        item.responsible_unit.name,
        item.responsible_display,
        item.due_on if item.due_on else ONGOING,
        WORD_OF.get(item.status, ""),
        item.remarks,
    ]
