"""The stored analysis: every figure of every group against numpy computed here, on the
same rows, independently of the code under test; scope and suppression of small groups."""

from __future__ import annotations

import numpy as np
import pytest

from jiaoyan.quality import analysis, queries, services
from jiaoyan.quality.models import Exam, GroupStat, Level, ValueAddedLink, ValueAddedStat
from tests.quality.helpers import SUBJECTS, dataset, import_and_analyse, make_exam

FULL = dict(SUBJECTS)
TOTAL_FULL = sum(FULL.values())


@pytest.fixture
def analysed(world):
    exam = make_exam(world)
    rows = dataset(world)
    import_and_analyse(world, exam, rows)
    assert exam.analysis_status == Exam.Status.READY, exam.analysis_error
    return exam, rows


def _frame(world, rows):
    """Students as arrays: school code, class key, county, scores (NaN absent), total."""
    county_of = {
        world.schools["school_a"].org_unit.code: "linwei",
        world.schools["school_b"].org_unit.code: "linwei",
        world.schools["school_c"].org_unit.code: "huazhou",
    }
    school = np.array([r[1] for r in rows])
    cls = np.array([f"{r[1]}/{r[2]}" for r in rows])
    county = np.array([county_of[r[1]] for r in rows])
    m = np.array([[np.nan if v is None else v for v in r[5:]] for r in rows], float)
    total = np.where(np.isnan(m).any(axis=1), np.nan, m.sum(axis=1))
    return school, cls, county, m, total


def _expected(x, full, everyone):
    x = x[~np.isnan(x)]
    ev = everyone[~np.isnan(everyone)]
    return {
        "n": len(x),
        "mean": x.mean(),
        "sd": x.std(),
        "max_score": x.max(),
        "min_score": x.min(),
        "median": np.median(x),
        "excellent_rate": np.mean(x >= 0.85 * full),
        "good_rate": np.mean(x >= 0.70 * full),
        "pass_rate": np.mean(x >= 0.60 * full),
        "low_rate": np.mean(x < 0.40 * full),
        "z": (x.mean() - ev.mean()) / ev.std(),
        "t": 50 + 10 * (x.mean() - ev.mean()) / ev.std(),
    }


def _check(row, exp):
    assert row.n == exp["n"]
    for k, v in exp.items():
        if k == "n":
            continue
        assert getattr(row, k) == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_every_figure_of_every_group_matches_numpy(world, analysed):
    exam, rows = analysed
    school, cls, county, m, total = _frame(world, rows)
    columns = [(s, m[:, j], FULL[s.name]) for j, s in enumerate(queries.subjects_of(exam))]
    columns.append((None, total, TOTAL_FULL))
    units = {
        world.schools[k].org_unit.code: world.schools[k].pk
        for k in ("school_a", "school_b", "school_c")
    }
    stats_rows = list(GroupStat.objects.filter(exam=exam))
    assert len(stats_rows) == (1 + 2 + 3 + 5) * (len(SUBJECTS) + 1)
    for subject, col, full in columns:
        mine = [r for r in stats_rows if r.subject_id == (subject.pk if subject else None)]
        whole = next(r for r in mine if r.level == Level.ALL)
        _check(whole, _expected(col, full, col))
        assert whole.absent == np.count_nonzero(np.isnan(col))
        for key, unit in (("linwei", world.units["linwei"]), ("huazhou", world.units["huazhou"])):
            row = next(r for r in mine if r.level == Level.COUNTY and r.org_unit_id == unit.pk)
            _check(row, _expected(col[county == key], full, col))
        school_means = {}
        for code, pk in units.items():
            row = next(r for r in mine if r.level == Level.SCHOOL and r.org_unit_id == pk)
            exp = _expected(col[school == code], full, col)
            _check(row, exp)
            c = "linwei" if code.startswith("610502") else "huazhou"
            county_mean = np.nanmean(col[county == c])
            assert row.ratio_county == pytest.approx(exp["mean"] / county_mean)
            assert row.ratio_city == pytest.approx(exp["mean"] / np.nanmean(col))
            assert row.q1 == pytest.approx(np.nanpercentile(col[school == code], 25))
            school_means[pk] = exp["mean"]
        ordered = sorted(school_means.values(), reverse=True)
        for r in mine:
            if r.level == Level.SCHOOL:
                assert r.rank == 1 + ordered.index(school_means[r.org_unit_id])
                assert r.peers == 3
        for key in sorted(set(cls)):
            code, name = key.split("/")
            row = next(
                r
                for r in mine
                if r.level == Level.CLASS and r.org_unit_id == units[code] and r.class_name == name
            )
            exp = _expected(col[cls == key], full, col)
            _check(row, exp)
            assert row.ratio_school == pytest.approx(exp["mean"] / np.nanmean(col[school == code]))


def test_all_subject_pass_rate_and_composite(world, analysed):
    exam, rows = analysed
    school, _cls, _county, m, _total = _frame(world, rows)
    fulls = np.array([f for _n, f in SUBJECTS])
    complete = ~np.isnan(m).any(axis=1)
    passed_all = complete & (np.nan_to_num(m, nan=-1) >= 0.6 * fulls).all(axis=1)
    code = world.schools["school_a"].org_unit.code
    sel = school == code
    expected = passed_all[sel].sum() / complete[sel].sum()
    for r in GroupStat.objects.filter(
        exam=exam, level=Level.SCHOOL, org_unit=world.schools["school_a"].pk
    ):
        assert r.all_pass_rate == pytest.approx(expected)
    total_row = GroupStat.objects.get(
        exam=exam, level=Level.SCHOOL, org_unit=world.schools["school_a"].pk, subject=None
    )
    expected_composite = 100 * (
        0.4 * total_row.mean / TOTAL_FULL
        + 0.2 * total_row.excellent_rate
        + 0.3 * total_row.pass_rate
        + 0.1 * (1 - total_row.low_rate)
    )
    assert total_row.composite == pytest.approx(expected_composite)


def test_principal_sees_own_school_and_the_references_only(world, analysed):
    exam, _rows = analysed
    principal = world.users["principal"]
    visible = GroupStat.objects.visible_to(principal).filter(exam=exam, subject=None)
    levels = {(r.level, r.org_unit_id) for r in visible}
    a = world.schools["school_a"].pk
    assert (Level.SCHOOL, a) in levels
    assert (Level.COUNTY, world.units["linwei"].pk) in levels
    assert (Level.ALL, world.units["city"].pk) in levels
    assert (Level.SCHOOL, world.schools["school_b"].pk) not in levels
    assert (Level.SCHOOL, world.schools["school_c"].pk) not in levels
    assert (Level.COUNTY, world.units["huazhou"].pk) not in levels
    researcher = world.users["district_researcher"]
    schools = set(
        GroupStat.objects.visible_to(researcher)
        .filter(exam=exam, level=Level.SCHOOL, subject=None)
        .values_list("org_unit_id", flat=True)
    )
    assert schools == {a, world.schools["school_b"].pk}


def test_small_groups_are_suppressed_without_the_permission(world, analysed):
    exam, _rows = analysed
    admin = world.users["city_admin"]
    qs = queries.stat_rows(admin, exam, Level.CLASS, None).filter(
        org_unit=world.schools["school_b"].pk, class_name="2班"
    )
    row = queries.suppress(list(qs), queries.Privacy(admin))[0]
    assert row.n < 10 and row.suppressed and row.mean is None and row.rank is None
    services.grant_student_data(
        actor=admin, user=admin, org_unit=world.units["linwei"], reason="质量分析会"
    )
    row = queries.suppress(list(qs.all()), queries.Privacy(admin))[0]
    assert not row.suppressed and row.mean is not None


def test_reimport_of_changed_scores_replaces_and_a_stale_task_does_nothing(world, analysed):
    exam, rows = analysed
    version = exam.data_version
    rows[0][5] = 119.0
    import_and_analyse(world, exam, rows)
    assert exam.data_version == version + 1
    assert analysis.run_analysis(exam.pk, version) == "stale"


def test_value_added_matches_numpy(world):
    entry = make_exam(world, name="七年级入学测试", grade=7)
    exit_exam = make_exam(world, name="九年级中考")
    rows_in = dataset(world, seed=1)
    rows_out = dataset(world, seed=2)
    import_and_analyse(world, entry, rows_in)
    import_and_analyse(world, exit_exam, rows_out)
    link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=exit_exam)
    assert analysis.run_value_added(link.pk) == "ready"
    link.refresh_from_db()

    def totals(rows):
        return {r[4]: (sum(r[5:]) if None not in r[5:] else np.nan, r[1], r[2]) for r in rows}

    t_in, t_out = totals(rows_in), totals(rows_out)
    keys = [k for k in t_out if not np.isnan(t_out[k][0]) and not np.isnan(t_in[k][0])]
    x = np.array([t_in[k][0] for k in keys])
    y = np.array([t_out[k][0] for k in keys])
    b, a = np.polyfit(x, y, 1)
    assert link.n_linked == len(keys)
    assert link.slope == pytest.approx(b)
    resid = y - (a + b * x)
    gain = (y - y.mean()) / y.std() - (x - x.mean()) / x.std()
    code = world.schools["school_a"].org_unit.code
    sel = np.array([t_out[k][1] == code for k in keys])
    row = ValueAddedStat.objects.get(
        link=link, level=Level.SCHOOL, org_unit=world.schools["school_a"].pk
    )
    assert row.n_linked == sel.sum()
    assert row.mean_residual == pytest.approx(resid[sel].mean())
    assert row.mean_z_gain == pytest.approx(gain[sel].mean())
    assert row.mean_entry == pytest.approx(x[sel].mean())
    whole = ValueAddedStat.objects.get(link=link, level=Level.ALL)
    assert whole.mean_residual == pytest.approx(0, abs=1e-9)
    # a new import of the exit exam makes the result stale until recomputed
    rows_out[0][5] = 0.0
    import_and_analyse(world, exit_exam, rows_out)
    link.refresh_from_db()
    assert not link.is_current and link.status == ValueAddedLink.Status.PENDING
    analysis.run_value_added(link.pk)
    link.refresh_from_db()
    assert link.is_current


def test_item_analysis_is_stored(world, analysed):
    exam, rows = analysed
    from tests.quality.helpers import xlsx_bytes

    subject = exam.subjects.get(name="英语")
    head = ["考号", "题1", "题2", "题3", "题4"]
    marks = ["满分", 1, 1, 1, 1]
    rng = np.random.default_rng(4)
    body = [[r[0], *[int(v) for v in rng.integers(0, 2, 4)]] for r in rows]
    out = services.import_items(
        actor=world.users["city_admin"],
        exam=exam,
        subject=subject,
        data=xlsx_bytes([head, marks, *body]),
        filename="items.xlsx",
    )
    assert out.imported == len(rows), out.errors
    analysis.run_analysis(exam.pk)
    paper, items = queries.item_rows(world.users["city_admin"], exam, subject)
    m = np.array([b[1:] for b in body], float)
    total = m.sum(axis=1)
    k = 4
    kr20 = k / (k - 1) * (1 - (m.mean(0) * (1 - m.mean(0))).sum() / total.var())
    assert paper.kr20 == pytest.approx(kr20)
    assert paper.alpha == pytest.approx(kr20)
    assert [i.difficulty for i in items] == pytest.approx(list(m.mean(0)))
    assert items[0].item_total_r == pytest.approx(np.corrcoef(m[:, 0], total)[0, 1])
