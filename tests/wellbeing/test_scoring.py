"""Scoring of the shipped scales (worked examples at every band boundary), custom scales
(reverse items, factors, cut-off validation) and the scoring endpoint."""

from __future__ import annotations

import json

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.wellbeing import scales as sc


def answers_for(total: int, n: int) -> list[int]:
    """Answers (0–3) adding up to ``total``, filled from the first item (so the last item
    stays 0 while the others can hold the total)."""
    out = [0] * n
    left = total
    for i in range(n):
        out[i] = min(3, left)
        left -= out[i]
    assert left == 0
    return out


PHQ9_CASES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately_severe"),
    (19, "moderately_severe"),
    (20, "severe"),
    (24, "severe"),
]


@pytest.mark.parametrize(("total", "level"), PHQ9_CASES)
def test_phq9_band_boundaries(total, level):
    answers = answers_for(total, 9)
    assert answers[8] == 0
    r = sc.score(sc.PHQ9, answers)
    assert (r.total, r.level, r.crisis) == (total, level, False)


def test_phq9_top_of_scale_is_severe_and_crisis():
    r = sc.score(sc.PHQ9, [3] * 9)
    assert (r.total, r.level, r.crisis) == (27, "severe", True)


def test_phq9_item9_of_one_with_total_three_raises_the_crisis_flag():
    r = sc.score(sc.PHQ9, [1, 1, 0, 0, 0, 0, 0, 0, 1])
    assert (r.total, r.level, r.crisis) == (3, "minimal", True)


def test_phq9_without_item9_no_crisis_even_when_severe():
    r = sc.score(sc.PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert (r.total, r.level, r.crisis) == (24, "severe", False)


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total, level):
    r = sc.score(sc.GAD7, answers_for(total, 7))
    assert (r.total, r.level, r.crisis, r.factors) == (total, level, False, {})


def test_shipped_scales_cite_their_sources():
    assert "Kroenke" in sc.PHQ9.source and "2001" in sc.PHQ9.source
    assert "Spitzer" in sc.GAD7.source and "2006" in sc.GAD7.source
    assert len(sc.PHQ9.items) == 9 and len(sc.GAD7.items) == 7


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ([0] * 8, "9"),
        ([0] * 10, "9"),
        ([0] * 8 + [4], "0 到 3"),
        ([0] * 8 + [-1], "0 到 3"),
        ([0] * 8 + ["1"], "0 到 3"),
        ([0] * 8 + [True], "0 到 3"),
    ],
)
def test_wrong_answers_are_refused_with_a_chinese_message(answers, fragment, chinese):
    with pytest.raises(ServiceError) as e:
        sc.score(sc.PHQ9, answers)
    assert fragment in e.value.text


# --- custom scales -----------------------------------------------------------------------

CUSTOM = {
    "items": ["我感到快乐", "我睡得很好", "我担心很多事", "我和同学相处融洽"],
    "options": [
        {"label": "从不", "score": 1},
        {"label": "有时", "score": 2},
        {"label": "经常", "score": 3},
    ],
    "reverse": [1, 2, 4],
    "factors": {"情绪": [1, 3], "人际": [4]},
    "cutoffs": [
        {"key": "low", "label": "低", "low": 4, "high": 6},
        {"key": "mid", "label": "中", "low": 7, "high": 9},
        {"key": "high", "label": "高", "low": 10, "high": 12},
    ],
    "crisis": {"3": 2},
    "min_seconds": 10,
    "identical_invalid": True,
    "age_min": 9,
    "age_max": 15,
}


def test_custom_scale_reverse_items_and_factors():
    scale = sc.parse_definition("mood4", "心情四题", CUSTOM)
    # Answers are option indexes: item 1 "从不"(1 → reversed 3), item 2 "经常"(3 → 1),
    # item 3 "有时"(2), item 4 "从不"(1 → 3).
    r = sc.score(scale, [0, 2, 1, 0])
    assert r.total == 3 + 1 + 2 + 3
    assert r.level == "mid"  # 7–9
    assert r.factors == {"情绪": 3 + 2, "人际": 3}
    assert r.crisis is False
    assert sc.score(scale, [2, 0, 2, 2]).crisis is True  # item 3 answered "经常"
    assert sc.score(scale, [2, 2, 0, 2]).level == "low"  # 1+1+1+1


def test_custom_scale_validity_rules():
    scale = sc.parse_definition("mood4", "心情四题", CUSTOM)
    assert sc.invalid_reason(scale, [0, 1, 2, 1], 60) == ""
    assert sc.invalid_reason(scale, [1, 1, 1, 1], 60) == "patterned"
    assert sc.invalid_reason(scale, [0, 1, 2, 1], 5) == "too_fast"
    assert sc.invalid_reason(sc.PHQ9, [2] * 9, 120) == "patterned"
    assert sc.invalid_reason(sc.PHQ9, [2] * 8 + [1], 120) == ""


@pytest.mark.parametrize(
    ("cutoffs", "fragment"),
    [
        ([(4, 7), (7, 9), (10, 12)], "重叠"),
        ([(4, 6), (8, 9), (10, 12)], "7 到 7"),
        ([(5, 6), (7, 9), (10, 12)], "4 到 4"),
        ([(4, 6), (7, 9), (10, 11)], "12 到 12"),
        ([(4, 6), (9, 7), (10, 12)], "之前"),
    ],
)
def test_cutoffs_that_overlap_or_leave_gaps_are_refused(cutoffs, fragment, chinese):
    data = {
        **CUSTOM,
        "cutoffs": [
            {"key": f"b{i}", "label": f"b{i}", "low": lo, "high": hi}
            for i, (lo, hi) in enumerate(cutoffs)
        ],
    }
    with pytest.raises(ServiceError) as e:
        sc.parse_definition("x", "x", data)
    assert fragment in e.value.text, e.value.text


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"items": []}, "至少"),
        ({"reverse": [5]}, "不存在"),
        ({"factors": {"情绪": [1, 1]}}, "重复"),
        ({"options": [{"label": "是", "score": 1}]}, "2"),
        ({"age_min": 16}, "年龄"),
    ],
)
def test_bad_definitions_are_refused_in_chinese(change, fragment, chinese):
    with pytest.raises(ServiceError) as e:
        sc.parse_definition("x", "x", {**CUSTOM, **change})
    assert fragment in e.value.text, e.value.text


# --- the endpoint --------------------------------------------------------------------------


def _post(client, code, body):
    return client.post(
        f"/api/v1/scales/{code}/score", data=json.dumps(body), content_type="application/json"
    )


def test_score_endpoint_answers_and_stores_nothing(world, api_for, django_assert_max_num_queries):
    from jiaoyan.core.models import AuditLog

    api = api_for(world.teacher)  # no restricted permission needed
    logs = AuditLog.objects.count()
    r = _post(api, "phq9", {"answers": [1, 1, 0, 0, 0, 0, 0, 0, 1]})
    assert r.status_code == 200, r.content
    assert r.json() == {"total": 3, "level": "minimal", "crisis": True, "factors": {}}
    r = _post(api, "gad7", {"answers": [3, 3, 3, 3, 3, 0, 0]})
    assert r.json() == {"total": 15, "level": "severe", "crisis": False, "factors": {}}
    r = _post(api, "PHQ9", {"answers": [2] * 9})
    assert r.json()["level"] == "moderately_severe"
    assert AuditLog.objects.count() == logs


@pytest.mark.parametrize(
    "answers", [[0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + [1.5], [0] * 8 + ["a"]]
)
def test_score_endpoint_422_with_detail(world, api_for, answers):
    r = _post(api_for(world.teacher), "phq9", {"answers": answers})
    assert r.status_code == 422
    assert r.json()["detail"]


def test_score_endpoint_refuses_anonymous_and_unknown_scales(world, api_for, client):
    assert _post(client, "phq9", {"answers": [0] * 9}).status_code == 401
    assert _post(api_for(world.teacher), "nope", {"answers": [0] * 9}).status_code == 404
    assert _post(api_for(world.teacher), "phq9", {"wrong": 1}).status_code == 422
