"""Reads of training: the lists' querysets, a participant's view of a programme, and the
programme report (a few grouped queries whatever the number of participants)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum

from jiaoyan.core.paths import path_ids
from jiaoyan.orgs.models import OrgUnit, School

from .models import Attendance, Cohort, Enrolment, Feedback, Programme, Session, Submission
from .services import missed_text


def programmes_for(user):
    return Programme.objects.visible_to(user)


def my_enrolment(user, programme: Programme) -> Enrolment | None:
    person = getattr(user, "person", None)
    if person is None:
        return None
    return Enrolment.objects.filter(programme=programme, person=person).first()


def my_attendance(user, programme: Programme) -> dict[int, Attendance]:
    person = getattr(user, "person", None)
    if person is None:
        return {}
    return {
        a.session_id: a
        for a in Attendance.objects.filter(session__programme=programme, person=person)
    }


def missed_lines(enrolment: Enrolment | None) -> list[str]:
    if enrolment is None:
        return []
    return [missed_text(m) for m in enrolment.missed or []]


def my_submissions(user, programme: Programme) -> dict[int, Submission]:
    person = getattr(user, "person", None)
    if person is None:
        return {}
    return {
        s.assignment_id: s
        for s in Submission.objects.filter(assignment__programme=programme, person=person)
    }


def district_of(path: str, districts: dict[int, str]) -> str:
    for uid in path_ids(path):
        if uid in districts:
            return districts[uid]
    return ""


def report(programme: Programme) -> dict[str, Any]:
    """Enrolment and completion rates, hours granted, attendance per session, participants
    by cohort, by school location class and by district, feedback ratings."""
    p = programme
    by_status = dict(
        Enrolment.objects.filter(programme=p)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    enrolled = by_status.get(Enrolment.Status.ENROLLED, 0)
    active = Enrolment.objects.filter(programme=p, status=Enrolment.Status.ENROLLED)
    outcomes = dict(
        active.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    completed = outcomes.get(Enrolment.Outcome.COMPLETED, 0)
    hours = active.filter(outcome=Enrolment.Outcome.COMPLETED).aggregate(
        earned=Sum("hours_earned"), adj=Sum("hours_adjustment")
    )
    granted = (hours["earned"] or Decimal("0")) + (hours["adj"] or Decimal("0"))
    sessions = list(Session.objects.filter(programme=p).order_by("starts_at", "id"))
    att = {
        (sid, st): n
        for sid, st, n in Attendance.objects.filter(session__programme=p)
        .values_list("session_id", "status")
        .annotate(n=Count("id"))
        .values_list("session_id", "status", "n")
    }
    per_session = [
        {
            "session": s,
            "present": att.get((s.pk, "present"), 0),
            "late": att.get((s.pk, "late"), 0),
            "absent": att.get((s.pk, "absent"), 0),
            "rate": _rate(att.get((s.pk, "present"), 0) + att.get((s.pk, "late"), 0), enrolled),
        }
        for s in sessions
    ]
    cohort_labels = dict(Cohort.choices)
    by_cohort = [
        {"label": str(cohort_labels.get(c, c)), "value": n}
        for c, n in active.values_list("cohort").annotate(n=Count("id")).values_list("cohort", "n")
    ]
    loc_labels = dict(School.Location.choices)
    by_location = [
        {"label": str(loc_labels.get(loc, loc or "—")), "value": n}
        for loc, n in active.values_list("school__school__location")
        .annotate(n=Count("id"))
        .values_list("school__school__location", "n")
    ]
    paths = dict(
        active.values_list("school__path").annotate(n=Count("id")).values_list("school__path", "n")
    )
    ids = {uid for path in paths for uid in path_ids(path)}
    districts = dict(
        OrgUnit.objects.filter(
            pk__in=ids, level=OrgUnit.Level.COUNTY, kind=OrgUnit.Kind.REGION
        ).values_list("pk", "name")
    )
    by_district: dict[str, int] = {}
    for path, n in paths.items():
        name = district_of(path, districts) or "—"
        by_district[name] = by_district.get(name, 0) + n
    fb = Feedback.objects.filter(programme=p).aggregate(
        n=Count("id"), avg=Avg("rating"), whole=Count("id", filter=Q(session__isnull=True))
    )
    ratings = dict(
        Feedback.objects.filter(programme=p)
        .values_list("rating")
        .annotate(n=Count("id"))
        .values_list("rating", "n")
    )
    return {
        "enrolled": enrolled,
        "waitlisted": by_status.get(Enrolment.Status.WAITLISTED, 0),
        "withdrawn": by_status.get(Enrolment.Status.WITHDRAWN, 0),
        "capacity": p.capacity,
        "enrolment_rate": _rate(enrolled, p.capacity) if p.capacity else None,
        "completed": completed,
        "not_completed": outcomes.get(Enrolment.Outcome.NOT_COMPLETED, 0),
        "completion_rate": _rate(completed, enrolled),
        "hours_granted": granted,
        "per_session": per_session,
        "by_cohort": by_cohort,
        "by_location": by_location,
        "by_district": sorted(
            ({"label": k, "value": v} for k, v in by_district.items()), key=lambda d: -d["value"]
        ),
        "feedback_count": fb["n"],
        "rating": round(fb["avg"], 2) if fb["avg"] is not None else None,
        "ratings": [{"label": "★" * r, "value": ratings.get(r, 0)} for r in range(5, 0, -1)],
    }


def _rate(part: int, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100 * part / whole, 1)
