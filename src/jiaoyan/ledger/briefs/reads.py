"""The weekly brief's read side: weeks, the figures of a unit's region for a week (read
through ``visible_to``), the text of the sections made from them, and which briefs and
units a user sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import under_q
from jiaoyan.orgs.models import OrgUnit

from ..models import OPEN_STATUSES, Brief, Item, Status, Supervision

NOTABLE = 5
NAMED_ITEMS = 10  # completed and newly supervised items named in the text
SECTION_KEYS = ("activities", "ledger", "observations")


# --- dates ----------------------------------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the week before ``today``'s (the default week of a new brief)."""
    today = today or timezone.localdate()
    return monday_of(today) - dt.timedelta(days=7)


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def parse_week(value: str | None) -> dt.date | None:
    """``2025-W07`` (the HTML week input) or a date ``2025-02-12`` → that week's Monday."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if "W" in value.upper():
            year, week = value.upper().split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        return monday_of(dt.date.fromisoformat(value))
    except ValueError:
        raise ServiceError(_("Choose a week, e.g. 2025-W07."), field="week") from None


def week_label(monday: dt.date) -> str:
    y, w, _d = monday.isocalendar()
    return f"{y}-W{w:02d}"


# --- figures --------------------------------------------------------------------------


def region_of(unit: OrgUnit) -> OrgUnit:
    """The unit whose subtree a brief or a report covers (an office stands for its region)."""
    return unit.scope_root


def _items_of(user, root: OrgUnit) -> QuerySet[Item]:
    """The items of ``root``'s region (assigned by, or the responsibility of, a unit of
    its subtree) that ``user`` sees.

    The region is written as two id sets (``under_q``): the database finds the region's
    items by the two unit indexes and checks the scope condition on those rows only. As
    a join on the units' paths it was a filter over every item: a city's brief read the
    whole province, each row outside the user's subtree compared with every id of the
    scope's arrays (~20 s a brief at province scale)."""
    return Item.objects.visible_to(user).filter(
        under_q(Item, "org_unit__path", [root.path])
        | under_q(Item, "responsible_unit__path", [root.path])
    )


def overdue_q(ref: dt.date, moment: dt.datetime | None = None) -> Q:
    """Items overdue at ``moment`` (by default the morning of ``ref``): deadline before
    ``ref`` and not done before ``moment`` (cancelled items are never overdue).

    For today (a running week or month) that is simply "open and past its deadline": what
    is done was done before now. Said so, the database reads it from the status index
    instead of checking the completion time of every item."""
    if moment is not None and moment > day_start(timezone.localdate()):
        return Q(status__in=OPEN_STATUSES, due_on__lt=ref)
    start = moment or day_start(ref)
    return (
        Q(due_on__lt=ref, created_at__lt=start)
        & ~Q(status=Status.CANCELLED)
        & (Q(status__in=OPEN_STATUSES) | Q(done_at__gte=start) | Q(done_at__isnull=True))
    )


def reference_point(after: dt.date) -> tuple[dt.date, dt.datetime]:
    """When "overdue" is counted for a period ending the day before ``after``: at the
    period's end once it is over, else now (a brief of the running week)."""
    today = timezone.localdate()
    if after <= today:
        return after, day_start(after)
    return today, timezone.now()


def weekly_figures(user, unit: OrgUnit, week_start: dt.date) -> dict[str, Any]:
    from jiaoyan.activities.models import Activity
    from jiaoyan.observations.models import Observation

    root = region_of(unit)
    monday = monday_of(week_start)
    sunday = monday + dt.timedelta(days=6)
    start, end = day_start(monday), day_start(monday + dt.timedelta(days=7))
    ref, moment = reference_point(monday + dt.timedelta(days=7))

    # Activities held in the week.
    acts = (
        Activity.objects.visible_to(user)
        .filter(
            org_unit__path__under=root.path,
            status__in=[Activity.Status.IN_PROGRESS, Activity.Status.FINISHED],
            starts_at__lt=end,
            ends_at__gte=start,
        )
        .order_by()
    )
    kind_names = dict(Activity.Kind.choices)
    by_kind = list(acts.values("kind").annotate(n=Count("pk"), p=Sum("checked_in_count")))
    by_kind.sort(key=lambda r: (-r["n"], r["kind"]))
    notable = list(
        acts.order_by("-checked_in_count", "starts_at", "pk").values(
            "pk", "title", "kind", "starts_at", "checked_in_count", "org_unit__name"
        )[:NOTABLE]
    )
    activities = {
        "total": sum(r["n"] for r in by_kind),
        "participants": sum(r["p"] or 0 for r in by_kind),
        "by_kind": [
            {"key": r["kind"], "name": str(kind_names.get(r["kind"], r["kind"])), "count": r["n"]}
            for r in by_kind
        ],
        "notable": [
            {
                "id": a["pk"],
                "title": a["title"],
                "kind": str(kind_names.get(a["kind"], a["kind"])),
                "date": timezone.localtime(a["starts_at"]).date().isoformat(),
                "unit": a["org_unit__name"],
                "checked_in": a["checked_in_count"],
            }
            for a in notable
        ],
    }

    # Ledger progress.
    items = _items_of(user, root).order_by()
    counts = items.aggregate(
        done=Count(
            "pk",
            filter=Q(
                status__in=[Status.DONE, Status.VERIFIED], done_at__gte=start, done_at__lt=end
            ),
        ),
        overdue=Count("pk", filter=overdue_q(ref, moment)),
        new=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
    )
    escalations = Supervision.objects.filter(
        item__in=items.values("pk"), escalated_at__gte=start, escalated_at__lt=end
    ).order_by("escalated_at", "pk")
    escalated = escalations.aggregate(n=Count("item_id", distinct=True))["n"]
    escalated_items = list(
        escalations.values("item_id", "item__title", "item__responsible_unit__name", "unit__name")[
            :NAMED_ITEMS
        ]
    )
    done_items = list(
        items.filter(status__in=[Status.DONE, Status.VERIFIED], done_at__gte=start, done_at__lt=end)
        .order_by("done_at", "pk")
        .values("pk", "title", "responsible_unit__name", "status")[:NAMED_ITEMS]
    )
    ledger = {
        **counts,
        "done_items": [
            {
                "id": d["pk"],
                "title": d["title"],
                "unit": d["responsible_unit__name"],
                "verified": d["status"] == Status.VERIFIED,
            }
            for d in done_items
        ],
        "escalated": escalated,
        "escalated_items": [
            {
                "id": e["item_id"],
                "title": e["item__title"],
                "unit": e["item__responsible_unit__name"],
                "by": e["unit__name"],
            }
            for e in escalated_items
        ],
    }

    # Observations submitted in the week.
    obs_kinds = dict(Observation.Kind.choices)
    obs = (
        Observation.objects.visible_to(user)
        .filter(
            unit_path__under=root.path,
            status=Observation.Status.SUBMITTED,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    obs_rows = sorted(obs, key=lambda r: (-r["n"], r["kind"]))
    observations = {
        "total": sum(r["n"] for r in obs_rows),
        "by_kind": [
            {"key": r["kind"], "name": str(obs_kinds.get(r["kind"], r["kind"])), "count": r["n"]}
            for r in obs_rows
        ],
    }
    iso = monday.isocalendar()
    return {
        "unit": {"id": unit.pk, "name": unit.name},
        "region": {"id": root.pk, "name": root.name},
        "week": {
            "start": monday.isoformat(),
            "end": sunday.isoformat(),
            "year": iso[0],
            "week": iso[1],
        },
        "activities": activities,
        "ledger": ledger,
        "observations": observations,
    }


# --- the text of the sections ------------------------------------------------------------


def _join(parts: list[str]) -> str:
    return pgettext("list separator", ", ").join(parts)


def default_sections(figures: dict[str, Any]) -> list[dict[str, str]]:
    """The prefilled sections: headings and readable sentences with the figures as digits."""
    a, led, o = figures["activities"], figures["ledger"], figures["observations"]
    region = figures["region"]["name"]
    if a["total"]:
        lines = [
            _("This week %(region)s held %(n)d research activities, with %(p)d check-ins in all.")
            % {"region": region, "n": a["total"], "p": a["participants"]},
            _("By kind: %(list)s.")
            % {
                "list": _join(
                    [
                        _("%(kind)s %(n)d") % {"kind": k["name"], "n": k["count"]}
                        for k in a["by_kind"]
                    ]
                )
            },
        ]
        if a["notable"]:
            lines.append(_("Activities with the most participants:"))
            for i, n in enumerate(a["notable"], 1):
                lines.append(
                    _("%(i)d. %(title)s (%(unit)s, %(date)s, %(kind)s): %(n)d checked in.")
                    % {
                        "i": i,
                        "title": n["title"],
                        "unit": n["unit"],
                        "date": n["date"],
                        "kind": n["kind"],
                        "n": n["checked_in"],
                    }
                )
    else:
        lines = [_("No research activity was held this week.")]
    activities = "\n".join(lines)

    lines = [
        _(
            "This week %(done)d ledger items were completed, %(overdue)d were overdue and "
            "%(escalated)d were newly put under supervision; %(new)d items were added."
        )
        % {
            "done": led["done"],
            "overdue": led["overdue"],
            "escalated": led["escalated"],
            "new": led["new"],
        }
    ]
    if led.get("done_items"):
        lines.append(
            _("Completed: %(list)s.")
            % {
                "list": _join(
                    [
                        _("%(title)s (%(unit)s)") % {"title": d["title"], "unit": d["unit"]}
                        for d in led["done_items"]
                    ]
                )
            }
        )
    if led["escalated_items"]:
        lines.append(
            _("Newly supervised: %(list)s.")
            % {
                "list": _join(
                    [
                        _("%(title)s (%(unit)s)") % {"title": e["title"], "unit": e["unit"]}
                        for e in led["escalated_items"]
                    ]
                )
            }
        )
    if led["overdue"]:
        lines.append(_("Units with overdue work are asked to finish it as soon as possible."))
    ledger = "\n".join(lines)

    if o["total"]:
        observations = _("This week %(n)d lesson observations were submitted: %(list)s.") % {
            "n": o["total"],
            "list": _join(
                [
                    pgettext("lessons", "%(kind)s %(n)d") % {"kind": k["name"], "n": k["count"]}
                    for k in o["by_kind"]
                ]
            ),
        }
    else:
        observations = _("No lesson observation was submitted this week.")
    return [
        {"key": "activities", "heading": _("I. Research activities"), "body": activities},
        {"key": "ledger", "heading": _("II. Work ledger"), "body": ledger},
        {"key": "observations", "heading": _("III. Lesson observations"), "body": observations},
    ]


def chart_data(figures: dict[str, Any]) -> tuple[str, list[tuple[str, int]]]:
    """The one chart of a brief: activities per kind, or (no activity) the ledger figures."""
    a = figures["activities"]
    if a["total"]:
        return _("Activities per kind"), [(k["name"], k["count"]) for k in a["by_kind"]]
    led = figures["ledger"]
    return _("Work ledger this week"), [
        (_("Completed"), led["done"]),
        (_("Overdue"), led["overdue"]),
        (_("Newly supervised"), led["escalated"]),
        (_("New items"), led["new"]),
    ]


def brief_title(unit: OrgUnit) -> str:
    return _("%(unit)s teaching-research brief") % {"unit": region_of(unit).name}


# --- reads --------------------------------------------------------------------------------


def visible_briefs(user) -> QuerySet[Brief]:
    return Brief.objects.visible_to(user)


def brief_units(user) -> list[OrgUnit]:
    """Units the user may write briefs for: regions (not towns) and offices in the user's
    assigner scope, and the units of the user's own roles (a principal's school)."""
    from jiaoyan.core.scope import units_where

    allowed = units_where(user, "add", Brief).filter(
        Q(kind__in=[OrgUnit.Kind.REGION, OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE])
        & ~Q(level=OrgUnit.Level.TOWN)
    )
    own = [s.unit_id for s in assigner_scopes(user)]
    qs = OrgUnit.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk__in=own))
    return list(qs.order_by("path")[:300])


def assigner_scopes(user) -> list:
    from jiaoyan.core.scope import user_scopes

    from ..models import ASSIGNERS

    return [s for s in user_scopes(user) if s.role in ASSIGNERS]
