"""Reading score sheets, whose columns depend on the exam (one per subject or per item).

Built on :mod:`jiaoyan.core.tabular` (the same file formats, encodings, title rows and
merged cells as every other import); only finding the header differs: the header row is
the first row (of the first 20) holding every fixed column, and every other non-empty
header in it is a dynamic column (a subject, an item) or an ignored one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from jiaoyan.core import cells
from jiaoyan.core.tabular import (
    HEADER_SEARCH_ROWS,
    TableError,
    _read_csv,
    _read_workbook,
    normalise_header,
    sniff_format,
)

ABSENT_WORDS = {"缺考", "缺", "缺席", "免考", "-", "—", "/"}


@dataclass
class Grid:
    header_row: int  # spreadsheet row number of the header
    columns: dict[str, int]  # normalised header -> column index
    labels: dict[str, str]  # normalised header -> header as written
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, values)
    duplicates: list[str] = field(default_factory=list)

    def get(self, values: list[Any], key: str) -> Any:
        idx = self.columns.get(key)
        if idx is None or idx >= len(values):
            return None
        return values[idx]


def read_grid(
    data: bytes, filename: str, *, required: list[str], aliases: dict[str, str] | None = None
) -> Grid:
    """Read the file and find the header row holding all of ``required``."""
    if not data:
        raise TableError(_("The file is empty."))
    fmt = sniff_format(data, filename)
    rows = _read_csv(data) if fmt == "csv" else _read_workbook(data)[0]
    aliases = {normalise_header(k): v for k, v in (aliases or {}).items()}
    wanted = [normalise_header(r) for r in required]
    best_missing: list[str] | None = None
    for idx, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        labels: dict[str, str] = {}
        duplicates: list[str] = []
        for col, value in enumerate(row):
            key = normalise_header(value)
            if not key:
                continue
            key = aliases.get(key, key)
            if key in columns:
                duplicates.append(key)
                continue
            columns[key] = col
            labels[key] = cells.text(value)
        missing = [r for r in wanted if r not in columns]
        if not missing:
            data_rows = [
                (i + 1, r)
                for i, r in enumerate(rows[idx + 1 :], start=idx + 1)
                if not all(cells.is_blank(v) for v in r)
            ]
            return Grid(idx + 1, columns, labels, data_rows, duplicates)
        if best_missing is None or len(missing) < len(best_missing):
            best_missing = missing
    raise TableError(
        _("No header row with the required columns was found; missing: %(cols)s.")
        % {"cols": "、".join(best_missing or wanted)}
    )


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def score(raw: Any, full_marks: float) -> float | None:
    """A score cell: a number from 0 to the full marks; blank or 缺考 is absent (None).
    Full-width digits, spaces and numbers stored as text are accepted."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise cells.CellError(_("is not a number"))
    if isinstance(raw, int | float):
        value = float(raw)
        if value != value:
            return None
    else:
        s = cells.compact(raw)
        if not s or s in ABSENT_WORDS:
            return None
        if not _NUMBER_RE.match(s):
            raise cells.CellError(_("is not a number (write the score, or 缺考 when absent)"))
        value = float(s)
    if value < 0:
        raise cells.CellError(_("must not be negative"))
    if value > full_marks + 1e-9:
        raise cells.CellError(
            _("is above the full marks (%(full)s)") % {"full": format_number(full_marks)}
        )
    return value


def format_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
