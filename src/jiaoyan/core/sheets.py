"""The import/export framework: one :class:`SheetKind` per bulk entity.

A kind declares its columns once (Chinese header, parser, whether required) and gets:

* a downloadable ``.xlsx`` template (header row, drop-downs for fixed choices, a sheet of
  instructions);
* an import that reads the file (:mod:`jiaoyan.core.tabular`), parses and checks every row,
  reports every error by row and column, and then writes all valid rows in one transaction,
  or nothing when any row is wrong unless only the valid rows were asked for; a dry run
  does the same inside a transaction that is rolled back, so it counts exactly what a real
  run would do; a re-import of the same file changes nothing (rows are matched on natural
  keys and compared before writing);
* an export of any queryset with the same columns, which imports back unchanged.

Kinds register themselves with :func:`register`; the CLI (``jiaoyan import|export KIND``),
the import pages and the API all go through :func:`run_import` and :func:`export_xlsx`.

A kind whose rows go into one object declares :attr:`SheetKind.params` (e.g. the exam a score
sheet belongs to): the CLI takes them as ``--param exam=5``, the import job stores them, and
:meth:`SheetKind.clean_params` checks them (unknown object, missing value → a Chinese
message, nothing written). A kind whose columns depend on its object (one per subject of
the exam) declares them in ``clean_params``; one whose columns depend on the file (one per
item) declares them in :meth:`SheetKind.read_file`, which may also check the file as a
whole — the rows are then checked, reported and written as every other kind's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import xlsxwriter
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import cells
from .errors import ServiceError
from .tabular import Table, TableError, read_table

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Column:
    header: str  # the Chinese header, exactly as in the template
    key: str
    parse: Callable[[Any], Any] = cells.text
    required: bool = False  # the cell may not be blank
    header_required: bool | None = None  # the column must exist (default: = required)
    help: str = ""
    choices: Sequence[str] = ()  # offered as a drop-down in the template
    width: int = 14
    unique: bool = False  # a value repeated in another row is that cell's error

    @property
    def must_exist(self) -> bool:
        return self.required if self.header_required is None else self.header_required


@dataclass(frozen=True)
class Param:
    """A parameter of a kind: what the rows go into (``jiaoyan import KIND FILE --param
    name=value``; the job keeps the cleaned values in ``ImportJob.params``)."""

    name: str  # the key, in ASCII: ``exam``, ``subject``
    label: str  # shown in messages: a gettext_lazy msgid
    required: bool = True
    help: str = ""  # for ``jiaoyan import --help``: how to find the value


@dataclass
class RowError:
    row: int
    column: str
    message: str
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "value": self.value,
        }

    def __str__(self) -> str:
        if self.row:
            where = _("Row %(row)d") % {"row": self.row}
            if self.column:
                where += f"「{self.column}」"
            return f"{where}：{self.message}"
        return self.message


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    imported: int | None = None  # rows stored, when a kind counts them rather than objects
    notices: list[str] = field(default_factory=list)  # what the write has to tell


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    valid_only: bool = False
    notices: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    imported: int | None = None  # rows stored, when a kind counts them rather than objects

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors if e.row})

    @property
    def valid_rows(self) -> int:
        return self.rows - self.error_rows

    @property
    def ok(self) -> bool:
        """Did the import do what it was asked to?"""
        if self.dry_run:
            return not self.errors
        if self.valid_only:
            return not any(e.row == 0 for e in self.errors)
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
            "error_count": len(self.errors),
            "error_rows": self.error_rows,
            "written": self.written,
            "dry_run": self.dry_run,
            "valid_only": self.valid_only,
            "notices": self.notices,
            "ignored_headers": self.ignored_headers,
            "imported": self.imported,
        }


class SheetKind:
    """Base of every importable/exportable entity. Subclasses fill in the hooks."""

    kind: ClassVar[str]
    model: ClassVar[type]  # the scoped model whose "import" rule says who may import
    label: ClassVar[str]  # shown in pages: a gettext_lazy msgid, e.g. _lazy("Schools")
    sheet_title: ClassVar[str]  # the sheet's name and the title row of exports
    columns: ClassVar[list[Column]]
    aliases: ClassVar[dict[str, str]] = {}
    key_column: ClassVar[str]  # key of the natural-key column (duplicates are checked on it)
    params: ClassVar[tuple[Param, ...]] = ()  # what the rows go into (see clean_params)
    #: the kind of restricted data its files hold (``core.restricted.STUDENT_DATA`` …), or
    #: None: an import job's original file, its report's cell values and its error report
    #: are then read only with that permission on the job's unit, audited, and the original
    #: is not kept (:mod:`jiaoyan.core.artefacts`)
    restricted: ClassVar[str | None] = None
    #: the header of the "ignored columns" notice (kinds may say what the columns are for)
    ignored_notice: ClassVar[str] = _lazy("Columns not in the template were ignored: %(cols)s")
    #: set by the import before :meth:`write`: a dry run's writes are rolled back, so a
    #: write may stop once it has counted
    dry_run: bool = False

    def __init__(self, actor=None, params: Mapping[str, Any] | None = None) -> None:
        self.actor = actor  # None: the command line, which acts with full rights
        self.seen_keys: dict[str, int] = {}
        self.seen_values: dict[str, dict[Any, int]] = {}  # of the unique columns
        #: the cleaned parameters, JSON-serialisable (stored on the import job)
        self.param_values: dict[str, Any] = self.clean_params(dict(params or {}))

    @classmethod
    def standalone(cls) -> bool:
        """Can the kind be imported without parameters (from the generic import page, with
        the generic template)? Kinds with required parameters start from their object's page."""
        return not any(p.required for p in cls.params)

    @classmethod
    def exportable(cls) -> bool:
        """Does ``jiaoyan export KIND`` work (the kind lists every row it holds)?"""
        return cls.standalone() and cls.export_queryset is not SheetKind.export_queryset

    # --- parameters -----------------------------------------------------------------

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Check the parameters' names and presence; return them with text values trimmed.

        Kinds with parameters extend this: look the object up within ``self.actor``'s scope
        (raise :class:`ServiceError` when it does not exist or is out of scope, so nothing
        is read or written; ``PermissionDenied`` when it is seen but may not be imported
        into), keep it on ``self``, and return the canonical JSON values (ids, names).
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(k for k in raw if k not in known)
        if unknown:
            if known:
                message = _("Unknown parameter “%(name)s”; this kind takes: %(known)s") % {
                    "name": unknown[0],
                    "known": ", ".join(known),
                }
            else:
                message = _("Unknown parameter “%(name)s”; this kind takes no parameters") % {
                    "name": unknown[0]
                }
            raise ServiceError(message, field="params")
        cleaned: dict[str, Any] = {}
        for p in self.params:
            value = raw.get(p.name)
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                if p.required:
                    raise ServiceError(
                        _("The parameter “%(name)s” (%(label)s) is required.")
                        % {"name": p.name, "label": p.label},
                        field="params",
                    )
                continue
            cleaned[p.name] = value
        return cleaned

    def describe(self) -> str:
        """What the rows go into, in a few words (shown beside the job in lists)."""
        return ""

    def owner_unit_id(self) -> int | None:
        """The unit whose admins see the job (default: the importer's admin unit)."""
        return None

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        """The page of what the rows went into, from the stored parameters (no query)."""
        return ""

    # --- the import -------------------------------------------------------------------

    def import_file(self, data: bytes, filename: str, **options: Any) -> ImportResult:
        """Read, check and write the file (``options``: those of :func:`import_columns`).
        The default reads the declared columns and calls the hooks below; kinds may
        override it to report more."""
        return import_columns(self, data, filename, **options)

    # --- import hooks ---------------------------------------------------------------

    def table(self, data: bytes, filename: str) -> Table:
        """Read the file and find the declared columns (raises :class:`TableError`)."""
        return read_table(
            data,
            filename,
            headers=[c.header for c in self.columns],
            required=[c.header for c in self.columns if c.must_exist],
            aliases=self.aliases,
            sheet_hint=[self.sheet_title],
        )

    def read_file(self, data: bytes, filename: str, result: ImportResult) -> Table:
        """The file's table, with notices in ``result``. Kinds whose columns depend on the
        file (one per item) extend it: they declare the columns found, check the file as a
        whole (raise :class:`TableError`; errors of a whole row, e.g. a full-marks row,
        go into ``result.errors``, and then no row is read) and take rows that are not
        data out of the table."""
        table = self.table(data, filename)
        self.notice_ignored(result, table.ignored_headers)
        return table

    def notice_ignored(self, result: ImportResult, headers: list[str]) -> None:
        result.ignored_headers = headers
        if headers:
            result.notices.append(str(self.ignored_notice) % {"cols": "、".join(headers)})

    def prepare(self, rows: list[Row]) -> None:
        """Load what checking needs (existing rows, lookups) in a few queries."""

    def check(self, row: Row, errors: list[RowError]) -> None:
        """Cross-cell checks and lookups for one parsed row; append errors."""

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        """Write valid rows (inside the caller's transaction)."""
        raise NotImplementedError

    # --- export hooks ---------------------------------------------------------------

    def export_queryset(self):
        raise NotImplementedError

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------

    def resolver(self, model, *, queryset=None, keys=None):
        """The one scoped resolver (:class:`jiaoyan.core.resolve.Resolver`) for this
        import's reference cells: a unit, person … a cell names is found among those the
        actor may see (every row for the command line's actor of None), and one that is
        absent or out of scope gets the same ``resolver.message(value)`` as its error.
        What the row then does with the object is checked with :meth:`allowed`."""
        from .resolve import Resolver

        return Resolver(self.actor, model, queryset=queryset, keys=keys, system=self.actor is None)

    def referenced(self, row: Row, errors: list[RowError], resolver, key: str, value=None):
        """The object the reference cell ``key`` of ``row`` names (``value``: one entry of a
        list cell) through ``resolver``; None, with the resolver's one message as that
        cell's error, when it names nothing the actor may see."""
        value = row.values[key] if value is None else value
        obj = resolver.get(value)
        if obj is None:
            errors.append(RowError(row.number, self.header_of(key), resolver.message(value), value))
        return obj

    def allowed(self, action: str, obj) -> bool:
        if self.actor is None:
            return True
        from .scope import can

        return can(self.actor, action, obj)

    def row_key(self, values: Mapping[str, Any]) -> Any:
        """The natural key of a parsed row, for the duplicate check: the key column's value
        by default; a kind keyed on several columns (a community and a member) returns a
        tuple of them (None when any is missing)."""
        return values.get(self.key_column)

    def header_of(self, key: str) -> str:
        for c in self.columns:
            if c.key == key:
                return c.header
        return key


_kinds: dict[str, type[SheetKind]] = {}


def register(cls: type[SheetKind]) -> type[SheetKind]:
    _kinds[cls.kind] = cls
    return cls


def kinds() -> dict[str, type[SheetKind]]:
    return dict(_kinds)


def get_kind(kind: str) -> type[SheetKind]:
    try:
        return _kinds[kind]
    except KeyError:
        raise LookupError(
            _("Unknown kind “%(kind)s”; known kinds: %(known)s")
            % {"kind": kind, "known": ", ".join(sorted(_kinds))}
        ) from None


# --- import ---------------------------------------------------------------------------


def parse_rows(sheet: SheetKind, table: Table, errors: list[RowError]) -> list[Row]:
    """Parse every cell; a cell's error is recorded and the row kept for further checks."""
    parsed: list[Row] = []
    for number, values in table.rows:
        row = Row(number=number, values={})
        row_errors: list[RowError] = []
        key_col = next(c for c in sheet.columns if c.key == sheet.key_column)
        raw_key = table.cell(values, key_col.header)
        for col in sheet.columns:
            raw = table.cell(values, col.header)
            row.raw[col.key] = raw
            if col.required and cells.is_blank(raw):
                row_errors.append(RowError(number, col.header, _("is required but empty"), ""))
                row.values[col.key] = None
                continue
            try:
                row.values[col.key] = col.parse(raw)
            except cells.CellError as e:
                row_errors.append(RowError(number, col.header, str(e), cells.text(raw)[:100]))
                row.values[col.key] = None
        key = sheet.row_key(row.values)
        if key and not cells.is_blank(raw_key):
            first = sheet.seen_keys.get(key)
            if first is not None:
                # A repeated natural key rejects the whole row: its other cells are moot.
                errors.append(
                    RowError(
                        number,
                        key_col.header,
                        _("duplicates row %(row)d (“%(value)s”)")
                        % {"row": first, "value": _key_text(key)},
                        _key_text(key),
                    )
                )
                row.extra["rejected"] = True
                parsed.append(row)
                continue
            sheet.seen_keys[key] = number
        _check_unique(sheet, row, row_errors)
        errors.extend(row_errors)
        if row_errors:
            row.extra["rejected"] = True
        parsed.append(row)
    return parsed


def _key_text(key: Any) -> str:
    return " ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def _check_unique(sheet: SheetKind, row: Row, errors: list[RowError]) -> None:
    """A value of a unique column (other than the key) seen in an earlier row."""
    for col in sheet.columns:
        value = row.values.get(col.key)
        if not col.unique or value is None or value == "":
            continue
        seen = sheet.seen_values.setdefault(col.key, {})
        if value in seen:
            message = _("duplicates row %(row)d (“%(value)s”)") % {
                "row": seen[value],
                "value": value,
            }
            errors.append(RowError(row.number, col.header, message, str(value)))
        else:
            seen[value] = row.number


def run_import(sheet: SheetKind, data: bytes, filename: str, **options: Any) -> ImportResult:
    """Import ``data`` as ``sheet``'s kind: every row is checked, then all of them, the
    valid ones, or none are written. The ``options`` are :meth:`SheetKind.import_file`'s
    (``dry_run``, ``valid_only``, ``job_label``, and ``progress(phase, done, total)``,
    called as it goes: phases ``reading``, ``validating``, ``writing``)."""
    return sheet.import_file(data, filename, **options)


def import_columns(
    sheet: SheetKind,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    valid_only: bool = False,
    progress: ProgressFn | None = None,
    job_label: str = "",
) -> ImportResult:
    """Validate every row, then write all of them, the valid ones, or nothing."""
    result = ImportResult(kind=sheet.kind, dry_run=dry_run, valid_only=valid_only)
    report = progress or (lambda phase, done, total: None)
    report("reading", 0, 0)
    try:
        table = sheet.read_file(data, filename, result)
    except TableError as e:
        result.errors.append(RowError(0, "", str(e)))
        return result
    if result.errors:
        return result
    result.rows = len(table.rows)
    if not table.rows:
        result.errors.append(RowError(0, "", _("The sheet has a header row but no data rows.")))
        return result

    errors: list[RowError] = []
    rows = parse_rows(sheet, table, errors)
    del table  # the sheet's cells as read: the parsed rows are all that is needed now
    sheet.prepare([r for r in rows if not r.extra.get("rejected")])
    total = len(rows)
    valid: list[Row] = []
    for i, row in enumerate(rows, 1):
        if not row.extra.get("rejected"):
            row_errors: list[RowError] = []
            sheet.check(row, row_errors)
            if row_errors:
                errors.extend(row_errors)
            else:
                valid.append(row)
        if i % 2000 == 0:
            report("validating", i, total)
    report("validating", total, total)
    errors.sort(key=lambda e: (e.row, sheet_column_order(sheet, e.column)))
    result.errors = errors

    if (errors and not valid_only and not dry_run) or not valid:
        return result
    report("writing", 0, len(valid))
    sheet.dry_run = dry_run
    with transaction.atomic():
        counts = sheet.write(valid, job_label=job_label or filename)
        if dry_run:
            transaction.set_rollback(True)
    result.created, result.updated, result.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    result.imported = counts.imported
    result.notices.extend(counts.notices)
    result.written = not dry_run and (counts.created + counts.updated) > 0
    if result.written and counts.created + counts.updated >= 1000:
        refresh_statistics()
    return result


def refresh_statistics() -> None:
    """After a bulk write, let SQLite refresh the query planner's statistics where the
    tables changed a lot (PostgreSQL's autovacuum does this by itself)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


def sheet_column_order(sheet: SheetKind, header: str) -> int:
    for i, c in enumerate(sheet.columns):
        if c.header == header:
            return i
    return -1


# --- export and templates ---------------------------------------------------------------


def _formats(wb):
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "header": wb.add_format(
            {"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center"}
        ),
        "required": wb.add_format(
            {
                "bold": True,
                "bg_color": "#E8EEF7",
                "border": 1,
                "align": "center",
                "font_color": "#C00000",
            }
        ),
        "text": wb.add_format({"num_format": "@"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
    }


def write_table_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
    title: str | None = None,
    widths: Sequence[int] | None = None,
) -> bytes:
    """A simple workbook: optional merged title row, a header row, then the rows.

    Written in constant-memory mode, so a 50,000-row export stays small in memory.
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    fmt = _formats(wb)
    ws = wb.add_worksheet(sheet_title[:31])
    r = 0
    if title:
        if len(headers) > 1:
            ws.merge_range(0, 0, 0, len(headers) - 1, title, fmt["title"])
        else:
            ws.write(0, 0, title, fmt["title"])
        r = 1
    for c, h in enumerate(headers):
        ws.write(r, c, h, fmt["header"])
        ws.set_column(c, c, (widths[c] if widths else 14))
    ws.freeze_panes(r + 1, 0)
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, dt.datetime):
                local = timezone.localtime(value) if value.tzinfo else value
                ws.write_string(r, c, local.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt["date"])
            else:
                ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def export_xlsx(sheet: SheetKind, queryset=None) -> bytes:
    """The rows of ``queryset`` (default: every row the actor sees) in the template layout."""
    qs = sheet.export_queryset() if queryset is None else queryset
    title = f"{sheet.sheet_title}（{timezone.localdate():%Y-%m-%d} 导出）"
    return write_table_xlsx(
        [c.header for c in sheet.columns],
        sheet.export_rows(qs),
        sheet_title=sheet.sheet_title,
        title=title,
        widths=[c.width for c in sheet.columns],
    )


def template_xlsx(sheet: SheetKind) -> bytes:
    """The empty template: header row (required ones in red), drop-downs, instructions."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    fmt = _formats(wb)
    ws = wb.add_worksheet(sheet.sheet_title[:31])
    for c, col in enumerate(sheet.columns):
        ws.write(0, c, col.header, fmt["required"] if col.required else fmt["header"])
        ws.set_column(c, c, col.width, fmt["text"] if col.parse in TEXTY else None)
        if col.choices:
            ws.data_validation(
                1,
                c,
                5000,
                c,
                {
                    "validate": "list",
                    "source": list(col.choices)[:60],
                    "ignore_blank": True,
                    "error_type": "warning",
                },
            )
        if col.help:
            ws.write_comment(0, c, col.help, {"x_scale": 2, "y_scale": 1.5})
    ws.freeze_panes(1, 0)
    help_ws = wb.add_worksheet("填写说明")
    help_ws.set_column(0, 0, 16)
    help_ws.set_column(1, 1, 8)
    help_ws.set_column(2, 2, 80)
    for c, h in enumerate(["列名", "必填", "说明"]):
        help_ws.write(0, c, h, fmt["header"])
    for r, col in enumerate(sheet.columns, 1):
        help_ws.write(r, 0, col.header)
        help_ws.write(r, 1, "是" if col.required else "")
        text = col.help
        if col.choices:
            text = (text + "；" if text else "") + "可选值：" + "、".join(col.choices)
        help_ws.write(r, 2, text, fmt["wrap"])
    notes = [
        "第一行必须是列名；表头上方可以有标题行。",
        "系统先检查每一行，再一次性写入；有错误时默认不写入任何数据，并列出每个错误的行号和列名。",
        "重复导入同一文件不会产生重复数据（按" + sheet.header_of(sheet.key_column) + "匹配）。",
    ]
    base = len(sheet.columns) + 2
    for i, note in enumerate(notes):
        help_ws.write(base + i, 0, note)
    wb.close()
    return buf.getvalue()


TEXTY = (cells.code, cells.mobile_phone)


def now_label() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")
