"""Minutes and decisions of an activity, and decisions sent to the work ledger."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import check_version
from jiaoyan.orgs.models import OrgUnit

from .. import hooks
from ..models import Activity, Decision
from .common import Action, Status


@transaction.atomic
def save_minutes(
    *, actor, activity: Activity, minutes: str, expected_version: int | None = None
) -> Activity:
    activity = locked(actor, "change", activity)
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Minutes are written once the activity has started."))
    check_version(activity, expected_version)
    text = (minutes or "").strip()
    if text == activity.minutes:
        return activity
    old = activity.minutes
    activity.minutes = text
    activity.minutes_updated_at = timezone.now()
    activity.version += 1
    activity.save(update_fields=["minutes", "minutes_updated_at", "version"])
    audit.record(
        actor,
        activity,
        Action.UPDATE,
        {"minutes": [old[:500] or None, text[:500]]},
        message=_("Minutes"),
    )
    return activity


@transaction.atomic
def add_decision(
    *,
    actor,
    activity: Activity,
    text: str,
    owner_unit: OrgUnit | None = None,
    owner_name: str = "",
    due_on: dt.date | None = None,
    for_ledger: bool = False,
) -> Decision:
    activity = Activity.objects.get(pk=activity.pk)
    require(actor, "change", activity)
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Decisions are recorded once the activity has started."))
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the decision."), field="text")
    decision = Decision.objects.create(
        activity=activity,
        text=text[:300],
        owner_unit=owner_unit,
        owner_name=(owner_name or "").strip()[:50],
        due_on=due_on,
        for_ledger=for_ledger,
    )
    audit.record(actor, activity, Action.UPDATE, {"decisions": [None, decision.text]})
    return decision


@transaction.atomic
def delete_decision(*, actor, decision: Decision) -> None:
    require(actor, "delete", decision)
    if decision.ledger_ref:
        raise ServiceError(_("This decision is already in the work ledger; change it there."))
    audit.record(actor, decision.activity, Action.UPDATE, {"decisions": [decision.text, None]})
    decision.delete()


@transaction.atomic
def send_decisions_to_ledger(*, actor, activity: Activity) -> int:
    """Hand the decisions marked for the ledger to it (see ``hooks``); returns how many."""
    require(actor, "change", activity)
    sink = hooks.decision_sink()
    if sink is None:
        raise ServiceError(_("The work ledger is not available yet."))
    sent = 0
    for decision in Decision.objects.select_for_update().filter(
        activity=activity, for_ledger=True, ledger_ref=""
    ):
        ref = sink(actor=actor, decision=decision)
        decision.ledger_ref = str(ref)[:64]
        decision.sent_at = timezone.now()
        decision.save(update_fields=["ledger_ref", "sent_at"])
        sent += 1
    if sent:
        audit.record(actor, activity, Action.UPDATE, {"sent_to_ledger": [None, sent]})
    return sent
