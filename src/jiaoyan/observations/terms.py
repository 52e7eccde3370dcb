"""School terms (学期): the unit of time coverage is counted in.

A school year runs from August to July: the first term (autumn, 第一学期) from 1 August to
31 January, the second (spring, 第二学期) from 1 February to 31 July. A term is identified
by its first day, which is what the pre-aggregated tables store.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_CODE = re.compile(r"^(\d{4})-(\d{4})-([12])$")


@dataclass(frozen=True)
class Term:
    start: dt.date
    end: dt.date

    @property
    def first_year(self) -> int:
        return self.start.year if self.start.month == 8 else self.start.year - 1

    @property
    def number(self) -> int:
        return 1 if self.start.month == 8 else 2

    @property
    def code(self) -> str:
        """``2024-2025-1``: school year and term number (used in URLs and sheets)."""
        return f"{self.first_year}-{self.first_year + 1}-{self.number}"

    @property
    def label(self) -> str:
        if self.number == 1:
            return _("%(y1)s–%(y2)s school year, first term") % {
                "y1": self.first_year,
                "y2": self.first_year + 1,
            }
        return _("%(y1)s–%(y2)s school year, second term") % {
            "y1": self.first_year,
            "y2": self.first_year + 1,
        }

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Term:
        return term_of(self.start - dt.timedelta(days=1))

    def __str__(self) -> str:
        return self.label


def term_of(day: dt.date) -> Term:
    """The term a day falls in."""
    if day.month >= 8:
        return Term(dt.date(day.year, 8, 1), dt.date(day.year + 1, 1, 31))
    if day.month == 1:
        return Term(dt.date(day.year - 1, 8, 1), dt.date(day.year, 1, 31))
    return Term(dt.date(day.year, 2, 1), dt.date(day.year, 7, 31))


def term_start(day: dt.date) -> dt.date:
    return term_of(day).start


def parse_term(code: str | None) -> Term | None:
    """A term from its code (``2024-2025-1``), or None when the code is not one."""
    m = _CODE.match((code or "").strip())
    if not m or int(m[2]) != int(m[1]) + 1:
        return None
    year = int(m[1])
    return term_of(dt.date(year, 9, 1) if m[3] == "1" else dt.date(year + 1, 3, 1))


def recent_terms(today: dt.date, count: int = 6) -> list[Term]:
    """The current term and the ones before it, newest first."""
    terms = [term_of(today)]
    while len(terms) < count:
        terms.append(terms[-1].previous())
    return terms
