"""The cells of score sheets: a score (a number up to the full marks, or 缺考), and
numbers as the reports write them. The sheets themselves are read by the core import
machinery (:mod:`jiaoyan.quality.sheets`)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from jiaoyan.core import cells

ABSENT_WORDS = {"缺考", "缺", "缺席", "免考", "-", "—", "/"}


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
