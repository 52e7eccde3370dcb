"""S-T analysis against worked examples computed by hand (see observations/st.py)."""

from fractions import Fraction

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.observations import st


def test_worked_example_by_hand():
    """20 samples at 30 s (a 10-minute stretch):

    T T T T | S S | T T | S S S S | T T T T T T | S S
    runs:  1     2     3       4           5         6   → g = 6
    N = 20, N_T = 4 + 2 + 6 = 12, N_S = 8
    Rt = 12 / 20 = 0.6            (0.3 < Rt < 0.7)
    Ch = (6 − 1) / 20 = 0.25      (< 0.4)
    → 混合型 (mixed)
    """
    r = st.analyse("TTTTSSTTSSSSTTTTTTSS")
    assert (r.n, r.n_t, r.n_s, r.runs) == (20, 12, 8, 6)
    assert r.rt == Fraction(3, 5)
    assert r.ch == Fraction(1, 4)
    assert r.mode == st.Mode.MIXED
    assert r.minutes == 10
    # The curve: T steps right, S steps up; it ends at (N_T, N_S).
    assert r.curve[:7] == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1), (4, 2)]
    assert r.curve[12] == (6, 6)
    assert r.curve[-1] == (12, 8)
    assert len(r.curve) == 21


def test_a_whole_lesson_by_hand():
    """A 40-minute lesson, 80 samples: introduction T×10, questions TSTSTS, practice
    S×12, explanation T×8, group work S×10, reports STSTST, summary T×6, exercise S×14,
    quick questions TSTSTSTS.

    N_T = 10 + 3 + 8 + 3 + 6 + 4 = 34 → Rt = 34/80 = 0.425.
    Runs (neighbouring segments that start with the same letter merge): T×11, S, T, S,
    T, S×13, T×8, S×11, T, S, T, S, T×7, S×14, then T S T S T S T S → g = 22,
    Ch = 21/80 = 0.2625 → 混合型.
    """
    seq = "T" * 10 + "TS" * 3 + "S" * 12 + "T" * 8 + "S" * 10 + "ST" * 3 + "T" * 6
    seq += "S" * 14 + "TS" * 4
    r = st.analyse(seq)
    assert r.n == 80
    assert r.n_t == 34
    assert r.runs == 22
    assert r.rt == Fraction(34, 80)
    assert r.ch == Fraction(21, 80)
    assert r.mode == st.Mode.MIXED
    assert r.minutes == 40


@pytest.mark.parametrize(
    ("seq", "mode", "rt", "ch"),
    [
        ("TSTSTSTSTS", st.Mode.DIALOGUE, Fraction(1, 2), Fraction(9, 10)),
        ("TTTTTTTSTT", st.Mode.LECTURE, Fraction(9, 10), Fraction(2, 10)),
        ("SSSTSSSSSS", st.Mode.PRACTICE, Fraction(1, 10), Fraction(2, 10)),
        # Boundaries are inclusive, compared exactly:
        ("TTTSSSSSSS", st.Mode.PRACTICE, Fraction(3, 10), Fraction(1, 10)),  # Rt = 0.3
        ("TTTTTTTSSS", st.Mode.LECTURE, Fraction(7, 10), Fraction(1, 10)),  # Rt = 0.7
        ("TTSSTTSSTT", st.Mode.DIALOGUE, Fraction(6, 10), Fraction(4, 10)),  # Ch = 0.4
        ("TTTSSTTSSS", st.Mode.MIXED, Fraction(5, 10), Fraction(3, 10)),
        # Rt ≥ 0.7 wins over a high Ch (the published order):
        ("TSTTTTTSTT", st.Mode.LECTURE, Fraction(8, 10), Fraction(4, 10)),
    ],
)
def test_modes_and_thresholds(seq, mode, rt, ch):
    r = st.analyse(seq)
    assert (r.rt, r.ch, r.mode) == (rt, ch, mode)


def test_tolerated_input():
    assert st.parse_sequence(" t t s，Ｓ、T-s\n") == "TTSSTS"
    assert st.analyse("") is None
    assert st.analyse("  ") is None


@pytest.mark.parametrize(
    ("raw", "pos", "symbol"), [("TTXS", 3, "X"), ("ST1", 3, "1"), ("教", 1, "教")]
)
def test_invalid_symbol_is_a_clear_error(raw, pos, symbol):
    with pytest.raises(ServiceError) as e:
        st.parse_sequence(raw)
    text = e.value.text
    assert f"“{symbol}”" in text and f"第 {pos} 个" in text
    assert e.value.field == "st_sequence"


def test_too_long():
    with pytest.raises(ServiceError):
        st.parse_sequence("T" * (st.MAX_SAMPLES + 1))
