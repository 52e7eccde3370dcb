"""Scales (量表) and their scoring: a pure service that stores nothing.

A scale is a list of items answered on the same options (each option with a score),
possibly with reverse-scored items, factors (sub-scores over some items), cut-offs that
turn the total into a band (``level``), items whose answer raises the crisis flag whatever
the total, validity rules and the age range it is meant for.

Two scales ship with the product:

* PHQ-9 (Patient Health Questionnaire, depression): Kroenke K, Spitzer RL, Williams JBW.
  The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med.
  2001;16(9):606–613. Bands 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately
  severe, 20–27 severe; any answer above 0 on item 9 (thoughts of self-harm) is a crisis
  flag whatever the total.
* GAD-7 (Generalized Anxiety Disorder scale): Spitzer RL, Kroenke K, Williams JBW, Löwe B.
  A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med.
  2006;166(10):1092–1097. Bands 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.

The Chinese wording of the items is the usual one of the public-domain Chinese versions
(the instruments are free to use; Pfizer holds and waives the copyright).

A bureau holding a licence defines other scales as a JSON definition (:func:`parse_definition`
checks it, with a Chinese message for every mistake): answers are option indexes
(0 … number of options − 1), scored by the option's score; a reverse-scored item gets
``max + min − score``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.errors import ServiceError

MAX_ITEMS = 200
MAX_OPTIONS = 10
CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Option:
    label: str
    score: int


@dataclass(frozen=True)
class Band:
    """Totals ``low`` … ``high`` (both included) fall in the band ``key``."""

    key: str
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    items: tuple[str, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...]
    reverse: frozenset[int] = frozenset()  # 1-based item numbers
    factors: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # name -> items
    crisis: Mapping[int, int] = field(default_factory=dict)  # item -> lowest answer flagged
    min_seconds: int = 0  # answered faster than this in all: invalid (too fast)
    identical_invalid: bool = False  # every answer the same: invalid (patterned)
    age_min: int | None = None
    age_max: int | None = None
    source: str = ""
    instructions: str = ""

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def score_range(self) -> tuple[int, int]:
        scores = [o.score for o in self.options]
        return min(scores), max(scores)

    @property
    def total_range(self) -> tuple[int, int]:
        lo, hi = self.score_range
        return lo * self.n_items, hi * self.n_items

    def band_of(self, total: int) -> Band | None:
        for b in self.bands:
            if b.low <= total <= b.high:
                return b
        return None


@dataclass(frozen=True)
class Result:
    total: int
    level: str
    crisis: bool
    factors: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "level": self.level,
            "crisis": self.crisis,
            "factors": dict(self.factors),
        }


def check_answers(scale: Scale, answers: Sequence[Any]) -> list[int]:
    """The answers as option indexes, or a ``ServiceError`` naming what is wrong."""
    if len(answers) != scale.n_items:
        raise ServiceError(
            _("%(scale)s has %(n)d items; %(given)d answers were given.")
            % {"scale": scale.name, "n": scale.n_items, "given": len(answers)},
            field="answers",
        )
    last = len(scale.options) - 1
    out = []
    for i, a in enumerate(answers, start=1):
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= last:
            raise ServiceError(
                _("The answer to item %(item)d must be a whole number from 0 to %(last)d.")
                % {"item": i, "last": last},
                field="answers",
            )
        out.append(a)
    return out


def item_score(scale: Scale, item: int, answer: int) -> int:
    """The score of ``answer`` (an option index) on the 1-based ``item``."""
    s = scale.options[answer].score
    if item in scale.reverse:
        lo, hi = scale.score_range
        return lo + hi - s
    return s


def score(scale: Scale, answers: Sequence[Any]) -> Result:
    """Total, band, crisis flag and factor scores of one complete set of answers."""
    given = check_answers(scale, answers)
    scores = [item_score(scale, i, a) for i, a in enumerate(given, start=1)]
    total = sum(scores)
    band = scale.band_of(total)
    crisis = any(given[item - 1] >= lowest for item, lowest in scale.crisis.items())
    factors = {name: sum(scores[i - 1] for i in items) for name, items in scale.factors.items()}
    return Result(total=total, level=band.key if band else "", crisis=crisis, factors=factors)


def invalid_reason(scale: Scale, answers: Sequence[int], seconds: float | None) -> str:
    """Why a complete set of answers is not to be trusted ("" if it is): too fast, or
    every answer the same (on a scale of more than three items)."""
    if scale.min_seconds and seconds is not None and seconds < scale.min_seconds:
        return "too_fast"
    if scale.identical_invalid and len(answers) > 3 and len(set(answers)) == 1:
        return "patterned"
    return ""


INVALID_REASONS = {
    "too_fast": _lazy("Answered too fast"),
    "patterned": _lazy("Every answer the same"),
}

# --- the shipped scales -----------------------------------------------------------------

FREQUENCY = (
    Option("完全不会", 0),
    Option("好几天", 1),
    Option("一半以上的天数", 2),
    Option("几乎每天", 3),
)

PHQ9 = Scale(
    code="phq9",
    name="PHQ-9 抑郁症筛查量表",
    instructions="在过去两个星期，有多少时候您受到以下任何问题所困扰？",
    items=(
        "做事时提不起劲或没有兴趣",
        "感到心情低落、沮丧或绝望",
        "入睡困难、睡不安稳或睡眠过多",
        "感觉疲倦或没有活力",
        "食欲不振或吃太多",
        "觉得自己很糟，或觉得自己很失败，或让自己或家人失望",
        "对事物专注有困难，例如阅读报纸或看电视时",
        "动作或说话速度缓慢到别人已经觉察，或正好相反，烦躁或坐立不安、动来动去的情况更胜于平常",
        "有不如死掉或用某种方式伤害自己的念头",
    ),
    options=FREQUENCY,
    bands=(
        Band("minimal", "无或极轻微", 0, 4),
        Band("mild", "轻度", 5, 9),
        Band("moderate", "中度", 10, 14),
        Band("moderately_severe", "中重度", 15, 19),
        Band("severe", "重度", 20, 27),
    ),
    crisis={9: 1},
    min_seconds=20,
    identical_invalid=True,
    age_min=10,
    age_max=19,
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med. 2001;16(9):606-613."
    ),
)

GAD7 = Scale(
    code="gad7",
    name="GAD-7 广泛性焦虑量表",
    instructions="在过去两个星期，有多少时候您受到以下任何问题所困扰？",
    items=(
        "感觉紧张、焦虑或急切",
        "不能够停止或控制担忧",
        "对各种各样的事情担忧过多",
        "很难放松下来",
        "由于不安而无法静坐",
        "变得容易烦恼或急躁",
        "感到似乎将有可怕的事情发生而害怕",
    ),
    options=FREQUENCY,
    bands=(
        Band("minimal", "无或极轻微", 0, 4),
        Band("mild", "轻度", 5, 9),
        Band("moderate", "中度", 10, 14),
        Band("severe", "重度", 15, 21),
    ),
    min_seconds=15,
    identical_invalid=True,
    age_min=10,
    age_max=19,
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Arch Intern Med. 2006;166(10):1092-1097."
    ),
)

SHIPPED: dict[str, Scale] = {s.code: s for s in (PHQ9, GAD7)}


# --- custom scales ------------------------------------------------------------------------


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(
            _("%(what)s must be a whole number.") % {"what": what}, field="definition"
        )
    return value


def _text(value: Any, what: str, max_length: int = 200) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ServiceError(_("%(what)s is required.") % {"what": what}, field="definition")
    return text[:max_length]


def parse_definition(code: str, name: str, data: Mapping[str, Any]) -> Scale:
    """Check a custom scale's definition and build it; a ``ServiceError`` (Chinese, field
    ``definition``) for the first mistake found.

    ``data``: ``items`` (texts), ``options`` (``{"label", "score"}``), ``reverse`` (1-based
    item numbers), ``factors`` (``{name: [items]}``), ``cutoffs`` (``{"key", "label", "low",
    "high"}``, covering every possible total once), ``crisis`` (``{item: lowest answer}``),
    ``min_seconds``, ``identical_invalid``, ``age_min``, ``age_max``, ``source``.
    """
    if not isinstance(data, Mapping):
        raise ServiceError(_("The definition must be an object."), field="definition")

    def err(message: str) -> ServiceError:
        return ServiceError(message, field="definition")

    items = data.get("items") or []
    if not isinstance(items, list) or not items:
        raise err(_("A scale needs at least one item."))
    if len(items) > MAX_ITEMS:
        raise err(_("A scale has at most %(n)d items.") % {"n": MAX_ITEMS})
    items_t = tuple(_text(t, _("Item %(n)d") % {"n": i}) for i, t in enumerate(items, 1))
    n = len(items_t)

    raw_options = data.get("options") or []
    if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= MAX_OPTIONS:
        raise err(_("A scale needs 2 to %(n)d options.") % {"n": MAX_OPTIONS})
    options = []
    for i, o in enumerate(raw_options, 1):
        if not isinstance(o, Mapping):
            raise err(_("Option %(n)d must have a label and a score.") % {"n": i})
        options.append(
            Option(
                _text(o.get("label"), _("The label of option %(n)d") % {"n": i}, 40),
                _int(o.get("score"), _("The score of option %(n)d") % {"n": i}),
            )
        )

    def item_numbers(values: Any, what: str) -> tuple[int, ...]:
        if not isinstance(values, list):
            raise err(_("%(what)s must be a list of item numbers.") % {"what": what})
        out = []
        for v in values:
            v = _int(v, what)
            if not 1 <= v <= n:
                raise err(
                    _("%(what)s: item %(item)d does not exist (the scale has %(n)d items).")
                    % {"what": what, "item": v, "n": n}
                )
            out.append(v)
        if len(set(out)) != len(out):
            raise err(_("%(what)s names an item twice.") % {"what": what})
        return tuple(out)

    reverse = frozenset(item_numbers(data.get("reverse") or [], _("Reverse-scored items")))
    factors: dict[str, tuple[int, ...]] = {}
    raw_factors = data.get("factors") or {}
    if not isinstance(raw_factors, Mapping):
        raise err(_("Factors must map a name to item numbers."))
    for fname, fitems in raw_factors.items():
        fname = _text(fname, _("A factor's name"), 40)
        factors[fname] = item_numbers(fitems, _("Factor “%(name)s”") % {"name": fname})
        if not factors[fname]:
            raise err(_("Factor “%(name)s” has no items.") % {"name": fname})

    crisis: dict[int, int] = {}
    raw_crisis = data.get("crisis") or {}
    if not isinstance(raw_crisis, Mapping):
        raise err(_("Crisis items must map an item number to the lowest flagged answer."))
    for item, lowest in raw_crisis.items():
        try:
            item_no = int(item)
        except (TypeError, ValueError):
            raise err(
                _("Crisis items must map an item number to the lowest flagged answer.")
            ) from None
        (item_no,) = item_numbers([item_no], _("Crisis items"))
        lowest = _int(lowest, _("The lowest flagged answer"))
        if not 0 <= lowest < len(options):
            raise err(_("The lowest flagged answer must be an option index."))
        crisis[item_no] = lowest

    scores = [o.score for o in options]
    lo, hi = min(scores) * n, max(scores) * n
    raw_bands = data.get("cutoffs") or []
    if not isinstance(raw_bands, list) or not raw_bands:
        raise err(_("A scale needs cut-offs (at least one band)."))
    bands = []
    for i, b in enumerate(raw_bands, 1):
        if not isinstance(b, Mapping):
            raise err(_("Band %(n)d must have a key, a label, a low and a high.") % {"n": i})
        key = _text(b.get("key"), _("The key of band %(n)d") % {"n": i}, 30)
        low = _int(b.get("low"), _("The low of band %(n)d") % {"n": i})
        high = _int(b.get("high"), _("The high of band %(n)d") % {"n": i})
        if low > high:
            raise err(_("Band “%(key)s” ends before it starts.") % {"key": key})
        bands.append(Band(key, _text(b.get("label") or key, "", 30), low, high))
    if len({b.key for b in bands}) != len(bands):
        raise err(_("Two bands have the same key."))
    bands.sort(key=lambda b: b.low)
    if bands[0].low > lo:
        raise err(
            _("The cut-offs leave a gap: totals from %(a)d to %(b)d fall in no band.")
            % {"a": lo, "b": bands[0].low - 1}
        )
    for prev, nxt in pairwise(bands):
        if nxt.low <= prev.high:
            raise err(
                _("The cut-offs overlap: bands “%(a)s” and “%(b)s” both hold %(n)d.")
                % {"a": prev.key, "b": nxt.key, "n": nxt.low}
            )
        if nxt.low > prev.high + 1:
            raise err(
                _("The cut-offs leave a gap: totals from %(a)d to %(b)d fall in no band.")
                % {"a": prev.high + 1, "b": nxt.low - 1}
            )
    if bands[-1].high < hi:
        raise err(
            _("The cut-offs leave a gap: totals from %(a)d to %(b)d fall in no band.")
            % {"a": bands[-1].high + 1, "b": hi}
        )

    age_min = data.get("age_min")
    age_max = data.get("age_max")
    if age_min is not None:
        age_min = _int(age_min, _("The lowest age"))
    if age_max is not None:
        age_max = _int(age_max, _("The highest age"))
    if age_min is not None and age_max is not None and age_min > age_max:
        raise err(_("The lowest age is above the highest."))
    min_seconds = _int(data.get("min_seconds") or 0, _("The shortest plausible time"))
    if min_seconds < 0:
        raise err(_("The shortest plausible time cannot be negative."))
    return Scale(
        code=code,
        name=name,
        items=items_t,
        options=tuple(options),
        bands=tuple(bands),
        reverse=reverse,
        factors=factors,
        crisis=crisis,
        min_seconds=min_seconds,
        identical_invalid=bool(data.get("identical_invalid")),
        age_min=age_min,
        age_max=age_max,
        source=str(data.get("source") or "")[:500],
        instructions=str(data.get("instructions") or "")[:500],
    )


def check_code(code: str) -> str:
    code = (code or "").strip().lower()
    if not code or len(code) > 20 or not set(code) <= CODE_CHARS:
        raise ServiceError(_("The code is 1 to 20 letters, digits, “-” or “_”."), field="code")
    if code in SHIPPED:
        raise ServiceError(
            _("This code belongs to a scale shipped with the product."), field="code"
        )
    return code


def display_name(code: str) -> str:
    """A scale as people know it: a shipped scale's name (PHQ-9 抑郁症筛查量表), a
    bureau's own scale by the code the bureau gave it. No query."""
    shipped = SHIPPED.get(code)
    return shipped.name if shipped is not None else code
