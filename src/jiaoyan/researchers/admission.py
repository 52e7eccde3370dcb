"""The requirements of an admission round (准入条件) and their pre-check.

A requirement is one of a fixed set of kinds the platform can evaluate — from the people
records (years of teaching, professional title, an honour) or from what the round's
reviewers record (a demonstration lesson's score, a written test's score, the
interview's result). A round keeps its requirements as a list of plain dicts::

    {"kind": "years", "years": 5}
    {"kind": "title", "title": "first"}
    {"kind": "honour", "honour": "key_teacher", "level": "county"}
    {"kind": "demo_lesson", "pass_mark": 80}
    {"kind": "written_test", "pass_mark": 60}
    {"kind": "interview"}

:func:`clean_requirements` refuses anything else with a message naming what cannot be
checked; :func:`precheck` gives each requirement's state for one candidate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core.errors import ServiceError
from jiaoyan.people.models import Honour, Person

YEARS, TITLE, HONOUR = "years", "title", "honour"
DEMO_LESSON, WRITTEN_TEST, INTERVIEW = "demo_lesson", "written_test", "interview"
#: Checked from the people records.
FROM_RECORDS = (YEARS, TITLE, HONOUR)
#: Recorded by the round's reviewers: scored (with a pass mark) or passed/failed.
SCORED = (DEMO_LESSON, WRITTEN_TEST)
REVIEWED = (*SCORED, INTERVIEW)
KINDS = (*FROM_RECORDS, *REVIEWED)

MAX_YEARS = 40
#: Professional titles from the lowest up (Person.Title); 未定级 ranks below all.
TITLE_RANK = {
    Person.Title.THIRD: 1,
    Person.Title.SECOND: 2,
    Person.Title.FIRST: 3,
    Person.Title.SENIOR: 4,
    Person.Title.SENIOR_PLUS: 5,
}
#: Honour levels from the lowest up.
LEVEL_RANK = {
    Honour.Level.SCHOOL: 1,
    Honour.Level.COUNTY: 2,
    Honour.Level.CITY: 3,
    Honour.Level.PROVINCE: 4,
    Honour.Level.NATIONAL: 5,
}
CHECKABLE_HONOURS = tuple(t for t in Honour.Title.values if t != Honour.Title.OTHER)

PASS, FAIL, PENDING = "pass", "fail", "pending"


def kind_label(kind: str) -> str:
    return {
        YEARS: _("Years of teaching"),
        TITLE: _("Professional title"),
        HONOUR: _("Honour"),
        DEMO_LESSON: _("Demonstration lesson"),
        WRITTEN_TEST: _("Written test"),
        INTERVIEW: pgettext("admission", "Interview"),
    }.get(kind, kind)


def describe(req: Mapping[str, Any]) -> str:
    """The requirement as the round's page states it: 教龄不少于5年."""
    kind = req.get("kind")
    if kind == YEARS:
        return _("At least %(n)d years of teaching") % {"n": req["years"]}
    if kind == TITLE:
        return _("Professional title %(title)s or higher") % {
            "title": Person.Title(req["title"]).label
        }
    if kind == HONOUR:
        return _("%(honour)s at %(level)s level or above") % {
            "honour": Honour.Title(req["honour"]).label,
            "level": Honour.Level(req["level"]).label,
        }
    if kind in SCORED:
        return _("%(what)s scored at least %(mark)d") % {
            "what": kind_label(kind),
            "mark": req["pass_mark"],
        }
    if kind == INTERVIEW:
        return _("Interview passed")
    return str(kind)


def _int(value: Any, lo: int, hi: int, message: str) -> int:
    if isinstance(value, bool):
        raise ServiceError(message, field="requirements")
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(message, field="requirements") from None
    if not lo <= n <= hi:
        raise ServiceError(message, field="requirements")
    return n


def clean_requirements(raw: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The requirements as they will be kept, or ``ServiceError`` naming the first one
    the platform cannot evaluate (nothing is written then)."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in raw or ():
        if not isinstance(item, Mapping):
            raise ServiceError(_("Each requirement names its kind."), field="requirements")
        kind = str(item.get("kind") or "").strip()
        if kind not in KINDS:
            raise ServiceError(
                _(
                    "The platform cannot check the requirement “%(kind)s”: a requirement is "
                    "years of teaching, a professional title or an honour (checked from the "
                    "people records), or a demonstration lesson, a written test or an "
                    "interview (recorded by the reviewers)."
                )
                % {"kind": kind or "?"},
                field="requirements",
            )
        if kind in seen:
            raise ServiceError(
                _("The requirement “%(kind)s” is given twice.") % {"kind": kind_label(kind)},
                field="requirements",
            )
        seen.add(kind)
        if kind == YEARS:
            years = _int(
                item.get("years"),
                1,
                MAX_YEARS,
                _("Give the years of teaching as a whole number from 1 to %(max)d.")
                % {"max": MAX_YEARS},
            )
            cleaned.append({"kind": kind, "years": years})
        elif kind == TITLE:
            title = str(item.get("title") or "")
            if title not in TITLE_RANK:
                raise ServiceError(
                    _("Choose the lowest professional title accepted."),
                    field="requirements",
                )
            cleaned.append({"kind": kind, "title": title})
        elif kind == HONOUR:
            honour = str(item.get("honour") or "")
            if honour == Honour.Title.OTHER:
                raise ServiceError(
                    _(
                        "The platform cannot check “other honour”: the people records hold it "
                        "as free text. Choose master teacher, key teacher, subject leader or "
                        "master principal."
                    ),
                    field="requirements",
                )
            if honour not in CHECKABLE_HONOURS:
                raise ServiceError(_("Choose the honour required."), field="requirements")
            level = str(item.get("level") or "")
            if level not in LEVEL_RANK:
                raise ServiceError(
                    _("Choose the lowest level of the honour accepted."), field="requirements"
                )
            cleaned.append({"kind": kind, "honour": honour, "level": level})
        elif kind in SCORED:
            mark = _int(
                item.get("pass_mark"),
                1,
                100,
                _("Give the pass mark of the %(what)s as a whole number from 1 to 100.")
                % {"what": kind_label(kind)},
            )
            cleaned.append({"kind": kind, "pass_mark": mark})
        else:
            cleaned.append({"kind": kind})
    if not cleaned:
        raise ServiceError(_("Publish at least one requirement."), field="requirements")
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(cleaned, key=lambda r: order[r["kind"]])


def years_between(since: dt.date, day: dt.date) -> int:
    """Whole years from ``since`` to ``day``."""
    years = day.year - since.year
    if (day.month, day.day) < (since.month, since.day):
        years -= 1
    return max(0, years)


@dataclass(frozen=True)
class Check:
    """One requirement's state for one candidate."""

    kind: str
    requirement: str  # describe(req)
    from_records: bool
    state: str  # pass / fail / pending
    found: str  # what the records or the reviewers say

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "requirement": self.requirement,
            "from_records": self.from_records,
            "state": self.state,
            "found": self.found,
        }


def _record_check(req: Mapping[str, Any], person: Person, honours, as_of: dt.date) -> Check:
    kind = req["kind"]
    text = describe(req)
    if kind == YEARS:
        if person.teaching_since is None:
            return Check(kind, text, True, FAIL, _("No date teaching began in the people records"))
        n = years_between(person.teaching_since, as_of)
        found = _("%(n)d years (teaching since %(date)s)") % {
            "n": n,
            "date": f"{person.teaching_since:%Y-%m-%d}",
        }
        return Check(kind, text, True, PASS if n >= req["years"] else FAIL, found)
    if kind == TITLE:
        title = person.professional_title
        found = person.get_professional_title_display() if title else _("None recorded")
        ok = TITLE_RANK.get(title, 0) >= TITLE_RANK[req["title"]]
        return Check(kind, text, True, PASS if ok else FAIL, found)
    # HONOUR
    same = [h for h in honours if h.title == req["honour"]]
    best = max(same, key=lambda h: LEVEL_RANK.get(h.level, 0), default=None)
    if best is None:
        return Check(kind, text, True, FAIL, _("None recorded"))
    ok = LEVEL_RANK.get(best.level, 0) >= LEVEL_RANK[req["level"]]
    return Check(kind, text, True, PASS if ok else FAIL, best.display)


def _review_check(req: Mapping[str, Any], reviews: Mapping[str, Any]) -> Check:
    kind = req["kind"]
    text = describe(req)
    got = reviews.get(kind)
    if not got:
        return Check(kind, text, False, PENDING, _("Not recorded yet"))
    if kind in SCORED:
        score = got.get("score")
        ok = score is not None and float(score) >= req["pass_mark"]
        found = _("%(score)s points") % {"score": _score_text(score)}
    else:
        ok = bool(got.get("passed"))
        found = pgettext("interview", "Passed") if ok else pgettext("interview", "Not passed")
    if got.get("comment"):
        found = f"{found}（{got['comment']}）"
    return Check(kind, text, False, PASS if ok else FAIL, found)


def _score_text(score: Any) -> str:
    f = float(score)
    return str(int(f)) if f == int(f) else f"{f:.1f}"


def precheck(
    requirements: Iterable[Mapping[str, Any]],
    person: Person,
    honours: Iterable[Honour],
    reviews: Mapping[str, Any],
    as_of: dt.date,
) -> list[Check]:
    """Each requirement's state for ``person``: those from the records read off the
    person's title, date teaching began (years counted to ``as_of``, the round's closing
    day) and honours; the rest as the reviewers recorded them."""
    honours = list(honours)
    out = []
    for req in requirements:
        if req["kind"] in FROM_RECORDS:
            out.append(_record_check(req, person, honours, as_of))
        else:
            out.append(_review_check(req, reviews))
    return out
