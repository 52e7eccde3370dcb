"""Every formula of jiaoyan.quality.stats: against numpy computed independently on the same
data, and against small worked examples done by hand (shown in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiaoyan.quality import stats

CUT = {"excellent": 0.85, "good": 0.70, "pass": 0.60, "low": 0.40}


def test_group_figures_match_numpy_per_group():
    rng = np.random.default_rng(3)
    n, groups = 500, 7
    values = np.round(rng.normal(70, 18, n)).clip(0, 100)
    values[rng.random(n) < 0.05] = np.nan
    g = rng.integers(0, groups, n)
    g[:3] = 6  # make sure the last group is not empty
    f = stats.group_figures(values, g, groups, 100, CUT)
    for k in range(groups):
        x = values[(g == k) & ~np.isnan(values)]
        assert f.n[k] == len(x)
        assert f.absent[k] == np.count_nonzero((g == k) & np.isnan(values))
        assert f.mean[k] == pytest.approx(np.mean(x), rel=1e-12)
        assert f.sd[k] == pytest.approx(np.std(x), rel=1e-12)  # population SD (ddof=0)
        assert f.max[k] == np.max(x)
        assert f.min[k] == np.min(x)
        assert f.median[k] == pytest.approx(np.median(x))
        assert f.q1[k] == pytest.approx(np.percentile(x, 25))
        assert f.q3[k] == pytest.approx(np.percentile(x, 75))
        assert f.excellent_rate[k] == pytest.approx(np.mean(x >= 85))
        assert f.good_rate[k] == pytest.approx(np.mean(x >= 70))
        assert f.pass_rate[k] == pytest.approx(np.mean(x >= 60))
        assert f.low_rate[k] == pytest.approx(np.mean(x < 40))
        expected_bands = np.histogram(np.minimum(x, 99.999), bins=10, range=(0, 100))[0]
        assert f.bands[k].tolist() == expected_bands.tolist()


def test_a_score_at_the_cut_off_reaches_it():
    # Full marks 100: 85 is excellent, 60 passes, 40 is not low, 39.5 is low.
    f = stats.group_figures(np.array([85, 60, 40, 39.5]), np.zeros(4, int), 1, 100, CUT)
    assert f.excellent_rate[0] == 0.25
    assert f.good_rate[0] == 0.25
    assert f.pass_rate[0] == 0.5
    assert f.low_rate[0] == 0.25
    assert f.bands[0].tolist() == [0, 0, 0, 1, 1, 0, 1, 0, 1, 0]


def test_cut_lines_are_not_moved_by_floating_point():
    # 0.7 × 90 = 62.99999999999999 in binary floats; a score of 62.99999 must not be good.
    f = stats.group_figures(np.array([63.0, 62.99999]), np.zeros(2, int), 1, 90, CUT)
    assert f.good_rate[0] == 0.5


def test_full_marks_fall_in_the_top_band_and_empty_groups_are_nan():
    f = stats.group_figures(np.array([100.0, np.nan]), np.array([0, 1]), 2, 100, CUT)
    assert f.bands[0][-1] == 1
    assert f.n[1] == 0 and f.absent[1] == 1
    assert math.isnan(f.mean[1]) and math.isnan(f.median[1])


def test_standardised_scores_worked_example():
    # All students: 60, 70, 80, 90 → μ = 75, σ = √((15²+5²+5²+15²)/4) = √125 = 11.1803…
    # A group with mean 85: Z = 10/√125 = 0.894427…, T = 50 + 10Z = 58.94427…
    everyone = np.array([60, 70, 80, 90.0])
    mu, sigma = everyone.mean(), everyone.std()
    assert sigma == pytest.approx(math.sqrt(125))
    z, t = stats.standardise(np.array([85.0, 75.0]), mu, sigma)
    assert z[0] == pytest.approx(0.894427191, abs=1e-9)
    assert t[0] == pytest.approx(58.94427191, abs=1e-8)
    assert z[1] == 0 and t[1] == 50


def test_percentile_rank_worked_example():
    # 50, 60, 60, 70, 80: PR(60) = 100·(1 below + ½·2 equal)/5 = 40; PR(80) = 100·(4 + ½)/5 = 90;
    # PR(50) = 100·(0 + ½)/5 = 10.
    pop = np.array([50, 60, 60, 70, 80.0])
    assert stats.percentile_rank(pop, 60) == pytest.approx(40)
    assert stats.percentile_rank(pop, 80) == pytest.approx(90)
    assert stats.percentile_rank(pop, 50) == pytest.approx(10)
    ranks = stats.percentile_ranks(pop, np.zeros(5))
    assert ranks.tolist() == pytest.approx([10, 40, 40, 70, 90])


def test_competition_ranking():
    rank, peers = stats.competition_rank(
        np.array([80, 90, 90, 70, np.nan, 5, 6]), np.array([0, 0, 0, 0, 0, 1, 1])
    )
    assert rank.tolist() == [3, 1, 1, 4, 0, 2, 1]
    assert peers.tolist() == [4, 4, 4, 4, 0, 2, 2]


def test_balance_cv_worked_example():
    # Three schools: P = 100, 200, 700 students; X = 10, 20, 30.
    # X̄ = (100·10 + 200·20 + 700·30)/1000 = 26
    # S² = 0.1·(10−26)² + 0.2·(20−26)² + 0.7·(30−26)² = 25.6 + 7.2 + 11.2 = 44
    # S = √44 = 6.63325…, CV = S/X̄ = 0.255125…
    b = stats.weighted_cv(np.array([100, 200, 700]), np.array([10, 20, 30]))
    assert b.weighted_mean == pytest.approx(26)
    assert b.sd == pytest.approx(math.sqrt(44))
    assert b.cv == pytest.approx(math.sqrt(44) / 26)
    assert round(b.cv, 4) == 0.2551
    assert b.schools == 3


def test_balance_cv_equal_weights_is_the_plain_cv_and_missing_values_are_left_out():
    rng = np.random.default_rng(5)
    x = rng.uniform(2, 9, 40)
    b = stats.weighted_cv(np.full(40, 300), x)
    assert b.cv == pytest.approx(np.std(x) / np.mean(x))
    x[3] = np.nan
    p = np.full(40, 300.0)
    p[5] = 0
    b = stats.weighted_cv(p, x)
    keep = np.ones(40, bool)
    keep[[3, 5]] = False
    assert b.schools == 38
    assert b.cv == pytest.approx(np.std(x[keep]) / np.mean(x[keep]))


def test_balance_thresholds_of_the_standard():
    assert stats.balance_threshold("primary") == 0.50
    assert stats.balance_threshold("junior") == 0.45
    assert stats.balance_threshold("senior") is None


def test_mean_ratio_and_composite():
    r = stats.mean_ratio(np.array([90.0, 60.0]), np.array([75.0, 0.0]))
    assert r[0] == pytest.approx(1.2) and math.isnan(r[1])
    # mean 90 of 120, excellent 0.3, pass 0.8, low 0.05, weights 0.4/0.2/0.3/0.1:
    # 100·(0.4·0.75 + 0.2·0.3 + 0.3·0.8 + 0.1·0.95) = 100·(0.3 + 0.06 + 0.24 + 0.095) = 69.5
    c = stats.composite_score(
        np.array([90.0]),
        120,
        np.array([0.3]),
        np.array([0.8]),
        np.array([0.05]),
        {"mean": 0.4, "excellent": 0.2, "pass": 0.3, "low": 0.1},
    )
    assert c[0] == pytest.approx(69.5)


def test_kr20_worked_example():
    # Five students, four 0/1 items (a perfect Guttman pattern):
    #   1111, 1110, 1100, 1000, 0000 → totals 4, 3, 2, 1, 0: mean 2, σ² = (4+1+0+1+4)/5 = 2
    # p = .8, .6, .4, .2; Σpq = .16 + .24 + .24 + .16 = .8
    # KR-20 = 4/3 · (1 − .8/2) = 0.8, and α equals it on 0/1 items.
    m = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], float)
    f = stats.item_analysis(m, np.ones(4))
    assert f.dichotomous
    assert f.kr20 == pytest.approx(0.8)
    assert f.alpha == pytest.approx(0.8)
    assert f.difficulty.tolist() == pytest.approx([0.8, 0.6, 0.4, 0.2])
    # 27% of 5 is 1.35 → one student in each group: the best (1111) and the worst (0000)
    assert stats.kelley_group_size(5) == 1
    assert f.discrimination.tolist() == pytest.approx([1, 1, 1, 1])


def test_cronbach_alpha_worked_example():
    # Four students, three items scored 0–3:
    #   item 1: 2 1 3 0 → mean 1.5, σ² = (.25+.25+2.25+2.25)/4 = 1.25
    #   item 2: 3 2 3 1 → mean 2.25, σ² = (.5625+.0625+.5625+1.5625)/4 = .6875
    #   item 3: 3 2 2 1 → mean 2, σ² = (1+0+0+1)/4 = .5            Σσᵢ² = 2.4375
    #   totals: 8 5 8 2 → mean 5.75, σ² = (5.0625+.5625+5.0625+14.0625)/4 = 6.1875
    # α = 3/2 · (1 − 2.4375/6.1875) = 1.5 · 0.60606… = 10/11 = 0.90909…
    m = np.array([[2, 3, 3], [1, 2, 2], [3, 3, 2], [0, 1, 1]], float)
    f = stats.item_analysis(m, np.full(3, 3.0))
    assert f.alpha == pytest.approx(10 / 11)
    assert f.kr20 is None and not f.dichotomous
    assert f.difficulty.tolist() == pytest.approx([0.5, 0.75, 2 / 3])


def test_item_analysis_matches_numpy():
    rng = np.random.default_rng(11)
    n, k = 300, 12
    ability = rng.normal(size=n)
    full = rng.choice([1, 2, 4], size=k).astype(float)
    m = np.clip(
        np.round((ability[:, None] + rng.normal(size=(n, k))) * full / 2 + full / 2), 0, full
    )
    f = stats.item_analysis(m, full)
    total = m.sum(axis=1)
    assert f.difficulty == pytest.approx(m.mean(axis=0) / full)
    for j in range(k):
        assert f.item_total_r[j] == pytest.approx(np.corrcoef(m[:, j], total)[0, 1])
    alpha = k / (k - 1) * (1 - m.var(axis=0, ddof=1).sum() / total.var(ddof=1))
    assert f.alpha == pytest.approx(alpha)  # the ratio does not depend on ddof
    g = round(0.27 * n)
    order = np.argsort(total, kind="stable")
    d = (m[order[-g:]].mean(axis=0) - m[order[:g]].mean(axis=0)) / full
    assert f.discrimination == pytest.approx(d)


def test_value_added_matches_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(400, 60, 200)
    y = 0.8 * x + rng.normal(100, 30, 200)
    va = stats.value_added(x, y)
    b, a = np.polyfit(x, y, 1)
    assert va.slope == pytest.approx(b)
    assert va.intercept == pytest.approx(a)
    assert va.residual == pytest.approx(y - (a + b * x))
    zx = (x - x.mean()) / x.std()
    zy = (y - y.mean()) / y.std()
    assert va.z_gain == pytest.approx(zy - zx)
    assert va.z_gain.mean() == pytest.approx(0, abs=1e-12)
    assert va.residual.mean() == pytest.approx(0, abs=1e-9)


def test_ols_worked_example():
    # x = 1, 2, 3; y = 2, 4, 5: x̄ = 2, ȳ = 11/3; Sxy = (−1)(−5/3) + 0 + (1)(4/3) = 3; Sxx = 2
    # b = 1.5, a = 11/3 − 3 = 2/3
    b, a = stats.ols(np.array([1, 2, 3.0]), np.array([2, 4, 5.0]))
    assert b == pytest.approx(1.5) and a == pytest.approx(2 / 3)
