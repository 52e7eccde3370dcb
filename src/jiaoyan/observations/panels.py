"""The lesson-observation panels (registered in ``apps.py``).

On the activity page (through ``activities.hooks.register_detail_panel``): the panel lists
the observations made in the activity and its 同课异构 rounds, as the viewer may see them
(``observations_for`` / ``visible_to``): a principal sees those at their school, a
researcher those in their region and at their liaison schools, an observed teacher their
own submitted ones. A fixed number of queries whatever the number of rows.

On the home page: a teacher's latest observed lessons, and an observer's coverage of the
unit they observe in the current term.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.core.home import memo, seats
from jiaoyan.core.roles import Role
from jiaoyan.people.models import RoleAssignment

from . import queries
from .models import LESSON_ACTIVITY_KINDS, OBSERVERS, ComparisonRound, Observation, UnitTermStat
from .terms import term_of

SHOWN = 20
SUBMITTED = Observation.Status.SUBMITTED


def activity_panel(request, activity: Activity) -> dict[str, Any] | None:
    user = request.user
    visible = queries.observations_for(user).filter(activity=activity)
    rows = list(
        queries.for_list(visible).order_by("date", "period", "teacher__name", "id")[: SHOWN + 1]
    )
    more = len(rows) > SHOWN
    rows = rows[:SHOWN]
    rounds = list(
        ComparisonRound.objects.visible_to(user)
        .filter(activity=activity)
        .select_related("subject", "stage")
        .annotate(
            teachers=Count(
                "observations__teacher",
                distinct=True,
                filter=Q(observations__status=SUBMITTED),
            )
        )
        .order_by("date", "id")
    )
    lesson_kind = activity.kind in LESSON_ACTIVITY_KINDS
    if not (rows or rounds or lesson_kind):
        return None
    if more:
        summary = visible.aggregate(n=Count("id"), mean=Avg("total", filter=Q(status=SUBMITTED)))
        count, mean = summary["n"], summary["mean"]
    else:
        totals = [o.total for o in rows if o.status == SUBMITTED and o.total is not None]
        count = len(rows)
        mean = sum(totals) / len(totals) if totals else None
    open_ = activity.status != Activity.Status.CANCELLED
    can_round = (
        open_
        and activity.kind == Activity.Kind.SAME_LESSON
        and queries.organiser_units(user, ComparisonRound).exists()
    )
    return {
        "observations": rows,
        "count": count,
        "more": more,
        "mean": round(float(mean), 1) if mean is not None else None,
        "rounds": rounds,
        "can_record": open_ and lesson_kind and queries.can_add_somewhere(user),
        "can_round": can_round,
        "activity": activity,
    }


# --- the home page ---------------------------------------------------------------------------

HOME_SHOWN = 5


def observed_panel(request) -> dict[str, Any] | None:
    """A teacher's home: the latest submitted observations of their own lessons (one query)."""
    person = getattr(request.user, "person", None)
    if person is None:
        return None
    rows = list(
        queries.observations_for(request.user)
        .filter(teacher_id=person.pk, status=SUBMITTED)
        .select_related("subject")
        .order_by("-date", "-id")[:HOME_SHOWN]
    )
    return {"observations": rows}


def coverage_panel(request) -> dict[str, Any] | None:
    """An observer's home: this term's coverage of the widest unit they observe (a school
    for a principal, a district for its researchers, a city for its admins); two queries."""
    mine = sorted(
        (s for s in seats(request) if s.role in OBSERVERS and s.unit_id is not None),
        key=lambda s: (len(s.path), s.path),
    )
    if not mine:
        return None
    seat = mine[0]
    term = term_of(timezone.localdate())
    stat = (
        UnitTermStat.objects.visible_to(request.user)
        .filter(unit_id=seat.unit_id, term=term.start)
        .first()
    )
    teachers = memo(
        request,
        "observations.teachers",
        lambda: (
            RoleAssignment.objects.visible_to(request.user)
            .filter(role=Role.TEACHER, is_active=True, org_unit__path__under=seat.path)
            .count()
        ),
        keep=True,
    )
    observed = stat.observed_teachers if stat else 0
    return {
        "unit_name": seat.unit_name,
        "unit_id": seat.unit_id,
        "term": term,
        "observations": stat.observations if stat else 0,
        "observed": observed,
        "teachers": teachers,
        "coverage": round(100 * observed / teachers, 1) if teachers else None,
    }
