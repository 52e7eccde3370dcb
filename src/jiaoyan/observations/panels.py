"""The lesson-observation panel of the activity page (registered in ``apps.py`` through
``activities.hooks.register_detail_panel``).

It lists the observations made in the activity and its 同课异构 rounds, as the viewer may
see them (``observations_for`` / ``visible_to``): a principal sees those at their school,
a researcher those in their region and at their liaison schools, an observed teacher
their own submitted ones. A fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q

from jiaoyan.activities.models import Activity

from . import queries
from .models import LESSON_ACTIVITY_KINDS, ComparisonRound, Observation

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
