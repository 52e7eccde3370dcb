"""Reads of the governance lists (the read audit, the export requests) — for the pages'
and the API's filters alike."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from jiaoyan.core import restricted
from jiaoyan.core.models import AuditLog
from jiaoyan.orgs.models import OrgUnit

from .models import ExportRequest

READ_ACTIONS = (AuditLog.Action.VIEW, AuditLog.Action.EXPORT)


def reads_for(
    user,
    *,
    reader: str = "",
    student: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditLog]:
    """The audited reads and exports of identified screening records ``user`` may review
    (:func:`jiaoyan.core.restricted.reads_visible_to`), newest first, filtered."""
    qs = restricted.reads_visible_to(user, restricted.WELLBEING)
    if reader.strip():
        qs = qs.filter(actor_name__icontains=reader.strip())
    if student.strip():
        qs = qs.filter(object_repr__icontains=student.strip())
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(timestamp__date__gte=since)
    if until is not None:
        qs = qs.filter(timestamp__date__lte=until)
    return qs.order_by("-timestamp", "-id")


def with_unit_names(qs: QuerySet[AuditLog]) -> QuerySet[AuditLog]:
    """``qs`` with each row's ``unit_name`` (for a paginated list: one query a page)."""
    names = OrgUnit.objects.filter(path=OuterRef("unit_path")).values("name")[:1]
    return qs.annotate(unit_name=Coalesce(Subquery(names), Value("")))


def exports_for(user, *, status: str = "") -> QuerySet[ExportRequest]:
    """The export requests of the units where ``user`` holds the permission, newest first."""
    qs = ExportRequest.objects.visible_to(user).select_related(
        "org_unit", "requested_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
