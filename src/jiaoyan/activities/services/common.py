"""What every services module of activities shares: constants and small helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from ..models import Activity, Level, Participation

Action = audit.AuditLog.Action
Status = Activity.Status
PStatus = Participation.Status
Att = Participation.Attendance

CHECKIN_OPENS = dt.timedelta(minutes=60)  # before the start
CHECKIN_CLOSES = dt.timedelta(minutes=30)  # after the end
LATE_AFTER = dt.timedelta(minutes=10)  # after the start
MAX_HOURS = Decimal("40")
ACTIVE = (PStatus.INVITED, PStatus.REGISTERED)


def _level_of(unit: OrgUnit) -> str:
    return unit.level if unit.level in Level.values else Level.CITY


def _person_of(actor) -> Person:
    person = getattr(actor, "person", None) if actor is not None else None
    if person is None:
        raise ServiceError(_("Your account is not linked to a person, so you cannot take part."))
    return person


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _month_key(value: dt.datetime) -> int:
    local = timezone.localtime(value)
    return local.year * 100 + local.month
