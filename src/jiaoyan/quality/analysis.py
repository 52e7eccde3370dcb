"""Computing and storing an exam's analysis (in the background, with progress).

One pass over the exam's students builds a students × subjects matrix; every figure of
every group (the whole exam, each county, each school, each class) on every subject and
on the total is computed with vectorised numpy (:mod:`jiaoyan.quality.stats`) and stored
as :class:`GroupStat` rows, replacing the previous ones in one transaction. Pages and the
API read only these rows. Item analysis and the value-added of every linked pair that
involves the exam are refreshed after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from jiaoyan.core import context
from jiaoyan.core.bulk import insert_dicts, rows_with_json
from jiaoyan.core.jobs import JobError, JobLost
from jiaoyan.orgs.models import OrgUnit

from . import stats
from .models import (
    Candidate,
    Exam,
    ExamItem,
    GroupStat,
    ItemScore,
    ItemStat,
    Level,
    PaperStat,
    ValueAddedLink,
    ValueAddedStat,
    ancestor_paths,
)
from .stats import clean

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]


@dataclass
class Groups:
    """Group indexes of each student at each level, and what each group is."""

    school_idx: np.ndarray
    county_idx: np.ndarray
    class_idx: np.ndarray
    schools: list[tuple[int, str, int]]  # (unit id, path, county index)
    counties: list[tuple[int, str]]  # (unit id, path)
    classes: list[tuple[int, str]]  # (school index, class name)


def _plain(a: np.ndarray) -> list:
    """Floats for storage, NaN and infinities as None."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, None).tolist()


def _plain_int(a: np.ndarray) -> list:
    """Whole numbers for storage, 0 (no rank) as None."""
    return [int(v) or None for v in np.asarray(a).tolist()]


def build_groups(exam: Exam, school_ids: np.ndarray, class_names: list[str]) -> Groups:
    """Index students by school, county (the county region above the school inside the
    exam's region; schools run directly by the city form their own group, the city) and
    class (school + class name)."""
    uniq, school_idx = np.unique(school_ids, return_inverse=True)
    paths = dict(OrgUnit.objects.filter(pk__in=uniq.tolist()).values_list("pk", "path"))
    region = exam.org_unit
    county_units = dict(
        OrgUnit.objects.filter(
            path__under=region.path, level=OrgUnit.Level.COUNTY, kind=OrgUnit.Kind.REGION
        ).values_list("path", "pk")
    )
    counties: list[tuple[int, str]] = []
    county_pos: dict[int, int] = {}
    schools: list[tuple[int, str, int]] = []
    for sid in uniq.tolist():
        path = paths[sid]
        county = next(
            ((county_units[p], p) for p in ancestor_paths(path) if p in county_units),
            (region.pk, region.path),
        )
        if county[0] not in county_pos:
            county_pos[county[0]] = len(counties)
            counties.append(county)
        schools.append((sid, path, county_pos[county[0]]))
    county_of_school = np.array([s[2] for s in schools], dtype=np.int64)
    keys = np.char.add(
        school_idx.astype(str), np.char.add("\x1f", np.asarray(class_names, dtype=str))
    )
    class_keys, class_idx = np.unique(keys, return_inverse=True)
    classes = []
    for key in class_keys.tolist():
        s, name = key.split("\x1f", 1)
        classes.append((int(s), name))
    return Groups(
        school_idx=school_idx.astype(np.int64),
        county_idx=county_of_school[school_idx],
        class_idx=class_idx.astype(np.int64),
        schools=schools,
        counties=counties,
        classes=classes,
    )


def load_matrix(exam: Exam):
    rows = rows_with_json(
        Candidate.objects.filter(exam=exam), ["school_id", "class_name"], "scores"
    )
    if not rows:
        return None, None, None
    school_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    class_names = [r[1] for r in rows]
    matrix = np.array([r[2] for r in rows], dtype=float)
    return school_ids, class_names, matrix


def compute_exam(exam: Exam, progress: Progress | None = None) -> list[dict]:
    """Every figure of every group on every subject and the total, as :class:`GroupStat`
    rows (dicts by field) ready for :func:`jiaoyan.core.bulk.insert_dicts`."""
    report = progress or (lambda pct, phase: None)
    report(5, gettext_noop("Reading the scores"))
    subjects = list(exam.subjects.order_by("order", "id"))
    school_ids, class_names, matrix = load_matrix(exam)
    if matrix is None:
        return []
    n_students = matrix.shape[0]
    report(20, gettext_noop("Grouping students"))
    groups = build_groups(exam, school_ids, class_names)
    complete = ~np.isnan(matrix).any(axis=1)
    total = np.where(complete, np.nansum(matrix, axis=1), np.nan)
    passes = np.ones(n_students, dtype=bool)
    for j, s in enumerate(subjects):
        passes &= matrix[:, j] >= stats.cut_line(s.cutoffs(exam)["pass"], s.full_marks)
    all_pass = complete & passes
    weights = exam.weights()
    region = exam.org_unit
    n_counties, n_schools, n_classes = (
        len(groups.counties),
        len(groups.schools),
        len(groups.classes),
    )
    level_index = {
        Level.ALL: np.zeros(n_students, dtype=np.int64),
        Level.COUNTY: groups.county_idx,
        Level.SCHOOL: groups.school_idx,
        Level.CLASS: groups.class_idx,
    }
    level_size = {
        Level.ALL: 1,
        Level.COUNTY: n_counties,
        Level.SCHOOL: n_schools,
        Level.CLASS: n_classes,
    }
    all_pass_rate = {}
    for level, idx in level_index.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            all_pass_rate[level] = np.bincount(
                idx, weights=all_pass.astype(float), minlength=level_size[level]
            ) / np.bincount(idx, weights=complete.astype(float), minlength=level_size[level])
    school_county = np.array([s[2] for s in groups.schools], dtype=np.int64)
    class_school = np.array([c[0] for c in groups.classes], dtype=np.int64)
    class_county = school_county[class_school] if n_classes else np.zeros(0, dtype=np.int64)
    rows: list[dict] = []
    columns = [(s, matrix[:, j], s.full_marks, s.cutoffs(exam)) for j, s in enumerate(subjects)]
    total_full = float(sum(s.full_marks for s in subjects))
    columns.append((None, total, total_full, exam.cutoffs()))
    for c, (subject, values, full, cut) in enumerate(columns):
        report(25 + int(55 * c / len(columns)), gettext_noop("Computing the figures"))
        figs = {
            level: stats.group_figures(values, idx, level_size[level], full, cut)
            for level, idx in level_index.items()
        }
        ref_mean = float(figs[Level.ALL].mean[0]) if figs[Level.ALL].n[0] else np.nan
        ref_sd = float(figs[Level.ALL].sd[0]) if figs[Level.ALL].n[0] else np.nan
        county_mean = figs[Level.COUNTY].mean
        school_mean = figs[Level.SCHOOL].mean
        extra: dict[str, dict[str, np.ndarray]] = {}
        for level in level_index:
            f = figs[level]
            z, t = stats.standardise(f.mean, ref_mean, ref_sd)
            size = level_size[level]
            e = {
                "z": z,
                "t": t,
                "ratio_city": stats.mean_ratio(f.mean, np.full(size, ref_mean)),
                "ratio_county": np.full(size, np.nan),
                "ratio_school": np.full(size, np.nan),
                "rank": np.zeros(size, dtype=np.int64),
                "peers": np.zeros(size, dtype=np.int64),
                "rank_in_county": np.zeros(size, dtype=np.int64),
                "percentile": np.full(size, np.nan),
                "composite": stats.composite_score(
                    f.mean, full, f.excellent_rate, f.pass_rate, f.low_rate, weights
                ),
            }
            if level == Level.COUNTY:
                e["rank"], e["peers"] = stats.competition_rank(f.mean, np.zeros(size))
                e["percentile"] = stats.percentile_ranks(f.mean, np.zeros(size))
            elif level == Level.SCHOOL:
                e["ratio_county"] = stats.mean_ratio(f.mean, county_mean[school_county])
                e["rank"], e["peers"] = stats.competition_rank(f.mean, np.zeros(size))
                e["rank_in_county"], _n = stats.competition_rank(f.mean, school_county)
                e["percentile"] = stats.percentile_ranks(f.mean, np.zeros(size))
            elif level == Level.CLASS and size:
                e["ratio_county"] = stats.mean_ratio(f.mean, county_mean[class_county])
                e["ratio_school"] = stats.mean_ratio(f.mean, school_mean[class_school])
                e["rank"], e["peers"] = stats.competition_rank(f.mean, class_school)
                e["percentile"] = stats.percentile_ranks(f.mean, class_school)
            extra[level] = e
        for level in level_index:
            f, e = figs[level], extra[level]
            size = level_size[level]
            if level == Level.ALL:
                where = [(region.pk, region.path, None, "")]
            elif level == Level.COUNTY:
                where = [(uid, path, uid, "") for uid, path in groups.counties]
            elif level == Level.SCHOOL:
                where = [
                    (uid, path, groups.counties[ci][0], "") for uid, path, ci in groups.schools
                ]
            else:
                where = []
                for si, class_name in groups.classes:
                    uid, path, ci = groups.schools[si]
                    where.append((uid, path, groups.counties[ci][0], class_name))
            cols = {
                "n": f.n.tolist(),
                "absent": f.absent.tolist(),
                "mean": _plain(f.mean),
                "sd": _plain(f.sd),
                "max_score": _plain(f.max),
                "min_score": _plain(f.min),
                "median": _plain(f.median),
                "q1": _plain(f.q1),
                "q3": _plain(f.q3),
                "excellent_rate": _plain(f.excellent_rate),
                "good_rate": _plain(f.good_rate),
                "pass_rate": _plain(f.pass_rate),
                "low_rate": _plain(f.low_rate),
                "all_pass_rate": _plain(all_pass_rate[level]),
                "z": _plain(e["z"]),
                "t": _plain(e["t"]),
                "rank": _plain_int(e["rank"]),
                "peers": _plain_int(e["peers"]),
                "rank_in_county": _plain_int(e["rank_in_county"]),
                "percentile": _plain(e["percentile"]),
                "ratio_county": _plain(e["ratio_county"]),
                "ratio_city": _plain(e["ratio_city"]),
                "ratio_school": _plain(e["ratio_school"]),
                "composite": _plain(e["composite"]),
                "bands": f.bands.tolist(),
            }
            names = list(cols)
            subject_id = subject.pk if subject else None
            for i, values in enumerate(zip(*cols.values(), strict=True)):
                unit_id, path, county_id, class_name = where[i]
                row = dict(zip(names, values, strict=True))
                row.update(
                    exam_id=exam.pk,
                    level=level,
                    subject_id=subject_id,
                    org_unit_id=unit_id,
                    county_id=county_id,
                    class_name=class_name,
                    path=path,
                )
                rows.append(row)
            assert len(where) == size
    return rows


def compute_items(exam: Exam) -> tuple[list[PaperStat], list[ItemStat]]:
    """Item analysis of every subject with item scores (students absent are left out)."""
    papers, items_out = [], []
    for subject in exam.subjects.all():
        items = list(ExamItem.objects.filter(subject=subject).order_by("order"))
        if not items:
            continue
        raw = [
            r[0]
            for r in rows_with_json(ItemScore.objects.filter(subject=subject), [], "scores")
            if r[0] is not None
        ]
        m = np.array(raw, dtype=float).reshape(len(raw), len(items))
        fig = stats.item_analysis(m, np.array([i.full_marks for i in items]))
        papers.append(
            PaperStat(
                exam=exam,
                subject=subject,
                n=fig.n,
                k=len(items),
                mean=clean(fig.total_mean),
                sd=clean(fig.total_sd),
                alpha=clean(fig.alpha),
                kr20=clean(fig.kr20),
                dichotomous=fig.dichotomous,
            )
        )
        for j, item in enumerate(items):
            items_out.append(
                ItemStat(
                    exam=exam,
                    subject=subject,
                    item=item,
                    n=fig.n,
                    mean=clean(fig.mean[j]),
                    difficulty=clean(fig.difficulty[j]),
                    discrimination=clean(fig.discrimination[j]),
                    item_total_r=clean(fig.item_total_r[j]),
                )
            )
    return papers, items_out


def run_analysis(exam_id: int, version: int | None = None, progress=None) -> str:
    """Compute and store the analysis of one exam; a newer import makes this run moot.

    ``progress`` is the job's (:class:`jiaoyan.core.jobs.Progress`) when the analysis
    runs as a job: each phase is reported to it, and a failure raises
    :class:`~jiaoyan.core.jobs.JobError` with the message people see. Called directly
    (demo, bench) it only stores the figures and the exam's status."""
    exam = Exam.objects.select_related("org_unit", "stage").get(pk=exam_id)
    if version is not None and exam.data_version != version:
        return "stale"
    started = time.monotonic()
    marked = False

    def report(pct: int, phase: str) -> None:
        nonlocal marked
        if not marked:
            Exam.objects.filter(pk=exam_id, data_version=exam.data_version).update(
                analysis_status=Exam.Status.RUNNING
            )
            marked = True
        if progress is not None:
            progress(phase, pct, 100)

    report(1, gettext_noop("Starting"))
    try:
        rows = compute_exam(exam, report)
        papers, items = compute_items(exam)
        report(85, gettext_noop("Storing the results"))
        with transaction.atomic():
            current = Exam.objects.select_for_update().get(pk=exam_id)
            if current.data_version != exam.data_version:
                return "stale"
            GroupStat.objects.filter(exam_id=exam_id)._raw_delete(GroupStat.objects.db)
            ItemStat.objects.filter(exam_id=exam_id).delete()
            PaperStat.objects.filter(exam_id=exam_id).delete()
            insert_dicts(GroupStat, rows)
            PaperStat.objects.bulk_create(papers)
            ItemStat.objects.bulk_create(items, batch_size=2000)
            Exam.objects.filter(pk=exam_id).update(
                analysis_status=Exam.Status.READY,
                analysed_at=timezone.now(),
                analysis_seconds=time.monotonic() - started,
            )
    except JobLost:
        raise
    except Exception:
        log.exception("analysis of exam %s failed", exam_id)
        Exam.objects.filter(pk=exam_id, data_version=exam.data_version).update(
            analysis_status=Exam.Status.FAILED
        )
        if progress is not None:
            raise JobError(
                _("The analysis failed unexpectedly; the previous results are kept.")
            ) from None
        return "failed"
    # The value-added of every pair involving this exam is now stale: it is recomputed in
    # its own job, so the exam's figures are ready first.
    # Recomputed only when whoever imported may link both exams (else left to be
    # refreshed by someone who may: see ``services.refresh_links_after_import``).
    from .services import refresh_links_after_import

    importer = exam.analysis_job.created_by if exam.analysis_job_id else None
    with transaction.atomic():
        refresh_links_after_import(exam, importer)
    return "ready"


@task()
def analyse_exam(exam_id: int, version: int) -> str:
    """Background task of the releases before jobs, kept for tasks queued before the
    upgrade; new analyses run as jobs (``quality/tasks.py``)."""
    with context.write_context("task"):
        return run_analysis(exam_id, version)


# --- value-added ------------------------------------------------------------------------


def _totals(exam: Exam, with_groups: bool):
    fields = ["student_key"] + (["school_id", "class_name"] if with_groups else [])
    raw = rows_with_json(Candidate.objects.filter(exam=exam), fields, "scores")
    if not raw:
        return [], np.zeros(0), []
    m = np.array([r[-1] for r in raw], dtype=float)
    total = m.sum(axis=1)  # NaN unless tested in every subject
    # rows as (student_key, scores, school_id, class_name)
    rows = [(r[0], r[-1], *r[1:-1]) for r in raw]
    return [r[0] for r in rows], total, rows


def compute_value_added(link: ValueAddedLink) -> tuple[list[dict], dict]:
    entry, exit_exam = link.entry_exam, link.exit_exam
    entry_keys, entry_total, _r = _totals(entry, False)
    entry_by_key = {k: v for k, v in zip(entry_keys, entry_total, strict=True) if not np.isnan(v)}
    exit_keys, exit_total, exit_rows = _totals(exit_exam, True)
    info = {"n_linked": 0, "n_exit": 0, "slope": None, "intercept": None}
    if not exit_rows:
        return [], info
    has_exit = ~np.isnan(exit_total)
    entry_for_exit = np.array([entry_by_key.get(k, np.nan) for k in exit_keys], dtype=float)
    linked = has_exit & ~np.isnan(entry_for_exit)
    info["n_exit"] = int(has_exit.sum())
    info["n_linked"] = int(linked.sum())
    school_ids = np.array([r[2] for r in exit_rows], dtype=np.int64)
    groups = build_groups(exit_exam, school_ids, [r[3] for r in exit_rows])
    gain = np.full(len(exit_rows), np.nan)
    resid = np.full(len(exit_rows), np.nan)
    if info["n_linked"] >= 2:
        va = stats.value_added(entry_for_exit[linked], exit_total[linked])
        gain[linked] = va.z_gain
        resid[linked] = va.residual
        info["slope"], info["intercept"] = va.slope, va.intercept
    level_index = {
        Level.ALL: (np.zeros(len(exit_rows), dtype=np.int64), 1),
        Level.COUNTY: (groups.county_idx, len(groups.counties)),
        Level.SCHOOL: (groups.school_idx, len(groups.schools)),
        Level.CLASS: (groups.class_idx, len(groups.classes)),
    }
    out: list[dict] = []
    region = exit_exam.org_unit
    for level, (idx, size) in level_index.items():
        lw = linked.astype(float)
        n_linked = np.bincount(idx, weights=lw, minlength=size)
        n_exit = np.bincount(idx, weights=has_exit.astype(float), minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_entry = (
                np.bincount(idx, weights=np.where(linked, entry_for_exit, 0), minlength=size)
                / n_linked
            )
            mean_exit = (
                np.bincount(idx, weights=np.where(linked, exit_total, 0), minlength=size) / n_linked
            )
            mean_gain = (
                np.bincount(idx, weights=np.where(linked, gain, 0), minlength=size) / n_linked
            )
            mean_res = (
                np.bincount(idx, weights=np.where(linked, resid, 0), minlength=size) / n_linked
            )
        for i in range(size):
            if level == Level.ALL:
                unit_id, path, class_name = region.pk, region.path, ""
            elif level == Level.COUNTY:
                (unit_id, path), class_name = groups.counties[i], ""
            elif level == Level.SCHOOL:
                unit_id, path, _c = groups.schools[i]
                class_name = ""
            else:
                si, class_name = groups.classes[i]
                unit_id, path, _c = groups.schools[si]
            ok = info["slope"] is not None
            out.append(
                {
                    "link_id": link.pk,
                    "level": level,
                    "org_unit_id": unit_id,
                    "class_name": class_name,
                    "path": path,
                    "n_exit": int(n_exit[i]),
                    "n_linked": int(n_linked[i]),
                    "mean_entry": clean(mean_entry[i]),
                    "mean_exit": clean(mean_exit[i]),
                    "mean_z_gain": clean(mean_gain[i]) if ok else None,
                    "mean_residual": clean(mean_res[i]) if ok else None,
                }
            )
    return out, info


def run_value_added(link_id: int, progress=None) -> str:
    """Compute and store the value-added of one pair. As a job (``progress`` given) the
    pair's status is its job's; called directly, the pair is marked computed."""
    link = ValueAddedLink.objects.select_related(
        "entry_exam", "exit_exam", "exit_exam__org_unit"
    ).get(pk=link_id)
    if progress is not None:
        progress(gettext_noop("Computing the value-added"))
    try:
        rows, info = compute_value_added(link)
        with transaction.atomic():
            ValueAddedStat.objects.filter(link_id=link_id).delete()
            insert_dicts(ValueAddedStat, rows)
            extra = {} if progress is not None else {"job": None}
            ValueAddedLink.objects.filter(pk=link_id).update(
                computed_at=timezone.now(),
                entry_version=link.entry_exam.data_version,
                exit_version=link.exit_exam.data_version,
                **info,
                **extra,
            )
    except JobLost:
        raise
    except Exception:
        log.exception("value-added %s failed", link_id)
        if progress is not None:
            raise JobError(_("The value-added could not be computed.")) from None
        return "failed"
    return "ready"


@task()
def compute_value_added_task(link_id: int) -> str:
    """Background task of the releases before jobs, kept for tasks queued before the
    upgrade; new computations run as jobs (``quality/tasks.py``)."""
    with context.write_context("task"):
        return run_value_added(link_id)
