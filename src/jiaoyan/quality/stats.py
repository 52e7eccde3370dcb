"""Every figure of the quality analysis, defined once, computed with numpy.

Conventions used throughout (and shown on the pages):

* A student is *tested* in a subject when the sheet has a score for it; a blank cell or
  ``缺考`` is *absent*. The *total* is the sum of a student's subject scores and exists
  only for students tested in every subject (the others count as absent from the total),
  so totals are comparable.
* Standard deviations are population SDs, σ = √(Σ(x − x̄)²/N), as in score reports
  (every student of the group is observed, none is sampled).
* Rates are fractions (0–1) of the students tested. A score *at* a cut-off reaches it:
  excellent ⇔ x ≥ c_excellent·F, good ⇔ x ≥ c_good·F (excellent included), pass ⇔
  x ≥ c_pass·F, and low ⇔ x < c_low·F (a score at the low cut-off is not low), F the full
  marks. Default cut-offs 0.85 / 0.70 / 0.60 / 0.40 of F, the usual 优秀/良好/及格/低分
  lines of regional score analysis.
* Medians and quartiles: numpy's default linear interpolation between order statistics
  (Hyndman & Fan 1996, definition 7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BANDS = 10  # score distribution in bands of a tenth of the full marks

# 《县域义务教育优质均衡发展督导评估办法》(教育部 2017, 教督〔2017〕6号), 第七条:
# the inter-school coefficient of variation of every resource indicator is at most 0.50
# for primary schools and 0.45 for junior secondary schools.
CV_THRESHOLDS = {"primary": 0.50, "junior": 0.45}


def balance_threshold(stage_code: str) -> float | None:
    """The balance standard's CV threshold for a stage (none for other stages)."""
    return CV_THRESHOLDS.get(stage_code)


@dataclass
class GroupFigures:
    """Figures of G groups on one score column (arrays of length G; NaN where empty)."""

    n: np.ndarray
    absent: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    max: np.ndarray
    min: np.ndarray
    median: np.ndarray
    q1: np.ndarray
    q3: np.ndarray
    excellent_rate: np.ndarray
    good_rate: np.ndarray
    pass_rate: np.ndarray
    low_rate: np.ndarray
    bands: np.ndarray  # G × BANDS counts


def cut_line(fraction: float, full_marks: float) -> float:
    """The score a cut-off stands for, c·F, rounded to 9 decimals so that binary floating
    point does not move it (0.7 × 90 is 62.99999999999999 in floats, the line is 63)."""
    return round(fraction * full_marks, 9)


def _quantile_sorted(sorted_vals: np.ndarray, starts: np.ndarray, n: np.ndarray, q: float):
    """Quantile ``q`` of each group in a value array sorted within groups (definition 7:
    h = (n − 1)·q, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]))."""
    out = np.full(len(n), np.nan)
    ok = n > 0
    h = (n[ok] - 1) * q
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, n[ok] - 1)
    base = starts[ok]
    x_lo = sorted_vals[base + lo]
    x_hi = sorted_vals[base + hi]
    out[ok] = x_lo + (h - lo) * (x_hi - x_lo)
    return out


def group_figures(
    values: np.ndarray, groups: np.ndarray, n_groups: int, full_marks: float, cutoffs: dict
) -> GroupFigures:
    """Per group: number tested and absent, mean, population SD, max, min, median,
    quartiles, excellent/good/pass/low rates and the distribution in bands.

    ``values`` holds one score per student (NaN = absent), ``groups`` the group index
    (0 … G−1) of each student. Mean x̄ = Σx/N; σ = √(Σ(x − x̄)²/N) (two-pass, for
    accuracy). Bands: band b (0 … 9) holds the scores with b/10·F ≤ x < (b+1)/10·F, the
    full marks F itself falling in the top band.
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    valid = ~np.isnan(values)
    g = groups[valid]
    x = values[valid]
    n = np.bincount(g, minlength=n_groups).astype(np.int64)
    absent = np.bincount(groups[~valid], minlength=n_groups).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=x, minlength=n_groups) / n
        dev = x - mean[g]
        sd = np.sqrt(np.bincount(g, weights=dev * dev, minlength=n_groups) / n)

        def rate(mask: np.ndarray) -> np.ndarray:
            return np.bincount(g, weights=mask.astype(float), minlength=n_groups) / n

        excellent = rate(x >= cut_line(cutoffs["excellent"], full_marks))
        good = rate(x >= cut_line(cutoffs["good"], full_marks))
        passed = rate(x >= cut_line(cutoffs["pass"], full_marks))
        low = rate(x < cut_line(cutoffs["low"], full_marks))
    order = np.lexsort((x, g))
    xs = x[order]
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    ok = n > 0
    mx = np.full(n_groups, np.nan)
    mn = np.full(n_groups, np.nan)
    mn[ok] = xs[starts[ok]]
    mx[ok] = xs[starts[ok] + n[ok] - 1]
    band = np.clip(np.floor(x / full_marks * BANDS).astype(np.int64), 0, BANDS - 1)
    bands = np.bincount(g * BANDS + band, minlength=n_groups * BANDS).reshape(n_groups, BANDS)
    return GroupFigures(
        n=n,
        absent=absent,
        mean=mean,
        sd=sd,
        max=mx,
        min=mn,
        median=_quantile_sorted(xs, starts, n, 0.5),
        q1=_quantile_sorted(xs, starts, n, 0.25),
        q3=_quantile_sorted(xs, starts, n, 0.75),
        excellent_rate=excellent,
        good_rate=good,
        pass_rate=passed,
        low_rate=low,
        bands=bands,
    )


def standardise(mean: np.ndarray, ref_mean: float, ref_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Standardised scores of group means against the reference population:
    Z = (x̄_group − μ) / σ, with μ and σ the mean and population SD of all students tested
    in the exam; T = 50 + 10·Z (McCall's T scale, McCall 1922). Undefined when σ = 0."""
    mean = np.asarray(mean, dtype=float)
    if not ref_sd or math.isnan(ref_sd):
        nan = np.full(mean.shape, np.nan)
        return nan, nan
    z = (mean - ref_mean) / ref_sd
    return z, 50 + 10 * z


def competition_rank(values: np.ndarray, peers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each group among the groups with the same ``peers`` id, higher value first,
    in standard competition ranking ("1224": 1 + the number of peers strictly higher).
    Groups whose value is NaN get no rank (0). Returns (rank, number of ranked peers)."""
    values = np.asarray(values, dtype=float)
    peers = np.asarray(peers)
    rank = np.zeros(len(values), dtype=np.int64)
    count = np.zeros(len(values), dtype=np.int64)
    for p in np.unique(peers):
        idx = np.flatnonzero((peers == p) & ~np.isnan(values))
        if not len(idx):
            continue
        v = values[idx]
        desc = np.sort(v)[::-1]
        # number strictly greater = position of v in the descending order
        rank[idx] = 1 + np.searchsorted(-desc, -v, side="left")
        count[idx] = len(idx)
    return rank, count


def percentile_rank(population: np.ndarray, x: float) -> float:
    """Percentile rank of ``x`` in ``population``: PR = 100·(B + E/2)/N, B the number of
    values below x and E the number equal to it (the mid-point definition of standard
    measurement texts, e.g. Crocker & Algina 1986, ch. 19)."""
    pop = np.asarray(population, dtype=float)
    pop = pop[~np.isnan(pop)]
    if not len(pop):
        return math.nan
    below = np.count_nonzero(pop < x)
    equal = np.count_nonzero(pop == x)
    return 100.0 * (below + 0.5 * equal) / len(pop)


def percentile_ranks(values: np.ndarray, peers: np.ndarray) -> np.ndarray:
    """Percentile rank (see :func:`percentile_rank`) of each group's value among peers."""
    values = np.asarray(values, dtype=float)
    peers = np.asarray(peers)
    out = np.full(len(values), np.nan)
    for p in np.unique(peers):
        idx = np.flatnonzero((peers == p) & ~np.isnan(values))
        if not len(idx):
            continue
        v = np.sort(values[idx])
        below = np.searchsorted(v, values[idx], side="left")
        upto = np.searchsorted(v, values[idx], side="right")
        out[idx] = 100.0 * (below + 0.5 * (upto - below)) / len(idx)
    return out


def mean_ratio(mean: np.ndarray, ref_mean: np.ndarray) -> np.ndarray:
    """比均率 (mean-over-reference ratio) = x̄_group / x̄_reference; the 超均率 (how far
    above the reference) is this minus one, (x̄_group − x̄_reference) / x̄_reference."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.asarray(mean, dtype=float) / np.asarray(ref_mean, dtype=float)
    r[~np.isfinite(r)] = np.nan
    return r


def composite_score(
    mean: np.ndarray,
    full_marks: float,
    excellent_rate: np.ndarray,
    pass_rate: np.ndarray,
    low_rate: np.ndarray,
    weights: dict,
) -> np.ndarray:
    """三率一分 composite on a 0–100 scale:
    100 · (w_mean·x̄/F + w_excellent·excellent rate + w_pass·pass rate
    + w_low·(1 − low rate)), with the weights configured on the exam (defaults
    0.4 / 0.2 / 0.3 / 0.1)."""
    return 100.0 * (
        weights["mean"] * np.asarray(mean) / full_marks
        + weights["excellent"] * np.asarray(excellent_rate)
        + weights["pass"] * np.asarray(pass_rate)
        + weights["low"] * (1 - np.asarray(low_rate))
    )


@dataclass
class Balance:
    cv: float | None
    weighted_mean: float | None
    sd: float | None
    schools: int


def weighted_cv(students: np.ndarray, values: np.ndarray) -> Balance:
    """Inter-school coefficient of variation weighted by students, as the national
    standard defines it (《县域义务教育优质均衡发展督导评估办法》2017, 附件 差异系数计算
    公式; the same formula as 《县域义务教育均衡发展督导评估暂行办法》2012):

        X̄ = Σ Pᵢ·Xᵢ / P,   S = √( Σ (Pᵢ/P)·(Xᵢ − X̄)² ),   CV = S / X̄

    Pᵢ the students of school i, P their sum, Xᵢ the school's indicator value. Schools
    without a value or without students are left out; CV is undefined when X̄ = 0."""
    p = np.asarray(students, dtype=float)
    x = np.asarray(values, dtype=float)
    keep = ~np.isnan(x) & ~np.isnan(p) & (p > 0)
    p, x = p[keep], x[keep]
    if not len(p):
        return Balance(None, None, None, 0)
    total = p.sum()
    mean = float((p * x).sum() / total)
    sd = float(math.sqrt(((p / total) * (x - mean) ** 2).sum()))
    cv = sd / mean if mean else None
    return Balance(cv, mean, sd, len(p))


def ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line y = a + b·x: b = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², a = ȳ − b·x̄."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    b = float(((x - xm) * (y - ym)).sum() / sxx) if sxx else 0.0
    return b, float(ym - b * xm)


@dataclass
class ValueAdded:
    z_gain: np.ndarray  # per linked student
    residual: np.ndarray
    slope: float
    intercept: float


def value_added(entry: np.ndarray, exit_: np.ndarray) -> ValueAdded:
    """Value-added of linked students (both scores present), two ways:

    (a) gain in standardised score, z_exit − z_entry, each z taken against the linked
        students of its own exam: z = (x − x̄)/σ (population σ). Its mean over a school
        or class is the group's value-added in SD units; over all linked students it is 0;
    (b) the residual of the least-squares regression of exit on entry score over all
        linked students, e = y − (a + b·x) (see :func:`ols`), in exit-score points; its
        mean over a group is the group's value-added (the simple regression model of
        school value-added, e.g. Raudenbush & Willms 1995, "type A" effects).
    """
    x = np.asarray(entry, dtype=float)
    y = np.asarray(exit_, dtype=float)
    sx, sy = x.std(), y.std()
    zx = (x - x.mean()) / sx if sx else np.zeros_like(x)
    zy = (y - y.mean()) / sy if sy else np.zeros_like(y)
    b, a = ols(x, y)
    return ValueAdded(z_gain=zy - zx, residual=y - (a + b * x), slope=b, intercept=a)


@dataclass
class ItemFigures:
    n: int
    mean: np.ndarray
    difficulty: np.ndarray
    discrimination: np.ndarray
    item_total_r: np.ndarray
    alpha: float | None
    kr20: float | None
    dichotomous: bool
    total_mean: float | None
    total_sd: float | None


def kelley_group_size(n: int) -> int:
    """Size of the upper and lower groups: 27% of the students (Kelley 1939), rounded,
    at least one."""
    return max(1, round(0.27 * n))


def item_analysis(scores: np.ndarray, full_marks: np.ndarray) -> ItemFigures:
    """Classical item analysis of one paper (students × items, no missing values).

    * difficulty P = mean item score / item full marks (the facility index; for a 0/1 item
      the share answering correctly);
    * discrimination D = (mean of the upper 27% − mean of the lower 27%) / full marks,
      groups formed on the paper total (Kelley 1939: the 27% groups maximise the
      difference's reliability); for 0/1 items D = p_upper − p_lower;
    * item–total correlation: Pearson's r between the item score and the paper total
      (the item included);
    * Cronbach's α = k/(k−1) · (1 − Σσᵢ²/σ_X²) (Cronbach 1951, eq. 2), σ² population
      variances of the items and of the total;
    * KR-20 = k/(k−1) · (1 − Σpᵢqᵢ/σ_X²) (Kuder & Richardson 1937, formula 20), only when
      every item is scored 0/1 (then it equals α).
    """
    m = np.asarray(scores, dtype=float)
    f = np.asarray(full_marks, dtype=float)
    n, k = m.shape
    empty = np.full(k, np.nan)
    if n == 0:
        return ItemFigures(0, empty, empty, empty, empty, None, None, False, None, None)
    total = m.sum(axis=1)
    mean = m.mean(axis=0)
    difficulty = mean / f
    g = kelley_group_size(n)
    order = np.argsort(total, kind="stable")
    lower, upper = m[order[:g]], m[order[-g:]]
    discrimination = (upper.mean(axis=0) - lower.mean(axis=0)) / f
    item_var = m.var(axis=0)
    total_var = total.var()
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = ((m - mean) * (total - total.mean())[:, None]).mean(axis=0)
        r = cov / np.sqrt(item_var * total_var)
    r[~np.isfinite(r)] = np.nan
    alpha = None
    if k > 1 and total_var > 0:
        alpha = float(k / (k - 1) * (1 - item_var.sum() / total_var))
    dichotomous = bool(np.all(f == 1) and np.all((m == 0) | (m == 1)))
    kr20 = None
    if dichotomous and k > 1 and total_var > 0:
        p = mean
        kr20 = float(k / (k - 1) * (1 - (p * (1 - p)).sum() / total_var))
    return ItemFigures(
        n=n,
        mean=mean,
        difficulty=difficulty,
        discrimination=discrimination,
        item_total_r=r,
        alpha=alpha,
        kr20=kr20,
        dichotomous=dichotomous,
        total_mean=float(total.mean()),
        total_sd=float(math.sqrt(total_var)),
    )


def clean(value) -> float | None:
    """A numpy number as a plain float, NaN as None (for storage and JSON)."""
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) or math.isinf(v) else v
