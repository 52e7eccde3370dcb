"""Reads of the researchers app: profiles in scope, the work record (工作纪实) derived from
what a researcher did, and the liaison coverage of an institute or region.

The work record is never typed: every figure is counted from the rows of the modules
that hold them — activities (organised: the host; attended: present or late), lesson
observations (submitted, by the researcher's account), liaison assignments, residencies
and their visits, ledger items (the responsible person), training sessions given
(programmes the researcher's account created) and hours received — in one query each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from jiaoyan.activities.models import Activity, Participation
from jiaoyan.hours.models import HoursRecord
from jiaoyan.ledger.models import Item
from jiaoyan.ledger.models import Status as ItemStatus
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.observations.terms import Term, term_of
from jiaoyan.training.models import Session

from .models import ResearcherProfile, Residency, RoleChange, Visit

PRESENT = (Participation.Attendance.PRESENT, Participation.Attendance.LATE)
DONE = (ItemStatus.DONE, ItemStatus.VERIFIED)


def profiles_for(user) -> QuerySet[ResearcherProfile]:
    return ResearcherProfile.objects.visible_to(user).select_related("person", "org_unit", "school")


def own_profile(user) -> ResearcherProfile | None:
    return profiles_for(user).filter(person__user_id=user.pk).first()


def residencies_for(user) -> QuerySet[Residency]:
    return Residency.objects.visible_to(user).select_related("researcher", "school", "org_unit")


def visits_for(user) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user).select_related(
        "researcher", "school", "activity", "observation"
    )


def changes_for(user, profile: ResearcherProfile) -> QuerySet[RoleChange]:
    return (
        RoleChange.objects.visible_to(user)
        .filter(profile=profile)
        .select_related("org_unit", "to_unit")
    )


def liaison_pairs(people, start: dt.date, end: dt.date) -> QuerySet:
    """The (researcher's person id, school id, school name) pairs of the liaison
    assignments in force at some day of ``start``–``end``, each once: ``people`` is one
    person's id or a query of person ids. The one read of the liaison pairs — the work
    record, the coverage page and the metric all count from it."""
    who = Q(researcher_id=people) if isinstance(people, int) else Q(researcher_id__in=people)
    return (
        LiaisonAssignment.objects.filter(
            who,
            Q(end_date__isnull=True) | Q(end_date__gte=start),
            start_date__lte=end,
        )
        .values_list("researcher_id", "school_id", "school__name")
        .order_by()
        .distinct()
    )


# --- the work record ------------------------------------------------------------------------


@dataclass
class SchoolRow:
    school_id: int
    name: str
    liaison: bool = False
    observed: int = 0
    visits: int = 0

    @property
    def state(self) -> str:
        if self.observed:
            return "observed"
        if self.visits:
            return "visited"
        return "untouched"


@dataclass
class WorkRecord:
    profile: ResearcherProfile
    start: dt.date
    end: dt.date
    organised: int = 0
    organised_by_kind: dict[str, int] = field(default_factory=dict)
    attended: int = 0
    observed: int = 0
    observed_in_liaison: int = 0
    schools: list[SchoolRow] = field(default_factory=list)
    ledger_total: int = 0
    ledger_done: int = 0
    ledger_on_time: int = 0
    residency_days: int = 0
    residencies: int = 0
    visits: int = 0
    training_given: Decimal = Decimal(0)
    training_received: Decimal = Decimal(0)

    @property
    def liaison_share(self) -> float | None:
        """Share (%) of the lessons observed that were in liaison schools."""
        if not self.observed:
            return None
        return round(100 * self.observed_in_liaison / self.observed, 1)

    @property
    def liaison_rows(self) -> list[SchoolRow]:
        return [s for s in self.schools if s.liaison]

    def coverage(self) -> dict[str, int]:
        out = {"visited": 0, "observed": 0, "untouched": 0}
        for s in self.liaison_rows:
            out[s.state] += 1
        return out

    @property
    def ledger_done_share(self) -> float | None:
        if not self.ledger_total:
            return None
        return round(100 * self.ledger_done / self.ledger_total, 1)

    @property
    def ledger_on_time_share(self) -> float | None:
        if not self.ledger_total:
            return None
        return round(100 * self.ledger_on_time / self.ledger_total, 1)


def work_record(profile: ResearcherProfile, start: dt.date, end: dt.date) -> WorkRecord:
    """A researcher's work record for ``start``–``end`` (both days included), counted from
    the other modules' rows: nine queries, whatever the rows."""
    person_id = profile.person_id
    user_id = profile.person.user_id
    rec = WorkRecord(profile=profile, start=start, end=end)

    # Activities organised (hosted), by kind; cancelled ones do not count.
    for kind, n in (
        Activity.objects.filter(host_id=person_id, starts_at__date__range=(start, end))
        .exclude(status=Activity.Status.CANCELLED)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rec.organised_by_kind[kind] = n
        rec.organised += n
    rec.attended = (
        Participation.objects.filter(
            person_id=person_id,
            attendance__in=PRESENT,
            activity__starts_at__date__range=(start, end),
        )
        .exclude(activity__status=Activity.Status.CANCELLED)
        .count()
    )

    schools: dict[int, SchoolRow] = {}
    for _pid, la_school, name in liaison_pairs(person_id, start, end):
        schools[la_school] = SchoolRow(la_school, name, liaison=True)
    if user_id is not None:
        for school_id, name, n in (
            Observation.objects.filter(
                observer_id=user_id,
                status=Observation.Status.SUBMITTED,
                date__range=(start, end),
            )
            .values_list("org_unit_id", "org_unit__name")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = schools.setdefault(school_id, SchoolRow(school_id, name))
            row.observed = n
            rec.observed += n
            if row.liaison:
                rec.observed_in_liaison += n
    for school_id, name, n in (
        Visit.objects.filter(researcher_id=person_id, date__range=(start, end))
        .values_list("school_id", "school__name")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row = schools.setdefault(school_id, SchoolRow(school_id, name))
        row.visits = n
        rec.visits += n
    rec.schools = sorted(schools.values(), key=lambda s: (not s.liaison, -s.observed, s.name))

    ledger = (
        Item.objects.filter(responsible_person_id=person_id, due_on__range=(start, end))
        .exclude(status=ItemStatus.CANCELLED)
        .aggregate(
            total=Count("id"),
            done=Count("id", filter=Q(status__in=DONE)),
            on_time=Count("id", filter=Q(status__in=DONE, done_at__date__lte=F("due_on"))),
        )
    )
    rec.ledger_total = ledger["total"]
    rec.ledger_done = ledger["done"]
    rec.ledger_on_time = ledger["on_time"]

    for r_start, r_end in Residency.objects.filter(
        profile=profile, start_date__lte=end, end_date__gte=start
    ).values_list("start_date", "end_date"):
        rec.residencies += 1
        rec.residency_days += (min(r_end, end) - max(r_start, start)).days + 1

    if user_id is not None:
        rec.training_given = Session.objects.filter(
            programme__created_by_id=user_id, starts_at__date__range=(start, end)
        ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
    rec.training_received = HoursRecord.objects.filter(
        person_id=person_id, date__range=(start, end)
    ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
    return rec


def period_of(year: int | None, term: Term | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """A term, or a calendar year (default: the current one)."""
    if term is not None:
        return term.start, term.end
    y = year or today.year
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


# --- liaison coverage -------------------------------------------------------------------------


@dataclass
class CoverageRow:
    profile_id: int
    name: str
    unit: str
    schools: int = 0
    visited: int = 0
    observed: int = 0

    @property
    def untouched(self) -> int:
        return self.schools - self.visited - self.observed


@dataclass
class SchoolCoverage:
    school_id: int
    name: str
    researchers: list[str] = field(default_factory=list)
    visited: int = 0
    observed: int = 0

    @property
    def state(self) -> str:
        if self.observed:
            return "observed"
        if self.visited:
            return "visited"
        return "untouched"


@dataclass
class Coverage:
    term: Term
    rows: list[CoverageRow]
    schools: list[SchoolCoverage]

    def totals(self) -> dict[str, int]:
        t = {"pairs": 0, "visited": 0, "observed": 0, "untouched": 0}
        for r in self.rows:
            t["pairs"] += r.schools
            t["visited"] += r.visited
            t["observed"] += r.observed
            t["untouched"] += r.untouched
        return t

    def school_totals(self) -> dict[str, int]:
        t = {"visited": 0, "observed": 0, "untouched": 0}
        for s in self.schools:
            t[s.state] += 1
        return t


def coverage(user, term: Term, unit_id: int | None = None) -> Coverage:
    """Which liaison schools each serving researcher in the viewer's scope visited (a
    residency visit), observed (a submitted observation there) or left untouched in
    ``term``: one pair per (researcher, school); observed wins over visited. Four
    queries, whatever the size of the region."""
    profiles = ResearcherProfile.objects.visible_to(user).filter(
        status=ResearcherProfile.Status.ACTIVE
    )
    if unit_id:
        profiles = profiles.filter(org_unit_id=unit_id)
    people = {
        pid: (prof_id, name, unit, uid)
        for prof_id, pid, name, unit, uid in profiles.values_list(
            "pk", "person_id", "person__name", "org_unit__name", "person__user_id"
        ).order_by("org_unit__path", "person__name")
    }
    pairs: dict[tuple[int, int], str] = {}
    school_names: dict[int, str] = {}
    for pid, school_id, school_name in liaison_pairs(
        profiles.values("person_id"), term.start, term.end
    ):
        pairs[(pid, school_id)] = "untouched"
        school_names[school_id] = school_name
    for pid, school_id in (
        Visit.objects.filter(
            researcher_id__in=profiles.values("person_id"),
            date__range=(term.start, term.end),
        )
        .values_list("researcher_id", "school_id")
        .order_by()
        .distinct()
    ):
        if (pid, school_id) in pairs:
            pairs[(pid, school_id)] = "visited"
    person_of_user = {v[3]: pid for pid, v in people.items() if v[3] is not None}
    for uid, school_id in (
        Observation.objects.filter(
            observer_id__in=profiles.exclude(person__user_id=None).values("person__user_id"),
            status=Observation.Status.SUBMITTED,
            date__range=(term.start, term.end),
            org_unit_id__in=list(school_names) or [0],
        )
        .values_list("observer_id", "org_unit_id")
        .order_by()
        .distinct()
    ):
        pid = person_of_user.get(uid)
        if (pid, school_id) in pairs:
            pairs[(pid, school_id)] = "observed"

    rows = {pid: CoverageRow(v[0], v[1], v[2]) for pid, v in people.items()}
    by_school: dict[int, SchoolCoverage] = {}
    for (pid, school_id), state in pairs.items():
        row = rows.get(pid)
        if row is None:
            continue
        row.schools += 1
        sc = by_school.setdefault(school_id, SchoolCoverage(school_id, school_names[school_id]))
        sc.researchers.append(row.name)
        if state == "visited":
            row.visited += 1
            sc.visited += 1
        elif state == "observed":
            row.observed += 1
            sc.observed += 1
    return Coverage(
        term=term,
        rows=[r for r in rows.values() if r.schools],
        schools=sorted(by_school.values(), key=lambda s: (s.state != "untouched", s.name)),
    )


def current_term(today: dt.date) -> Term:
    return term_of(today)
