"""API of the metric registry: ``GET /api/v1/metrics?unit=&start=&end=[&only=a,b]``."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from . import metrics, restricted
from .scope import get_visible_or_404

router = Router(tags=["metrics"])


class MetricOut(Schema):
    key: str
    name: str
    definition: str
    unit: str
    module: str
    value: float | None
    display: str
    suppressed: bool


class MetricsOut(Schema):
    org_unit: int
    start: dt.date
    end: dt.date
    items: list[MetricOut]
    count: int


@restricted.publishes(restricted.METRICS)
@router.get(
    "/metrics",
    response=MetricsOut,
    summary="The registered figures of a unit's subtree over a period (default: this year)",
)
def list_metrics(
    request,
    unit: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
    only: str | None = None,
):
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    org_unit = get_visible_or_404(OrgUnit, request.auth, pk=unit)
    default = metrics.Period.year_to_date()
    period = metrics.Period(start or default.start, end or default.end)
    wanted = [k.strip() for k in only.split(",") if k.strip()] if only else None
    unknown = [k for k in wanted or () if k not in metrics.registry()]
    if unknown:
        raise HttpError(400, _("Unknown metric: %(keys)s") % {"keys": ", ".join(unknown)})
    values = metrics.compute_many(wanted, org_unit, period, viewer=request.auth)
    return {
        "org_unit": org_unit.pk,
        "start": period.start,
        "end": period.end,
        "items": [v.as_dict() for v in values],
        "count": len(values),
    }
