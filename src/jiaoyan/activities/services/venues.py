"""Venues of an activity (the main venue and sub-venues of units)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import require
from jiaoyan.core.services import apply_changes
from jiaoyan.orgs.models import OrgUnit

from .. import codes
from ..models import Activity, Venue
from .activities import _check_venue_fields
from .common import ACTIVE, Action


def _require_editable(actor, activity: Activity) -> None:
    require(actor, "change", activity)
    if activity.is_closed:
        raise ServiceError(_("The activity is closed; its venues can no longer change."))


@transaction.atomic
def add_venue(
    *,
    actor,
    activity: Activity,
    name: str,
    unit: OrgUnit | None = None,
    address: str = "",
    online_url: str = "",
    capacity: int | None = None,
) -> Venue:
    """Add a sub-venue (分会场); the activity becomes hybrid if it was on site only."""
    _require_editable(actor, activity)
    _check_venue_fields(name, address, online_url, capacity)
    venue = Venue.objects.create(
        activity=activity,
        is_main=False,
        name=name.strip()[:100],
        unit=unit,
        address=(address or "").strip()[:200],
        online_url=(online_url or "").strip()[:300],
        capacity=capacity,
        checkin_secret=codes.new_secret(),
    )
    audit.record(actor, activity, Action.UPDATE, {"venues": [None, venue.name]})
    return venue


VENUE_FIELDS = ["name", "unit", "address", "online_url", "capacity"]


@transaction.atomic
def update_venue(*, actor, venue: Venue, data: dict, expected_version: int | None = None) -> Venue:
    venue = Venue.objects.select_for_update().select_related("activity").get(pk=venue.pk)
    _require_editable(actor, venue.activity)
    merged = {f: data.get(f, getattr(venue, f)) for f in VENUE_FIELDS}
    _check_venue_fields(merged["name"], merged["address"], merged["online_url"], merged["capacity"])
    capacity = merged["capacity"]
    if capacity is not None:
        taken = venue.participations.filter(status__in=ACTIVE).count()
        if capacity < taken:
            raise ServiceError(
                _("%(n)d people are already on this venue; the capacity cannot be lower.")
                % {"n": taken},
                field="capacity",
            )
    apply_changes(actor, venue, data, VENUE_FIELDS, expected_version=expected_version)
    return venue


@transaction.atomic
def delete_venue(*, actor, venue: Venue) -> None:
    venue = Venue.objects.select_for_update().select_related("activity").get(pk=venue.pk)
    _require_editable(actor, venue.activity)
    if venue.is_main:
        raise ServiceError(_("The main venue cannot be removed."))
    if venue.participations.filter(checked_in_at__isnull=False).exists():
        raise ServiceError(_("People checked in at this venue; it cannot be removed."))
    main = venue.activity.venues.filter(is_main=True).first()
    venue.participations.update(venue=main)
    audit.record(actor, venue.activity, Action.UPDATE, {"venues": [venue.name, None]})
    venue.delete()
