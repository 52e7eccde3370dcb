"""The education-quality figures in the metric registry (:mod:`jiaoyan.core.metrics`).
Scores are restricted data: the mean score rate is computed only from the schools whose
figures the viewer may see (small groups and the groups that would give them away are
left out, :func:`jiaoyan.quality.queries.stat_suppression`), and is itself hidden when
fewer than 10 students remain."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import SMALL_GROUP, Exam, ExamSubject, GroupStat, Level


def _exams_in_period(ctx: metrics.Context):
    return Exam.objects.filter(ctx.period.days("date"), analysis_status=Exam.Status.READY)


def exams(ctx: metrics.Context) -> int:
    took_part = GroupStat.objects.filter(
        level__in=[Level.ALL, Level.COUNTY, Level.SCHOOL],
        subject__isnull=True,
        path__under=ctx.unit.path,
    ).values("exam_id")
    return _exams_in_period(ctx).filter(pk__in=took_part).count()


def score_rate(ctx: metrics.Context):
    from .queries import Privacy, stat_suppression

    rows = list(
        GroupStat.objects.filter(
            level=Level.SCHOOL,
            subject__isnull=True,
            path__under=ctx.unit.path,
            exam__in=_exams_in_period(ctx),
        ).only("exam_id", "subject_id", "level", "org_unit_id", "county_id", "n", "mean", "path")
    )
    if not rows:
        return None
    full = dict(
        ExamSubject.objects.filter(exam_id__in={r.exam_id for r in rows})
        .values("exam_id")
        .annotate(full=Sum("full_marks"))
        .values_list("exam_id", "full")
    )
    privacy = Privacy(ctx.viewer)
    hidden = stat_suppression(rows, privacy)
    shown = [r for r in rows if r.pk not in hidden and r.mean is not None and full.get(r.exam_id)]
    students = sum(r.n for r in shown)
    if students < SMALL_GROUP and not (students and privacy.may_see_small(ctx.unit.path)):
        return metrics.SUPPRESSED
    scored = sum(r.n * r.mean for r in shown)
    possible = sum(r.n * full[r.exam_id] for r in shown)
    return round(100.0 * scored / possible, 1)


metrics.register(
    metrics.Metric(
        key="quality.exams",
        name=_lazy("Exams analysed"),
        definition=_lazy(
            "Exams dated within the period whose analysis is ready and in which the unit, or "
            "a school below it, took part."
        ),
        unit=metrics.SESSIONS,
        compute=exams,
        order=50,
    )
)
metrics.register(
    metrics.Metric(
        key="quality.score_rate",
        name=_lazy("Mean score rate"),
        definition=_lazy(
            "Mean total score as a share of the total full marks, over the students tested "
            "in every subject at the schools below the unit in those exams. Schools whose "
            "figures are hidden to protect groups of fewer than 10 students are left out; "
            "the figure is hidden when fewer than 10 students remain."
        ),
        unit=metrics.PERCENT,
        compute=score_rate,
        order=51,
        digits=1,
    )
)
