"""Reads of the screening module, each from ``visible_to``; identified reads audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiaoyan.core import restricted
from jiaoyan.core.errors import ServiceError

from . import scales as sc
from .models import Alert, Campaign, Participation, Scale, Student


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


def campaign_summary(user, campaign: Campaign) -> list[dict]:
    """Per school of the campaign the viewer sees: invited, handed in and the
    distribution of the first scale's levels. The figures are the figures page's by
    school (:func:`queries_followup.kept_figures`, suppressed jointly with the grades,
    genders and classes), so the two pages together show nothing either hides; a total
    is shown only where its parts are. Exact where the viewer holds the permission on the
    school; nothing for those who see no screening figures (teachers)."""
    from . import queries_followup as fq

    if not fq.may_see_aggregates(user, campaign):
        return []
    kept = fq.kept_figures(user, campaign)
    bands = [b.key for b in kept.bands]
    n = len(bands)
    out = []
    for s in kept.schools:
        exempt = restricted.has_permission(user, restricted.WELLBEING, s)
        grid = kept.counts.get(("school", (s.pk,))) or [0] * (n + 2)

        def shown(j, exempt=exempt, pk=s.pk) -> bool:
            return exempt or not kept.hides(("school", (pk,)), j)

        finished = sum(grid[:n]) if all(shown(j) for j in range(n)) else None
        handed = finished + grid[n] if finished is not None and shown(n) else None
        out.append(
            {
                "school": s,
                "invited": sum(grid) if shown("row") else None,
                "handed_in": handed,
                "finished": finished,
                "levels": [(k, grid[j] if shown(j) else None) for j, k in enumerate(bands)],
                "exempt": exempt,
            }
        )
    return out
