"""The pre-aggregated tables behind the coverage and distribution pages.

Requests never add up observations live (STYLE.md "Analytics"). Three tables:

* ``TeacherTermStat`` — per teacher and term: how many observations, the last date;
* ``UnitTermStat`` — per unit and term, for the school and every unit above it:
  observations and teachers observed (so a district or the city is one row);
* ``DimensionStat`` — per unit, term, subject and dimension (``""`` = the total): count,
  sum, sum of squares and five buckets of the percentage.

Services keep them current inside the same transaction as the write (:func:`apply` adds
or removes one submitted observation's contribution, with ``F()`` so concurrent writers do
not lose counts); :func:`rebuild` recomputes everything from the observations (after a
bulk load, after units moved in the tree) and runs as the background task
:func:`rebuild_stats_task` or as ``jiaoyan observation_stats``.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import F, Max
from django_tasks import task

from jiaoyan.core import context, stamps
from jiaoyan.core.paths import path_ids
from jiaoyan.orgs.models import OrgUnit

from .models import (
    DimensionStat,
    Observation,
    TeacherTermStat,
    UnitTermStat,
    bucket_of,
)

TOTAL = ""  # the DimensionStat row of the total score
# The version (``core.stamps``) of the submitted observations: every change that reaches
# these tables (a submission, a correction, a rebuild) changes it, and figures kept in the
# cache that count observations (a studio's members' observations) are computed again.
SUBMITTED = "observations.submitted"


def _rolled_up(by_school: dict[tuple, list], chains: dict[int, list[int]]) -> dict[tuple, list]:
    """Sums kept per school (keyed ``(school, …)``) added up for every unit of each school's
    chain, the school included (keyed ``(unit, …)``)."""
    out: dict[tuple, list] = {}
    for (school, *rest), sums in by_school.items():
        for unit in chains[school]:
            target = out.setdefault((unit, *rest), [0] * len(sums))
            for i, v in enumerate(sums):
                target[i] += v
    return out


def _dimension_values(obs: Observation) -> list[tuple[str, float]]:
    values = [(d["name"], float(d["percent"])) for d in obs.dimension_results or []]
    values = [(n, p) for n, p in values if p is not None]
    if obs.total is not None:
        values.append((TOTAL, float(obs.total)))
    return values


def apply(obs: Observation, sign: int) -> None:
    """Add (+1) or remove (−1) the contribution of one submitted observation."""
    assert sign in (1, -1)
    stamps.bump(SUBMITTED)
    units = path_ids(obs.org_unit.path)
    term = obs.term
    total = float(obs.total or 0)

    TeacherTermStat.objects.bulk_create(
        [TeacherTermStat(teacher_id=obs.teacher_id, term=term, org_unit_id=obs.org_unit_id)],
        ignore_conflicts=True,
    )
    stat = TeacherTermStat.objects.select_for_update().get(teacher_id=obs.teacher_id, term=term)
    stat.observations = max(0, stat.observations + sign)
    stat.total_sum += sign * total
    stat.org_unit_id = obs.org_unit_id
    if sign > 0:
        stat.last_date = max(stat.last_date, obs.date) if stat.last_date else obs.date
    else:
        stat.last_date = (
            Observation.objects.filter(
                teacher_id=obs.teacher_id, term=term, status=Observation.Status.SUBMITTED
            )
            .exclude(pk=obs.pk)
            .aggregate(d=Max("date"))["d"]
        )
    stat.save(update_fields=["observations", "total_sum", "last_date", "org_unit"])
    newly = 1 if (sign > 0 and stat.observations == 1) else 0
    gone = 1 if (sign < 0 and stat.observations == 0) else 0

    UnitTermStat.objects.bulk_create(
        [UnitTermStat(unit_id=u, term=term) for u in units], ignore_conflicts=True
    )
    UnitTermStat.objects.filter(unit_id__in=units, term=term).update(
        observations=F("observations") + sign,
        total_sum=F("total_sum") + sign * total,
        observed_teachers=F("observed_teachers") + (newly - gone),
    )

    values = _dimension_values(obs)
    if not values:
        return
    DimensionStat.objects.bulk_create(
        [
            DimensionStat(unit_id=u, term=term, subject_id=obs.subject_id, dimension=name)
            for u in units
            for name, _p in values
        ],
        ignore_conflicts=True,
    )
    for name, p in values:
        bucket = f"b{bucket_of(p)}"
        DimensionStat.objects.filter(
            unit_id__in=units, term=term, subject_id=obs.subject_id, dimension=name
        ).update(
            n=F("n") + sign,
            total=F("total") + sign * p,
            total_sq=F("total_sq") + sign * p * p,
            **{bucket: F(bucket) + sign},
        )


def refresh_paths() -> int:
    """Copy each school's current tree path onto its observations (after units moved)."""
    changed = 0
    for pk, path in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list("pk", "path"):
        changed += (
            Observation.objects.filter(org_unit_id=pk)
            .exclude(unit_path=path)
            .update(unit_path=path)
        )
    return changed


@transaction.atomic
def rebuild() -> dict[str, int]:
    """Recompute the three tables from the submitted observations."""
    stamps.bump(SUBMITTED)
    refresh_paths()
    TeacherTermStat.objects.all().delete()
    UnitTermStat.objects.all().delete()
    DimensionStat.objects.all().delete()

    teacher: dict[tuple[int, object], list] = {}
    school_cov: dict[tuple[int, object], list] = defaultdict(lambda: [0, 0, 0.0])
    school_dim: dict[tuple[int, object, int, str], list] = defaultdict(
        lambda: [0, 0.0, 0.0, 0, 0, 0, 0, 0]
    )
    rows = (
        Observation.objects.filter(status=Observation.Status.SUBMITTED)
        .values_list(
            "teacher_id", "term", "org_unit_id", "date", "total", "subject_id", "dimension_results"
        )
        # In id order: the new rows' ids follow the order they are met in, the same on
        # every database.
        .order_by("pk")
        .iterator(chunk_size=10000)
    )
    for teacher_id, term, school_id, date, total, subject_id, dims in rows:
        t = float(total or 0)
        key = (teacher_id, term)
        row = teacher.get(key)
        if row is None:
            teacher[key] = [school_id, 1, date, t]
            school_cov[(school_id, term)][1] += 1
        else:
            row[1] += 1
            row[2] = max(row[2], date)
            row[3] += t
        cov = school_cov[(school_id, term)]
        cov[0] += 1
        cov[2] += t
        values = [(d["name"], d["percent"]) for d in dims or [] if d.get("percent") is not None]
        if total is not None:
            values.append((TOTAL, t))
        for name, p in values:
            p = float(p)
            acc = school_dim[(school_id, term, subject_id, name)]
            acc[0] += 1
            acc[1] += p
            acc[2] += p * p
            acc[3 + bucket_of(p)] += 1

    schools = {s for s, _t in school_cov}
    paths = dict(OrgUnit.objects.filter(pk__in=list(schools)).values_list("pk", "path"))
    chains = {s: path_ids(paths.get(s, f"/{s}/")) for s in schools}

    TeacherTermStat.objects.bulk_create(
        [
            TeacherTermStat(
                teacher_id=k[0],
                term=k[1],
                org_unit_id=v[0],
                observations=v[1],
                last_date=v[2],
                total_sum=v[3],
            )
            for k, v in teacher.items()
        ],
        batch_size=5000,
    )
    unit_cov = _rolled_up(school_cov, chains)
    UnitTermStat.objects.bulk_create(
        [
            UnitTermStat(
                unit_id=u, term=term, observations=v[0], observed_teachers=v[1], total_sum=v[2]
            )
            for (u, term), v in unit_cov.items()
        ],
        batch_size=5000,
    )
    unit_dim = _rolled_up(school_dim, chains)
    DimensionStat.objects.bulk_create(
        [
            DimensionStat(
                unit_id=u,
                term=term,
                subject_id=subject,
                dimension=name,
                n=v[0],
                total=v[1],
                total_sq=v[2],
                b0=v[3],
                b1=v[4],
                b2=v[5],
                b3=v[6],
                b4=v[7],
            )
            for (u, term, subject, name), v in unit_dim.items()
        ],
        batch_size=5000,
    )
    return {
        "teacher_terms": len(teacher),
        "unit_terms": len(unit_cov),
        "distributions": len(unit_dim),
    }


@task()
def rebuild_stats_task() -> dict[str, int]:
    """Background task: recompute the observation statistics."""
    with context.write_context("task"):
        return rebuild()
