"""Reads of the screening module, each from ``visible_to``; identified reads audited."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from jiaoyan.core import restricted, stamps
from jiaoyan.core.errors import ServiceError

from . import scales as sc
from .models import Alert, Campaign, Participation, Scale, Student, figures_key


def scales_for(user) -> list[sc.Scale]:
    """The shipped scales, then the custom ones ``user`` sees (a broken one is left out)."""
    out = list(sc.SHIPPED.values())
    for row in Scale.objects.visible_to(user).order_by("code"):
        try:
            out.append(row.as_scale())
        except ServiceError:  # a definition stored before a rule changed
            continue
    return out


# --- campaigns and restricted rows ------------------------------------------------------------


def require_permission_somewhere(user) -> None:
    """The one rule of the lists of identified rows (alerts, follow-ups, exports), pages and
    API alike: ``PermissionDenied`` unless ``user`` holds the wellbeing permission on some
    unit (or is a superuser) — an admin without it is refused, not shown an empty list."""
    if not user.is_superuser and not restricted.permitted_paths(user, restricted.WELLBEING):
        raise PermissionDenied(_("This needs the wellbeing permission."))


def campaigns_for(user) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(user).select_related("org_unit")


def alerts_for(user) -> QuerySet[Alert]:
    """Alerts of the schools where ``user`` holds the wellbeing permission."""
    return Alert.objects.visible_to(user).select_related("student", "school")


def open_alerts_count(user) -> int:
    return alerts_for(user).filter(status=Alert.Status.OPEN).count()


def read_alert(user, alert: Alert, reason: str | None) -> Alert:
    """An alert with its note, after the audited read with its reason."""
    restricted.record_read(user, restricted.WELLBEING, alert, reason, unit=alert.school)
    return alert


def read_student(user, student: Student, reason: str | None) -> list[Participation]:
    """The student's timeline (every campaign, across years), after the audited read."""
    restricted.record_read(user, restricted.WELLBEING, student, reason, unit=student.school)
    return list(
        Participation.objects.visible_to(user)
        .filter(student=student)
        .select_related("campaign")
        .order_by("-campaign__starts_at", "-id")
    )


def read_roster(user, campaign: Campaign, school, reason: str | None) -> list[Participation]:
    """The codes of one school's students in a campaign (to hand out), audited."""
    rows = list(
        Participation.objects.visible_to(user)
        .filter(campaign=campaign, school=school)
        .select_related("student")
        .order_by("student__grade", "student__class_name", "student__key", "id")
    )
    restricted.record_read(
        user, restricted.WELLBEING, campaign, reason, unit=school, rows=len(rows)
    )
    return rows


def _summary_counts(campaign: Campaign, first: str) -> tuple[Counter, Counter, Counter]:
    """Per school: questionnaires by status, invited, and the first scale's levels of the
    finished ones (counted by the database: the level read out of each row's JSON)."""
    status: Counter = Counter()
    invited_at: Counter = Counter()
    for school_id, st, n in (
        Participation.objects.filter(campaign=campaign)
        .values_list("school_id", "status")
        .annotate(n=Count("id"))
    ):
        status[(school_id, st)] += n
        invited_at[school_id] += n
    levels: Counter = Counter()
    if first:
        for school_id, level, n in (
            Participation.objects.filter(campaign=campaign, status=Participation.Status.FINISHED)
            .values_list("school_id", KT(f"results__{first}__level"))
            .annotate(n=Count("id"))
            .order_by()
        ):
            levels[(school_id, level or "")] += n
    return status, invited_at, levels


def campaign_summary(user, campaign: Campaign) -> list[dict]:
    """Per school of the campaign: invited, handed in, and the distribution of the first
    scale's levels — each figure of fewer than 10 students suppressed (primary and
    complementary) unless the viewer holds the permission on the school."""
    schools = list(campaign.schools.order_by("path"))
    first = campaign.scales[0] if campaign.scales else ""
    level_keys: list[str] = []
    if first:
        from .services import scale_by_code

        level_keys = [b.key for b in scale_by_code(first).bands]
    # Kept under the campaign's version (core.stamps), as its figures are.
    status, invited_at, levels = stamps.kept(
        "wellbeing.summary",
        [campaign.pk, first],
        [figures_key(campaign.pk)],
        lambda: _summary_counts(campaign, first),
    )
    out = []
    handed = (Participation.Status.FINISHED, Participation.Status.INVALID)
    for s in schools:
        exempt = restricted.has_permission(user, restricted.WELLBEING, s)
        invited = invited_at[s.pk]
        done = sum(status[(s.pk, st)] for st in handed)
        counts = [levels[(s.pk, k)] for k in level_keys]
        finished = status[(s.pk, Participation.Status.FINISHED)]
        cells = [
            restricted.Cell(("level", k), n, exempt)
            for k, n in zip(level_keys, counts, strict=True)
        ]
        cells.append(restricted.Cell("finished", finished, exempt))
        hidden = restricted.suppress_cells(
            cells, [restricted.Margin("finished", [("level", k) for k in level_keys])]
        )
        out.append(
            {
                "school": s,
                "invited": invited if exempt or invited >= restricted.SMALL_CELL else None,
                "handed_in": done if exempt or done >= restricted.SMALL_CELL else None,
                "finished": None if "finished" in hidden else finished,
                "levels": [
                    (k, None if ("level", k) in hidden else n)
                    for k, n in zip(level_keys, counts, strict=True)
                ],
                "exempt": exempt,
            }
        )
    return out
