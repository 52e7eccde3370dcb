"""Reading the sheets bureaus actually send: .xlsx / .xls / .ods written by Excel, WPS or
LibreOffice, and .csv in UTF-8 or GB18030.

The header row is found, not assumed: a merged title row (or several) above it is skipped.
Merged cells below the header are filled with their top-left value, as a person reading
the sheet would. Row numbers are the spreadsheet's own (1-based), so an error report
points at the row the user sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from . import sheetreader
from .cells import compact, text

HEADER_SEARCH_ROWS = 20


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass
class Table:
    columns: dict[str, int]  # expected header -> column index in the file
    header_row: int  # spreadsheet row number of the header
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cell values)
    ignored_headers: list[str] = field(default_factory=list)
    sheet_name: str = ""
    #: the headers not asked for, as (column index, header as written): the columns of a
    #: sheet that has one per item
    others: list[tuple[int, str]] = field(default_factory=list)

    def cell(self, values: list[Any], header: str) -> Any:
        idx = self.columns.get(header)
        if idx is None or idx >= len(values):
            return None
        return values[idx]


def normalise_header(value: Any) -> str:
    return compact(value).replace("*", "").replace("＊", "")


def sniff_format(data: bytes, filename: str = "") -> str:
    if data[:4] == b"PK\x03\x04":
        return "zip"  # xlsx or ods
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        # A spreadsheet extension but not a spreadsheet's bytes.
        raise TableError(_("The file is not a valid spreadsheet (it may be damaged)."))
    return "csv"


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file's text encoding is not UTF-8 or GB18030."))


def _read_csv(data: bytes) -> list[list[Any]]:
    text = decode_text(data)
    if "\x00" in text:
        raise TableError(_("The file is not a valid spreadsheet or CSV file."))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    # A line of millions of delimiters would be split into as many cells before any
    # check on the row: count them first (a quoted delimiter counts too, erring on the
    # safe side far beyond any real table).
    columns = settings.IMPORT_MAX_COLUMNS
    for number, line in enumerate(io.StringIO(text), start=1):
        if line.count(delimiter) >= columns:
            raise TableError(
                _(
                    "Row %(row)d has more than %(n)s columns; delete the cells outside the "
                    "table and upload it again."
                )
                % {"row": number, "n": columns}
            )
    limit = settings.IMPORT_MAX_ROWS
    rows: list[list[Any]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if len(rows) >= limit:
                raise TableError(
                    _("The file has more than %(n)s rows; split it and import the parts.")
                    % {"n": limit}
                )
            rows.append(list(row))
    except csv.Error as e:
        raise TableError(_("The CSV file cannot be read: %(e)s") % {"e": e}) from None
    return rows


def reader_limits() -> sheetreader.Limits:
    """The limits of reading one uploaded sheet (settings ``IMPORT_MAX_ROWS`` …)."""
    return sheetreader.Limits(
        rows=settings.IMPORT_MAX_ROWS,
        columns=settings.IMPORT_MAX_COLUMNS,
        memory_mb=settings.IMPORT_READER_MEMORY_MB,
        seconds=settings.IMPORT_READER_SECONDS,
    )


def refusal_message(e: sheetreader.SheetRefused, limits: sheetreader.Limits) -> str:
    if e.code == "extent":
        return _(
            "The sheet has values as far as row %(rows)s, column %(columns)s — beyond what an "
            "import reads (%(max_rows)s rows, %(max_columns)s columns). Delete the cells "
            "outside the table and upload it again."
        ) % {**e.detail, "max_rows": limits.rows, "max_columns": limits.columns}
    if e.code == "no_sheets":
        return _("The workbook has no sheets.")
    if e.code == "damaged":
        return _("The file is not a valid spreadsheet (it may be damaged).")
    if e.code == "too_large":
        return _("The workbook is too large to read once unpacked.")
    return _(
        "The file could not be read within the time and memory an import may use; it may "
        "be damaged, or far larger than it looks."
    )


def _read_workbook(data: bytes, sheet_hint: Sequence[str] = ()) -> tuple[list[list[Any]], str]:
    """The chosen sheet's rows, read in a child process (``core.sheetreader``): a hostile
    workbook can abort or exhaust that child, never the web or task worker."""
    limits = reader_limits()
    try:
        rows, merged, chosen = sheetreader.read_rows(data, tuple(sheet_hint), limits)
    except sheetreader.SheetRefused as e:
        raise TableError(refusal_message(e, limits)) from None
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        top_left = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = top_left
    return rows, chosen


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def read_rows(
    data: bytes, filename: str, *, sheet_hint: Sequence[str] = ()
) -> tuple[list[list[Any]], str]:
    """Every row of the file as an import reads it — a CSV's, or the chosen sheet's (read
    in a child process, merged cells filled in) — and the sheet's name ("" for a CSV)."""
    if not data:
        raise TableError(_("The file is empty."))
    if sniff_format(data, filename) == "csv":
        return _read_csv(data), ""
    return _read_workbook(data, sheet_hint)


def read_table(
    data: bytes,
    filename: str,
    *,
    headers: Sequence[str],
    required: Sequence[str],
    aliases: dict[str, str] | None = None,
    sheet_hint: Sequence[str] = (),
) -> Table:
    """Read ``data`` and locate the columns named ``headers`` (all of ``required`` must be
    present). ``aliases`` maps other header spellings to the canonical one."""
    rows, sheet_name = read_rows(data, filename, sheet_hint=sheet_hint)
    aliases = {normalise_header(k): v for k, v in (aliases or {}).items()}
    wanted = {normalise_header(h): h for h in headers}

    best: tuple[int, int, dict[str, int], list[tuple[int, Any]]] | None = None
    for idx, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        ignored: list[tuple[int, Any]] = []
        for col, value in enumerate(row):
            key = normalise_header(value)
            if not key:
                continue
            canonical = wanted.get(key) or aliases.get(key)
            if canonical and canonical not in found:
                found[canonical] = col
            elif canonical in found:
                raise TableError(
                    _("The header “%(h)s” appears twice in row %(row)d.")
                    % {"h": canonical, "row": idx + 1}
                )
            else:
                ignored.append((col, value))
        if all(r in found for r in required):
            best = (idx, len(found), found, ignored)
            break
        if best is None or len(found) > best[1]:
            best = (idx, len(found), found, ignored)
    if best is None or not all(r in best[2] for r in required):
        have = best[2] if best else {}
        missing = [r for r in required if r not in have]
        raise TableError(
            _("No header row with the required columns was found; missing: %(cols)s.")
            % {"cols": "、".join(missing)}
        )
    header_idx, _n, found, ignored = best
    data_rows = [
        (i + 1, row)
        for i, row in enumerate(rows[header_idx + 1 :], start=header_idx + 1)
        if not all(_blank(v) for v in row)
    ]
    return Table(
        columns=found,
        header_row=header_idx + 1,
        rows=data_rows,
        ignored_headers=[str(value).strip() for _col, value in ignored],
        sheet_name=sheet_name,
        others=[(col, text(value)) for col, value in ignored],
    )
