"""S-T analysis (S-T 分析法) of a lesson from a sampled sequence of behaviours.

While watching, the observer records at a fixed sampling interval (30 s by default) who is
acting: **T** for teacher behaviour (lecturing, demonstrating, writing on the board,
questioning, evaluating) or **S** for student behaviour (answering, discussing, practising,
thinking silently, anything that is not T). A 40-minute lesson gives N = 80 samples.

From the sequence, with N samples, N_T of them T, and g *runs* (maximal stretches of the
same symbol, so g − 1 is the number of switches between T and S):

* teacher-behaviour share           Rt = N_T / N
* behaviour conversion rate         Ch = (g − 1) / N

and the lesson's mode, with the published thresholds:

* 练习型 (practice)   Rt ≤ 0.3
* 讲授型 (lecture)    Rt ≥ 0.7
* 对话型 (dialogue)   Ch ≥ 0.4  (and 0.3 < Rt < 0.7)
* 混合型 (mixed)      otherwise (0.3 < Rt < 0.7 and Ch < 0.4)

The S-T curve plots the sequence as a path from the origin: each T sample steps one unit
along the horizontal (T) axis, each S sample one unit up the vertical (S) axis, so a
lecture hugs the T axis and a practice lesson climbs the S axis.

Source: 傅德荣、章慧敏《教育信息处理》(北京师范大学出版社, 2001), the S-T analysis
method and its Rt-Ch mode diagram; and its use in classroom observation by 刘飞、黄荣怀
等 (S-T 分析法 studies of classroom teaching behaviour). The thresholds above are those
published there. The boundaries are compared exactly (with fractions), so Rt = 0.3
exactly is a practice lesson and Ch = 0.4 exactly is a dialogue.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaoyan.core.errors import ServiceError

MAX_SAMPLES = 1000  # 500 minutes at 30 s: far beyond any lesson
DEFAULT_INTERVAL = 30
RT_PRACTICE = Fraction(3, 10)
RT_LECTURE = Fraction(7, 10)
CH_DIALOGUE = Fraction(4, 10)


class Mode(models.TextChoices):
    PRACTICE = "practice", gettext_lazy("Practice (练习型)")
    LECTURE = "lecture", gettext_lazy("Lecture (讲授型)")
    DIALOGUE = "dialogue", gettext_lazy("Dialogue (对话型)")
    MIXED = "mixed", gettext_lazy("Mixed (混合型)")


_SEPARATORS = {" ", ",", "，", "、", "-", "\n", "\r", "\t"}


def parse_sequence(raw: str | None) -> str:
    """Normalise what the observer typed or tapped into a string of ``T`` and ``S``.

    Case, full-width letters (Ｔ/ｓ) and separators (spaces, commas, 、, dashes) are
    tolerated; any other symbol is an error naming its position (1-based, counting
    samples) and the symbol.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    out: list[str] = []
    for ch in text:
        if ch in _SEPARATORS:
            continue
        up = ch.upper()
        if up not in ("T", "S"):
            raise ServiceError(
                _(
                    "The S-T sequence has an invalid symbol “%(symbol)s” at sample %(pos)d: "
                    "only T (teacher) and S (student) are allowed."
                )
                % {"symbol": ch, "pos": len(out) + 1},
                field="st_sequence",
            )
        out.append(up)
    if len(out) > MAX_SAMPLES:
        raise ServiceError(
            _("The S-T sequence is too long: at most %(n)d samples.") % {"n": MAX_SAMPLES},
            field="st_sequence",
        )
    return "".join(out)


def count_runs(seq: str) -> int:
    """g: the number of maximal runs of one symbol (0 for an empty sequence)."""
    if not seq:
        return 0
    return 1 + sum(1 for a, b in itertools.pairwise(seq) if a != b)


def classify(rt: Fraction, ch: Fraction) -> str:
    if rt <= RT_PRACTICE:
        return Mode.PRACTICE
    if rt >= RT_LECTURE:
        return Mode.LECTURE
    if ch >= CH_DIALOGUE:
        return Mode.DIALOGUE
    return Mode.MIXED


@dataclass(frozen=True)
class STResult:
    sequence: str
    interval: int
    n: int
    n_t: int
    n_s: int
    runs: int
    rt: Fraction
    ch: Fraction
    mode: str
    curve: list[tuple[int, int]] = field(repr=False)

    @property
    def minutes(self) -> float:
        return self.n * self.interval / 60

    @property
    def mode_label(self) -> str:
        return str(Mode(self.mode).label)

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "n_t": self.n_t,
            "n_s": self.n_s,
            "runs": self.runs,
            "rt": round(float(self.rt), 4),
            "ch": round(float(self.ch), 4),
            "mode": self.mode,
            "mode_label": self.mode_label,
            "interval": self.interval,
            "curve": [list(p) for p in self.curve],
        }


def curve(seq: str) -> list[tuple[int, int]]:
    """The S-T curve: (cumulative T, cumulative S) after 0, 1, … N samples."""
    points = [(0, 0)]
    t = s = 0
    for ch in seq:
        if ch == "T":
            t += 1
        else:
            s += 1
        points.append((t, s))
    return points


def analyse(raw: str, interval: int = DEFAULT_INTERVAL) -> STResult | None:
    """Rt, Ch, the mode and the curve of a sequence; None for an empty one."""
    seq = parse_sequence(raw)
    if not seq:
        return None
    n = len(seq)
    n_t = seq.count("T")
    g = count_runs(seq)
    rt = Fraction(n_t, n)
    ch = Fraction(g - 1, n)
    return STResult(
        sequence=seq,
        interval=interval,
        n=n,
        n_t=n_t,
        n_s=n - n_t,
        runs=g,
        rt=rt,
        ch=ch,
        mode=classify(rt, ch),
        curve=curve(seq),
    )
