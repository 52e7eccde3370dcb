"""Turning what people type into spreadsheet cells into clean values.

Real sheets contain full-width digits and spaces, stray whitespace, numbers stored as
text and text stored as numbers, and dates as Excel serials or as Chinese text. Every
parser here takes one raw cell value (``str``, ``int``, ``float``, ``bool``, ``date``,
``datetime`` or ``None``) and returns a clean value or raises :class:`CellError` with a
message in Chinese that names what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

Raw = Any

# Excel's day zero (serial 1 = 1900-01-01, with its 1900 leap-year bug absorbed).
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(ValueError):
    """A cell's value is unusable; ``str(error)`` is the message shown to the user."""


def nfkc(text: str) -> str:
    """Full-width digits, letters and spaces to their ordinary forms."""
    if text.isascii():  # nothing to normalise (the common case, and much cheaper)
        return text
    return unicodedata.normalize("NFKC", text)


def is_blank(raw: Raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def text(raw: Raw) -> str:
    """Trimmed text (inner spaces, full-width ones too, are kept)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    return str(raw).strip()


_SPACES = re.compile(r"\s+")


def compact(raw: Raw) -> str:
    """Text with full-width forms normalised and every space removed (codes, numbers)."""
    return _SPACES.sub("", nfkc(text(raw)))


_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_\-]*$")


def code(raw: Raw, max_length: int = 20) -> str:
    """An identifier such as a school code or staff number (digits stored as numbers too)."""
    value = compact(raw)
    if not value:
        return ""
    if not _CODE_RE.match(value):
        raise CellError(_("may contain only letters, digits, '-' and '_'"))
    if len(value) > max_length:
        raise CellError(_("is longer than %(n)d characters") % {"n": max_length})
    return value


def integer(raw: Raw, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number; ``None`` for a blank cell."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise CellError(_("is not a whole number"))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise CellError(_("is not a whole number"))
        value = int(raw)
    else:
        s = compact(raw).replace(",", "")
        if not re.fullmatch(r"[+-]?\d+(\.0+)?", s):
            raise CellError(_("is not a whole number"))
        value = int(float(s)) if "." in s else int(s)
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise CellError(_("must not be negative"))
        raise CellError(_("must be at least %(n)d") % {"n": minimum})
    if maximum is not None and value > maximum:
        raise CellError(_("must be at most %(n)d") % {"n": maximum})
    return value


def number(raw: Raw, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
    """A number (decimals allowed); ``None`` for a blank cell."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise CellError(_("is not a number"))
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        s = compact(raw).replace(",", "")
        try:
            value = float(s)
        except ValueError:
            raise CellError(_("is not a number")) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_("is not a number"))
    if minimum is not None and value < minimum:
        raise CellError(_("must be at least %(n)s") % {"n": minimum})
    if maximum is not None and value > maximum:
        raise CellError(_("must be at most %(n)s") % {"n": maximum})
    return value


def mobile_phone(raw: Raw) -> str:
    """A mainland mobile number: 11 digits starting with 1 (spaces, dashes and +86 allowed)."""
    if is_blank(raw):
        return ""
    value = text(raw) if not isinstance(raw, int | float) else str(int(raw))
    value = re.sub(r"[\s\-()（）]", "", nfkc(value))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not value.isdigit():
        raise CellError(_("may contain only digits"))
    if len(value) != 11 or not value.startswith("1"):
        raise CellError(
            _("must be an 11-digit mobile number (found %(n)d digits)") % {"n": len(value)}
        )
    return value


YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
NO = {"否", "n", "no", "false", "0", "×", "无", ""}


def boolean(raw: Raw) -> bool:
    """是/否 (and yes/no, 1/0, √); a blank cell is 否."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        if raw in (0, 1):
            return bool(raw)
        raise CellError(_("must be 是 or 否"))
    value = compact(raw).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError(_("must be 是 or 否"))


def choice(raw: Raw, mapping: Mapping[str, Any], *, shown: Sequence[str] = ()) -> Any:
    """One of the names in ``mapping`` (compared without spaces, full-width normalised).

    ``shown`` are the names the error message offers (default: every name)."""
    return _choose(raw, _normalised(mapping), mapping, shown)


def _normalised(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {compact(k): v for k, v in mapping.items()}


def _choose(
    raw: Raw, normalised: Mapping[str, Any], mapping: Mapping[str, Any], shown: Sequence[str]
) -> Any:
    value = compact(raw)
    if value in normalised:
        return normalised[value]
    allowed = "、".join(shown or dict.fromkeys(k for k in mapping if k))
    raise CellError(
        _("“%(value)s” is not one of: %(allowed)s") % {"value": text(raw), "allowed": allowed}
    )


LIST_SEPARATORS = re.compile(r"[、,，;；/|\s]+")


def split_list(raw: Raw) -> list[str]:
    """``小学、初中`` → ``["小学", "初中"]`` (also comma, semicolon or slash separated)."""
    return [p for p in LIST_SEPARATORS.split(nfkc(text(raw))) if p]


def choices(raw: Raw, mapping: Mapping[str, Any]) -> list[Any]:
    values = []
    normalised = _normalised(mapping)
    for part in split_list(raw):
        value = _choose(part, normalised, mapping, ())
        if value not in values:
            values.append(value)
    return values


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def date(raw: Raw) -> dt.date | None:
    """A date from a date cell, an Excel serial, or text such as 2024年6月30日, 2024/9/30,
    2024.12.31 or 2024-06-30 (a time of day after it is ignored). Blank is ``None``."""
    if is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise CellError(_("is not a date"))
    if isinstance(raw, int | float):
        if 1 <= raw < 2958466:  # Excel's serial range: 1900-01-01 … 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise CellError(_("is not a date"))
    value = nfkc(text(raw)).split()[0]
    value = value.split("T")[0] if re.match(r"^\d{4}-\d{2}-\d{2}T", value) else value
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError(_("is not a valid date")) from None
    if re.fullmatch(r"\d{5}(\.\d+)?", value):
        return date(float(value))
    raise CellError(_("is not a date (write it as 2024-06-30 or 2024年6月30日)"))


def one_of(mapping: Mapping[str, Any], shown: Sequence[str] = ()) -> Callable[[Raw], Any]:
    """A parser accepting the names in ``mapping``; errors offer ``shown``."""

    cache: list[dict[str, Any]] = []

    def parse(raw: Raw) -> Any:
        # The names are normalised once, not for every cell — unless they are lazy
        # translations, whose text depends on the language active at the time.
        if cache:
            return _choose(raw, cache[0], mapping, shown)
        normalised = _normalised(mapping)
        if all(type(k) is str for k in mapping):
            cache.append(normalised)
        return _choose(raw, normalised, mapping, shown)

    return parse


Parser = Callable[[Raw], Any]
