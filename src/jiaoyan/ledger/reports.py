"""The periodic reports of the ledger: the monthly supervision report (月督查) and the
quarterly assessment (季考核) of a unit's child units.

Both look at the items the user sees whose *responsible unit* lies in the chosen unit's
subtree, and attribute each item to the child unit whose subtree holds its responsible
unit (or to the unit itself, when the unit itself is responsible). Counting is done by the
database (grouped by responsible unit); the roll-up to child units is a loop over units,
never over items.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core.errors import ServiceError
from jiaoyan.orgs.models import OrgUnit

from .briefs import day_start, overdue_q, reference_point, region_of
from .models import ASSIGNERS, OPEN_STATUSES, Item, Status, Supervision

LATE_WEIGHT = 0.6


# --- periods --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    code: str  # 2025-03 or 2025-Q1
    label: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def after(self) -> dt.date:
        return self.end + dt.timedelta(days=1)


def month_period(value: str | None, *, today: dt.date | None = None) -> Period:
    """``YYYY-MM``; by default the current month."""
    today = today or timezone.localdate()
    value = (value or "").strip() or f"{today:%Y-%m}"
    try:
        year, month = (int(x) for x in value.split("-"))
        start = dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ServiceError(_("Choose a month, e.g. 2025-03."), field="month") from None
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    label = _("%(y)d-%(m)02d") % {"y": year, "m": month}
    return Period(f"{year}-{month:02d}", label, start, end)


def quarter_period(value: str | None, *, today: dt.date | None = None) -> Period:
    """``YYYY-Qn``; by default the current quarter."""
    today = today or timezone.localdate()
    value = (value or "").strip().upper() or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    try:
        year_s, q_s = value.split("-Q")
        year, q = int(year_s), int(q_s)
        if not 1 <= q <= 4:
            raise ValueError
        start = dt.date(year, 3 * q - 2, 1)
    except (ValueError, TypeError):
        raise ServiceError(_("Choose a quarter, e.g. 2025-Q1."), field="quarter") from None
    last = 3 * q
    end = dt.date(year, last, calendar.monthrange(year, last)[1])
    label = _("Q%(q)d %(y)d") % {"q": q, "y": year}
    return Period(f"{year}-Q{q}", label, start, end)


def recent_months(n: int = 12, today: dt.date | None = None) -> list[str]:
    today = today or timezone.localdate()
    y, m, out = today.year, today.month, []
    for _i in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def recent_quarters(n: int = 8, today: dt.date | None = None) -> list[str]:
    today = today or timezone.localdate()
    y, q, out = today.year, (today.month - 1) // 3 + 1, []
    for _i in range(n):
        out.append(f"{y}-Q{q}")
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return out


# --- units ------------------------------------------------------------------------------


def may_see_reports(user) -> bool:
    from jiaoyan.core.scope import has_role

    return has_role(user, *ASSIGNERS)


def report_units(user) -> list[OrgUnit]:
    """Units the user may pick: regions above towns, in the user's scope (a principal: the
    school)."""
    from jiaoyan.core.scope import user_scopes

    own = [s.unit_id for s in user_scopes(user) if s.role in ASSIGNERS]
    qs = OrgUnit.objects.visible_to(user).filter(
        Q(kind=OrgUnit.Kind.REGION, level__in=["province", "city", "county"]) | Q(pk__in=own)
    )
    seen: dict[int, OrgUnit] = {}
    for u in qs.select_related("parent").order_by("path")[:300]:
        r = region_of(u)
        seen.setdefault(r.pk, r)
    return sorted(seen.values(), key=lambda u: u.path)


def default_unit(user) -> OrgUnit | None:
    units = report_units(user)
    if not units:
        return None
    return min(units, key=lambda u: u.path.count("/"))


def pick_unit(user, pk: Any) -> OrgUnit | None:
    """The unit ``pk`` if the user may report on it (an office stands for its region);
    None otherwise (the view answers 404)."""
    from jiaoyan.core.scope import scope_paths

    try:
        unit = OrgUnit.objects.get(pk=int(pk))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        return None
    unit = region_of(unit)
    if user.is_superuser:
        return unit
    if any(unit.path.startswith(p) for p in scope_paths(user, ASSIGNERS)):
        return unit
    return None


def _children(unit: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(parent=unit).order_by("kind", "code"))


def _row_units(unit: OrgUnit, unit_ids: set[int]) -> tuple[list[OrgUnit], dict[int, int]]:
    """The rows (the unit itself, then its children) and, for every responsible unit id,
    the row unit it counts for."""
    children = _children(unit)
    depth = unit.path.count("/")  # "/1/2/" → 3: a child's id is part [depth]
    paths = dict(OrgUnit.objects.filter(pk__in=list(unit_ids)).values_list("pk", "path"))
    child_ids = {c.pk for c in children}
    owner: dict[int, int] = {}
    for uid, path in paths.items():
        parts = path.split("/")
        child = int(parts[depth]) if len(parts) > depth + 1 and parts[depth] else unit.pk
        owner[uid] = child if child in child_ids else unit.pk
    return [unit, *children], owner


def _items(user, unit: OrgUnit, condition: Q | None = None) -> QuerySet[Item]:
    """Visible items whose responsible unit lies in ``unit``'s subtree (and that meet
    ``condition``). The candidates are found first, from the responsible-unit index; the
    scope check then runs on them only, not on every visible item of a city."""
    units = OrgUnit.objects.filter(path__under=unit.path).values("pk")
    candidates = Item.objects.filter(responsible_unit__in=units)
    if condition is not None:
        candidates = candidates.filter(condition)
    return Item.objects.visible_to(user).filter(pk__in_ids=candidates.values("pk"))


# --- monthly supervision ---------------------------------------------------------------------


def monthly_supervision(user, unit: OrgUnit, period: Period) -> dict[str, Any]:
    """Per row unit (the unit itself and its children): the items overdue at the end of
    the month (or today, while the month runs; same rule as the weekly brief) and the items
    put under supervision in the month, with counts.

    Returns ``{"rows": [{"unit", "overdue", "escalated", "is_self"}], "overdue": qs,
    "escalated": qs, "owner": {responsible unit id: row unit id}, totals}``; the two
    querysets list the items (the page paginates them, the export writes them all).
    """
    ref, moment = reference_point(period.after)
    start, end = day_start(period.start), day_start(period.after)
    overdue = _items(user, unit, overdue_q(ref, moment))
    in_month = Supervision.objects.filter(escalated_at__gte=start, escalated_at__lt=end)
    escalated_items = _items(user, unit, Q(pk__in=in_month.values("item_id")))
    sups = in_month.filter(item__in=escalated_items.values("pk"))
    # One narrow pass over the overdue items gives both the counts per responsible unit
    # and the order of the list (by unit, then deadline); a page then reads its rows by id.
    narrow = sorted(
        overdue.order_by().values_list(
            "responsible_unit__path", "due_on", "pk", "responsible_unit_id"
        )
    )
    by_unit_overdue: dict[int, int] = defaultdict(int)
    for *_ignored, uid in narrow:
        by_unit_overdue[uid] += 1
    by_unit_esc = dict(
        sups.order_by()
        .values("item__responsible_unit_id")
        .annotate(n=Count("pk"))
        .values_list("item__responsible_unit_id", "n")
    )
    rows_units, owner = _row_units(unit, set(by_unit_overdue) | set(by_unit_esc))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for uid, n in by_unit_overdue.items():
        counts[owner[uid]][0] += n
    for uid, n in by_unit_esc.items():
        counts[owner[uid]][1] += n
    rows = [
        {
            "unit": u,
            "overdue": counts[u.pk][0],
            "escalated": counts[u.pk][1],
            "is_self": u.pk == unit.pk,
        }
        for u in rows_units
    ]
    rows = [r for r in rows if not r["is_self"] or r["overdue"] or r["escalated"]]
    return {
        "rows": rows,
        "owner": owner,
        "overdue_total": sum(r["overdue"] for r in rows),
        "escalated_total": sum(r["escalated"] for r in rows),
        "overdue_ids": [pk for _path, _due, pk, _uid in narrow],
        "overdue": overdue.select_related("responsible_unit", "org_unit").order_by(
            "responsible_unit__path", "due_on", "pk"
        ),
        "escalated": sups.select_related(
            "item", "item__responsible_unit", "unit", "item__org_unit"
        ).order_by("item__responsible_unit__path", "escalated_at", "pk"),
        "ref": ref,
    }


# --- quarterly assessment ----------------------------------------------------------------


def score(on_time: int, late: int, overdue: int) -> float | None:
    """得分 = 100 × (按时完成 + 0.6 × 逾期完成) ÷ 到期事项数, where 到期事项数 = 按时完成 +
    逾期完成 + 逾期未完成; a unit without any item due is not scored (None). Rounded to one
    decimal.

    * 按时完成 (on time): done or verified, and the local date of ``done_at`` is on or before
      ``due_on``;
    * 逾期完成 (late): done or verified after the deadline;
    * 逾期未完成 (overdue): still open, and the deadline has passed (``due_on`` before today).

    Items due in the quarter that are still open before their deadline (未到期) and
    cancelled items are not counted. E.g. 3 on time, 1 late, 1 overdue: 100 × 3.6 ÷ 5 = 72.0.
    """
    due = on_time + late + overdue
    if not due:
        return None
    return round(100 * (on_time + LATE_WEIGHT * late) / due, 1)


def quarterly_assessment(user, unit: OrgUnit, period: Period) -> dict[str, Any]:
    """The items due in the quarter (``due_on`` in it) per row unit, classified on time /
    late / overdue / not yet due, with the score of ``score`` and the rank (best first;
    units not scored last)."""
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    items = _items(
        user,
        unit,
        Q(due_on__gte=period.start, due_on__lte=period.end) & ~Q(status=Status.CANCELLED),
    ).annotate(done_day=TruncDate("done_at", tzinfo=tz))
    done = Q(status__in=[Status.DONE, Status.VERIFIED])
    grouped = (
        items.order_by()
        .values("responsible_unit_id")
        .annotate(
            on_time=Count("pk", filter=done & Q(done_day__lte=F("due_on"))),
            late=Count("pk", filter=done & Q(done_day__gt=F("due_on"))),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
            pending=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__gte=today)),
        )
    )
    data = {r["responsible_unit_id"]: r for r in grouped}
    rows_units, owner = _row_units(unit, set(data))
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for uid, r in data.items():
        s = sums[owner[uid]]
        s[0] += r["on_time"]
        s[1] += r["late"]
        s[2] += r["overdue"]
        s[3] += r["pending"]
    rows = []
    for u in rows_units:
        on_time, late, overdue, pending = sums[u.pk]
        if u.pk == unit.pk and not any(sums[u.pk]):
            continue
        rows.append(
            {
                "unit": u,
                "is_self": u.pk == unit.pk,
                "on_time": on_time,
                "late": late,
                "overdue": overdue,
                "pending": pending,
                "due": on_time + late + overdue,
                "score": score(on_time, late, overdue),
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["unit"].path))
    rank = 0
    previous = object()
    for i, r in enumerate(rows, 1):
        if r["score"] is None:
            r["rank"] = None
            continue
        if r["score"] != previous:
            rank, previous = i, r["score"]
        r["rank"] = rank
    totals = [sum(r[k] for r in rows) for k in ("on_time", "late", "overdue", "pending")]
    return {
        "rows": rows,
        "on_time": totals[0],
        "late": totals[1],
        "overdue": totals[2],
        "pending": totals[3],
        "score": score(*totals[:3]),
        "late_weight": LATE_WEIGHT,
    }
