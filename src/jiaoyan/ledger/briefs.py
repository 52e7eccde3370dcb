"""The weekly brief (周简报) of a unit: its figures, its draft, editing and issuing.

A brief covers an ISO week (Monday to Sunday, site time zone) and the *region* of the unit
(``OrgUnit.scope_root``: the brief of 临渭区教师发展中心 reports on all of 临渭区). Every
figure is read from the querysets the acting user sees (``visible_to``) narrowed to that
subtree by path, with aggregate queries only (no per-row loops: a city's week is read in a
handful of queries).

Figures:

* activities held: activities of the subtree, in progress or finished, whose time overlaps
  the week; counts by kind; the notable ones are the five with the most check-ins;
* ledger: items assigned by, or the responsibility of, a unit of the subtree —
  done in the week (``done_at`` in the week, whether verified since or not), overdue at
  the end of the week (deadline before the day after the week — or before today while the
  week is still running — and not done by then; cancelled items left out), newly put under
  supervision in the week (a supervision escalated in the week), and new items (created
  in the week);
* observations: submitted in the week (``submitted_at``), by kind.

Issued briefs are numbered per (unit, kind, year): ``year`` is the ISO year of the week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import Job
from jiaoyan.core.scope import require
from jiaoyan.core.services import check_version
from jiaoyan.orgs.models import OrgUnit

from .models import OPEN_STATUSES, Brief, Item, Status, Supervision

Action = audit.AuditLog.Action
NOTABLE = 5
NAMED_ITEMS = 10  # completed and newly supervised items named in the text
SECTION_KEYS = ("activities", "ledger", "observations")
MAX_HEADING = 60
MAX_BODY = 5000


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
    return Item.objects.visible_to(user).filter(
        Q(org_unit__path__under=root.path) | Q(responsible_unit__path__under=root.path)
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


# --- services ----------------------------------------------------------------------------


def brief_title(unit: OrgUnit) -> str:
    return _("%(unit)s teaching-research brief") % {"unit": region_of(unit).name}


@transaction.atomic
def generate_weekly_brief(*, actor, unit: OrgUnit, week_start: dt.date) -> Brief:
    """A draft weekly brief of ``unit`` for the week of ``week_start``, with its figures
    and prefilled sections (in the site's language)."""
    require(actor, "add", Brief(org_unit=unit))
    monday = monday_of(week_start)
    if monday > timezone.localdate():
        raise ServiceError(_("The week has not started yet; choose a past week."), field="week")
    with translation.override(settings.LANGUAGE_CODE):
        figures = weekly_figures(actor, unit, monday)
        sections = default_sections(figures)
        title = brief_title(unit)
    brief = Brief.objects.create(
        org_unit=unit,
        kind=Brief.Kind.WEEKLY,
        period_start=monday,
        period_end=monday + dt.timedelta(days=6),
        year=monday.isocalendar()[0],
        title=title[:100],
        editor=unit.name[:100],
        content={"figures": figures, "sections": sections},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor,
        brief,
        Action.CREATE,
        {"title": [None, brief.title], "period_start": [None, monday.isoformat()]},
    )
    return brief


def _clean_sections(old: list[dict[str, str]], sections: Any) -> list[dict[str, str]]:
    if not isinstance(sections, list | tuple):
        raise ServiceError(_("The sections could not be read."))
    by_key = {s.get("key"): s for s in sections if isinstance(s, dict)}
    clean = []
    for s in old:
        new = by_key.get(s["key"], s)
        heading = str(new.get("heading", s["heading"]) or "").replace("\x00", "").strip()
        body = str(new.get("body", s["body"]) or "").replace("\x00", "").replace("\r\n", "\n")
        body = body.strip()
        if not heading:
            raise ServiceError(_("Every section needs a heading."), field=f"heading_{s['key']}")
        if len(heading) > MAX_HEADING:
            raise ServiceError(
                _("A heading is at most %(n)d characters long.") % {"n": MAX_HEADING},
                field=f"heading_{s['key']}",
            )
        if len(body) > MAX_BODY:
            raise ServiceError(
                _("A section is at most %(n)d characters long.") % {"n": MAX_BODY},
                field=f"body_{s['key']}",
            )
        clean.append({"key": s["key"], "heading": heading, "body": body})
    return clean


@transaction.atomic
def update_brief_sections(
    *, actor, brief: Brief, sections: Any, expected_version: int | None
) -> Brief:
    """Edit the headings and texts of a draft (the figures stay as generated)."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    require(actor, "change", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("An issued brief can no longer be changed."))
    check_version(brief, expected_version)
    old = brief.content.get("sections", [])
    clean = _clean_sections(old, sections)
    changes = {
        s["key"]: [o["body"][:200], s["body"][:200]]
        for o, s in zip(old, clean, strict=True)
        if o != s
    }
    if not changes:
        return brief
    brief.content = {**brief.content, "sections": clean}
    brief.version += 1
    brief.save(update_fields=["content", "version"])
    audit.record(actor, brief, Action.UPDATE, changes)
    return brief


def next_brief_number(brief: Brief) -> int:
    top = Brief.objects.filter(
        org_unit_id=brief.org_unit_id, kind=brief.kind, year=brief.year, number__isnull=False
    ).aggregate(m=Max("number"))["m"]
    return (top or 0) + 1


@transaction.atomic
def issue_brief(
    *,
    actor,
    brief: Brief,
    expected_version: int | None = None,
    issued_at: dt.datetime | None = None,
) -> Brief:
    """Issue a draft: it gets the next number (期号) of its unit, kind and year, its .docx
    is rendered and stored by the task worker, and it can no longer be changed. Two briefs
    issued at once never share a number (the unique constraint decides; the loser takes
    the next one).

    ``issued_at`` (default now) is for back-filling an archive (the demo data)."""
    brief = Brief.objects.select_for_update().select_related("org_unit").get(pk=brief.pk)
    require(actor, "change", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("This brief has already been issued."))
    check_version(brief, expected_version)
    now = issued_at or timezone.now()
    for _attempt in range(5):
        brief.number = next_brief_number(brief)
        brief.state = Brief.State.ISSUED
        brief.issued_at = now
        brief.issued_by = actor if getattr(actor, "pk", None) else None
        brief.version += 1
        try:
            with transaction.atomic():
                brief.save(update_fields=["number", "state", "issued_at", "issued_by", "version"])
            break
        except IntegrityError:
            brief.version -= 1
            continue
    else:
        raise ServiceError(_("Several briefs are being issued at once; try again."))
    audit.record(actor, brief, Action.STATUS, {"state": [Brief.State.DRAFT, Brief.State.ISSUED]})
    request_document(brief, actor=actor)
    brief.refresh_from_db(fields=["docx", "document_version", "document_job"])
    return brief


def request_document(brief: Brief, *, actor=None) -> Job:
    """Start the job rendering ``brief``'s .docx (its current version) in the task worker,
    unless one for this version is queued, running or has failed (its page says so; a
    new version starts a new one). Returns that job."""
    from .tasks import BRIEF_DOCUMENT

    job = brief.document_job
    same = job is not None and job.params.get("version") == brief.version
    if same and (job.status != Job.Status.SUCCEEDED or brief.document_ready):
        return job
    job = start_job(
        BRIEF_DOCUMENT,
        actor=actor,
        org_unit=brief.org_unit_id,
        params={"brief": brief.pk, "version": brief.version},
        defer=False,
    )
    Brief.objects.filter(pk=brief.pk).update(document_job=job)
    brief.document_job = job
    return job


def store_document(brief_id: int, version: int) -> bool:
    """Render and store the .docx of ``brief_id`` if it is still at ``version`` and not
    stored yet; returns whether it rendered. Runs in the task worker."""
    from . import documents as brief_docx

    brief = Brief.objects.select_related("org_unit").filter(pk=brief_id).first()
    if brief is None or brief.version != version or brief.document_ready:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        data = brief_docx.render(brief)
    if brief.number:
        name = f"{brief.org_unit.code}-{brief.year}-{brief.number:03d}.docx"
    else:
        name = f"{brief.org_unit.code}-{brief.year}-draft-{brief.pk}-v{version}.docx"
    old = brief.docx.name if brief.docx else ""
    brief.docx.save(name, ContentFile(data), save=False)
    # Only if nobody changed the brief meanwhile (a newer version renders on its own).
    stored = Brief.objects.filter(pk=brief.pk, version=version).update(
        docx=brief.docx.name, document_version=version
    )
    if old and old != brief.docx.name and stored:
        brief.docx.storage.delete(old)
    return bool(stored)


@transaction.atomic
def delete_draft(*, actor, brief: Brief) -> None:
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    require(actor, "delete", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("An issued brief is archived and cannot be deleted."))
    audit.record(actor, brief, Action.DELETE, {"title": [brief.title, None]})
    brief.delete()


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

    from .models import ASSIGNERS

    return [s for s in user_scopes(user) if s.role in ASSIGNERS]
