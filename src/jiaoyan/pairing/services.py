"""Every write of pairing assistance: the pairing and its agreement, funds, people sent,
joint activities and reports. Each checks ``can`` first, refuses bad input with a
``ServiceError`` (nothing written) and writes an audit row.

Who may create a pairing (DESIGN.md "Scope"): a bureau admin whose unit covers the
helping side. The pairing belongs to that admin's unit (the most specific one covering
the helping side). When that unit covers the helped side too it is their common
ancestor; otherwise the helped side is named by its unit code through the explicit
cross-scope path (``beyond_scope``): audited with the code typed, and the helped side's
admins are told. Both sides then see the pairing through scope grants on their units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaoyan.activities.models import Activity
from jiaoyan.core import audit, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import is_under
from jiaoyan.core.resolve import resolve, resolve_beyond_scope
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import can, grant, locked, require, revoke_grant, user_scopes
from jiaoyan.core.services import apply_changes, clean_text
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person, RoleAssignment

from .models import Fund, JointActivity, Pairing, PairingReport, PersonSent, Side, sides_of

Action = AuditLog.Action
MAX_AMOUNT = Decimal("1000000000")  # one fund row: at most a billion yuan
# The reason of the grants a joint activity gives both sides (taken back when unlinked).
JOINT_GRANT = "pairing joint activity"
EDITABLE = ("title", "start_date", "end_date", "agreement_signed_on", "goals", "measures")


def _period(start: dt.date | None, end: dt.date | None, *, field: str = "end_date") -> None:
    if start is None:
        raise ServiceError(_("The start date is required."), field="start_date")
    if end is None:
        raise ServiceError(_("The end date is required."), field=field)
    if end < start:
        raise ServiceError(_("Invalid period: the end date is before the start date."), field=field)


def side_level(unit: OrgUnit) -> str | None:
    """The level of pairing a unit can be a side of: a school, a district or a city."""
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return Pairing.Level.SCHOOL
    if unit.kind == OrgUnit.Kind.REGION and unit.level in (
        OrgUnit.Level.COUNTY,
        OrgUnit.Level.CITY,
    ):
        return unit.level
    return None


def owner_for(actor, helping: OrgUnit) -> OrgUnit | None:
    """The unit a pairing of ``helping`` belongs to when ``actor`` creates it: the most
    specific unit where ``actor`` is a bureau admin covering the helping side."""
    best = None
    for s in user_scopes(actor):
        covers = s.role in ADMINS and is_under(helping.path, s.path)
        if covers and (best is None or len(s.path) > len(best.path)):
            best = s
    if best is None:
        return OrgUnit.objects.get(pk=helping.ancestor_ids[0]) if actor.is_superuser else None
    return OrgUnit.objects.get(pk=best.unit_id)


def _check_file(f, field: str) -> str:
    """The clean name of an uploaded document (size and kind checked by the upload
    guard's rules: no pages, scripts or programs), or "" for none."""
    if f is None:
        return ""
    return uploads.check_file(f, "attachment", field=field)


def _side_users(unit: OrgUnit) -> list[int]:
    """The accounts of the admins and principals holding a role on ``unit`` itself."""
    return list(
        RoleAssignment.objects.filter(
            org_unit=unit,
            is_active=True,
            role__in=[*ADMINS, Role.PRINCIPAL],
            person__user__isnull=False,
        ).values_list("person__user_id", flat=True)
    )


@transaction.atomic
def create_pairing(
    *,
    actor,
    title: str,
    helping: Any,
    helped: Any,
    start_date: dt.date | None,
    end_date: dt.date | None,
    beyond_scope: bool = False,
    agreement_signed_on: dt.date | None = None,
    agreement_file=None,
    goals: str = "",
    measures: str = "",
) -> Pairing:
    """A new pairing. ``helping`` and ``helped`` name units (an id or a unit code) and are
    found through the scoped resolver; the helped side beyond the actor's scope only on
    the explicit path ``beyond_scope`` (by unit code)."""
    helping_unit = resolve(actor, OrgUnit, helping, field="helping")
    owner = owner_for(actor, helping_unit)
    if owner is None:
        raise PermissionDenied(_("You do not have permission to do this here."))
    require(actor, "add", Pairing(org_unit=owner))
    helped_unit, beyond = resolve_beyond_scope(
        actor, OrgUnit, helped, beyond_scope=beyond_scope, field="helped"
    )
    beyond = beyond or not is_under(helped_unit.path, owner.path)
    if beyond and not beyond_scope:
        # Visible (e.g. shared) but not under the owning unit: only the explicit path.
        raise ServiceError(
            _(
                "The helped unit lies outside your unit: name it by its unit code and tick "
                "“beyond my scope”."
            ),
            field="helped",
        )
    title = clean_text(title, field="title", label=_("Title"), limit=120, required=True)
    if helping_unit.pk == helped_unit.pk:
        raise ServiceError(
            _("A pairing needs two different sides: the helping and the helped unit are the same."),
            field="helped",
        )
    level = side_level(helping_unit)
    if level is None:
        raise ServiceError(
            _("A side of a pairing is a school, a district or a city."), field="helping"
        )
    if side_level(helped_unit) != level:
        raise ServiceError(
            _("Both sides of a pairing are of the same level (school, district or city)."),
            field="helped",
        )
    if is_under(helped_unit.path, helping_unit.path) or is_under(
        helping_unit.path, helped_unit.path
    ):
        raise ServiceError(
            _("A pairing needs two different sides: one side lies inside the other."),
            field="helped",
        )
    _period(start_date, end_date)
    agreement_name = _check_file(agreement_file, "agreement_file")
    pairing = Pairing(
        org_unit=owner,
        title=title,
        level=level,
        helping_unit=helping_unit,
        helped_unit=helped_unit,
        start_date=start_date,
        end_date=end_date,
        agreement_signed_on=agreement_signed_on,
        goals=clean_text(goals, field="goals", label=_("Goals"), limit=5000),
        measures=clean_text(measures, field="measures", label=_("Measures"), limit=5000),
        created_by=actor,
    )
    if agreement_file is not None:
        pairing.agreement_file = agreement_file
        pairing.agreement_name = agreement_name
    pairing.save()
    grant(pairing, unit=helping_unit, reason="pairing: helping side")
    grant(pairing, unit=helped_unit, reason="pairing: helped side")
    audit.record(
        actor,
        pairing,
        Action.CREATE,
        {
            "helping_unit": [None, helping_unit.name],
            "helped_unit": [None, helped_unit.name],
            "start_date": [None, str(start_date)],
            "end_date": [None, str(end_date)],
        },
    )
    if beyond:
        audit.record(
            actor,
            pairing,
            Action.GRANT,
            {"helped_beyond_scope": [None, str(helped).strip()]},
            message=_("Helped side named by unit code beyond the creator's scope"),
        )
    notify(
        _side_users(helped_unit),
        title=_("Your unit is paired for assistance: %(title)s") % {"title": pairing.title},
        body=_("Helped by %(unit)s, %(start)s to %(end)s.")
        % {"unit": helping_unit.name, "start": start_date, "end": end_date},
        url=pairing.get_absolute_url(),
        about=pairing,
        dedupe_key=f"pairing-created-{pairing.pk}",
    )
    return pairing


@transaction.atomic
def update_pairing(
    *, actor, pairing: Pairing, expected_version: int | None = None, **data: Any
) -> Pairing:
    """Change the title, period, agreement date, goals or measures."""
    pairing = locked(actor, "change", pairing)
    values = {f: data.get(f, getattr(pairing, f)) for f in EDITABLE}
    values["title"] = clean_text(
        values["title"], field="title", label=_("Title"), limit=120, required=True
    )
    values["goals"] = clean_text(values["goals"], field="goals", label=_("Goals"), limit=5000)
    values["measures"] = clean_text(
        values["measures"], field="measures", label=_("Measures"), limit=5000
    )
    _period(values["start_date"], values["end_date"])
    apply_changes(actor, pairing, values, EDITABLE, expected_version=expected_version)
    return pairing


@transaction.atomic
def set_agreement(
    *, actor, pairing: Pairing, signed_on: dt.date | None, file, expected_version: int | None = None
) -> Pairing:
    """Record the signed agreement: the date and the document (through the upload guard)."""
    pairing = locked(actor, "change", pairing)
    if signed_on is None:
        raise ServiceError(_("The signing date is required."), field="signed_on")
    if file is None:
        raise ServiceError(_("Choose the agreement document."), field="file")
    name = _check_file(file, "file")
    apply_changes(
        actor,
        pairing,
        {"agreement_signed_on": signed_on, "agreement_name": name},
        ("agreement_signed_on", "agreement_name"),
        expected_version=expected_version,
    )
    pairing.agreement_file = file
    pairing.save(update_fields=["agreement_file"])
    return pairing


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("The amount is not a number."), field="amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ServiceError(_("The amount of a fund must be positive."), field="amount")
    if amount >= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(
            _("The amount must be below one billion yuan, in yuan and fen."), field="amount"
        )
    return amount


def _fund_date(value: dt.date | None) -> dt.date:
    if value is None:
        raise ServiceError(_("The date is required."), field="date")
    return value


def _purpose(value: Any) -> str:
    return clean_text(value, field="purpose", label=_("Purpose"), limit=200, required=True)


def _sent_role(value: Any) -> str:
    if value not in PersonSent.Role.values:
        raise ServiceError(_("Choose support teaching or stationed researcher."), field="role")
    return value


def _sent_work(value: Any) -> str:
    return clean_text(value, field="work", label=_("What they did"), limit=5000)


def _sent_period(pairing: Pairing, start: dt.date | None, end: dt.date | None) -> None:
    """A person sent's dates: a valid period within the pairing's."""
    _period(start, end)
    if start < pairing.start_date or end > pairing.end_date:
        raise ServiceError(
            _("The dates of a person sent lie within the pairing's period."), field="start_date"
        )


def _report_period(value: Any) -> str:
    return clean_text(
        value, field="period", label=pgettext("date range", "Period"), limit=40, required=True
    )


def _report_text(value: Any) -> str:
    return clean_text(value, field="text", label=_("Report"), limit=20000, required=True)


# What each row's fields must be, checked in this order (adding and correcting alike).
FUND_CHECKS = {"amount": _amount, "date": _fund_date, "purpose": _purpose}
SENT_CHECKS = {"role": _sent_role, "work": _sent_work}
REPORT_CHECKS = {"period": _report_period, "text": _report_text}


def _checked(data: dict[str, Any], checks: dict[str, Any]) -> dict[str, Any]:
    """The values of ``data`` that ``checks`` names, each through its check (in order)."""
    return {f: check(data[f]) for f, check in checks.items() if f in data}


@transaction.atomic
def add_fund(*, actor, pairing: Pairing, amount: Any, date: dt.date | None, purpose: str) -> Fund:
    """Assistance funds given under the pairing (the helping side or the owning bureau)."""
    require(actor, "add", Fund(pairing=pairing))
    values = _checked({"amount": amount, "date": date, "purpose": purpose}, FUND_CHECKS)
    fund = Fund(pairing=pairing, created_by=actor, **values)
    fund.save()
    audit.record(
        actor,
        pairing,
        Action.UPDATE,
        {"fund": [None, f"{fund.date} {fund.amount} {fund.purpose}"]},
    )
    return fund


@transaction.atomic
def add_person_sent(
    *,
    actor,
    pairing: Pairing,
    person: Any,
    role: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    work: str = "",
) -> PersonSent:
    """A person the helping side sends (支教 / 驻校蹲点): someone of the helping side."""
    row = PersonSent(pairing=pairing, created_by=actor)
    require(actor, "add", row)
    helping = pairing.helping_unit
    found = resolve(
        actor,
        Person,
        person,
        field="person",
        queryset=Person.objects.filter(org_unit__path__under=helping.path),
    )
    row.role = _sent_role(role)
    _sent_period(pairing, start_date, end_date)
    row.person = found
    row.start_date, row.end_date = start_date, end_date
    row.work = _sent_work(work)
    row.save()
    audit.record(
        actor,
        pairing,
        Action.UPDATE,
        {"person_sent": [None, f"{found.name} {row.get_role_display()} {start_date}–{end_date}"]},
    )
    return row


@transaction.atomic
def link_activity(*, actor, pairing: Pairing, activity: Any) -> JointActivity:
    """Name the pairing on a research activity organised by either side (or the owning
    bureau): a joint activity. Both sides then see that activity (and only that one)."""
    link = JointActivity(pairing=pairing, created_by=actor)
    require(actor, "add", link)
    found = resolve(actor, Activity, activity, field="activity")
    if not can(actor, "change", found):
        raise PermissionDenied(_("You do not have permission to do this here."))
    path = found.org_unit.path
    if not any(
        is_under(path, u.path)
        for u in (pairing.helping_unit, pairing.helped_unit, pairing.org_unit)
    ):
        raise ServiceError(
            _("A joint activity is organised by one of the pairing's sides."), field="activity"
        )
    if JointActivity.objects.filter(pairing=pairing, activity=found).exists():
        raise ServiceError(_("This activity is already linked to the pairing."), field="activity")
    link.activity = found
    link.save()
    grant(found, unit=pairing.helping_unit, reason=JOINT_GRANT)
    grant(found, unit=pairing.helped_unit, reason=JOINT_GRANT)
    audit.record(actor, pairing, Action.UPDATE, {"joint_activity": [None, found.title]})
    return link


@transaction.atomic
def add_report(
    *, actor, pairing: Pairing, side: str, period: str, text: str, file=None
) -> PairingReport:
    """A periodic report from one side of the pairing, with an optional file."""
    report = PairingReport(pairing=pairing, author=actor, author_name=audit.actor_name(actor))
    require(actor, "add", report)
    mine = sides_of(actor, pairing)
    if side not in Side.values:
        raise ServiceError(_("Choose the side the report comes from."), field="side")
    if mine and side not in mine and not actor.is_superuser:
        raise ServiceError(_("You report for your own side of the pairing."), field="side")
    report.side = side
    report.period = _report_period(period)
    report.text = _report_text(text)
    name = _check_file(file, "file")
    if file is not None:
        report.file = file
        report.file_name = name
    report.save()
    audit.record(actor, pairing, Action.UPDATE, {"report": [None, f"{report.period}"]})
    return report


# --- changing and removing what was recorded ---------------------------------------------------

FUND_FIELDS = ("amount", "date", "purpose")
SENT_FIELDS = ("role", "start_date", "end_date", "work")
REPORT_FIELDS = ("period", "text")


def _fresh(model, row, actor, action: str):
    """``row`` read again under a lock, once ``actor`` may do ``action`` on it."""
    fresh = model.objects.select_for_update().select_related("pairing").get(pk=row.pk)
    require(actor, action, fresh)
    return fresh


def _remove(actor, model, row, *, key: str, before: Callable[[Any], Any], message: str = ""):
    """Remove ``row`` (a fund, a person sent, a report, a joint activity) of its pairing:
    read again under a lock once ``actor`` may delete it, audited on the pairing as its
    ``key`` going from ``before(row)`` to nothing, then deleted. Returns the removed row."""
    row = _fresh(model, row, actor, "delete")
    audit.record(actor, row.pairing, Action.UPDATE, {key: [before(row), None]}, message=message)
    row.delete()
    return row


@transaction.atomic
def update_fund(
    *, actor, fund: Fund, data: dict[str, Any], expected_version: int | None = None
) -> Fund:
    """Correct a fund's amount, date or purpose (the helping side or the owning bureau)."""
    fund = _fresh(Fund, fund, actor, "change")
    values = _checked(data, FUND_CHECKS)
    apply_changes(actor, fund, values, FUND_FIELDS, expected_version=expected_version)
    return fund


@transaction.atomic
def delete_fund(*, actor, fund: Fund) -> None:
    _remove(
        actor,
        Fund,
        fund,
        key="fund",
        before=lambda f: f"{f.date} {f.amount} {f.purpose}",
        message=_("Fund removed"),
    )


@transaction.atomic
def update_person_sent(
    *, actor, row: PersonSent, data: dict[str, Any], expected_version: int | None = None
) -> PersonSent:
    """Correct the role, dates or work of a person sent (who was sent stays)."""
    row = _fresh(PersonSent, row, actor, "change")
    values = {f: data[f] for f in ("start_date", "end_date") if f in data}
    if "role" in data:
        values["role"] = _sent_role(data["role"])
    _sent_period(
        row.pairing, values.get("start_date", row.start_date), values.get("end_date", row.end_date)
    )
    if "work" in data:
        values["work"] = _sent_work(data["work"])
    apply_changes(actor, row, values, SENT_FIELDS, expected_version=expected_version)
    return row


@transaction.atomic
def delete_person_sent(*, actor, row: PersonSent) -> None:
    _remove(
        actor,
        PersonSent,
        row,
        key="person_sent",
        before=lambda r: f"{r.person.name} {r.get_role_display()}",
        message=_("Person sent removed"),
    )


@transaction.atomic
def update_report(
    *, actor, report: PairingReport, data: dict[str, Any], expected_version: int | None = None
) -> PairingReport:
    """Correct a report's period or text (its own side, or the owning bureau)."""
    report = _fresh(PairingReport, report, actor, "change")
    values = _checked(data, REPORT_CHECKS)
    apply_changes(actor, report, values, REPORT_FIELDS, expected_version=expected_version)
    return report


@transaction.atomic
def delete_report(*, actor, report: PairingReport) -> None:
    gone = _remove(
        actor,
        PairingReport,
        report,
        key="report",
        before=lambda r: f"{r.get_side_display()} {r.period}",
        message=_("Report removed"),
    )
    stored, storage = gone.file.name, gone.file.storage
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))


@transaction.atomic
def unlink_activity(*, actor, link: JointActivity) -> None:
    """The activity is no joint activity of the pairing any more (the activity stays).
    The sides lose the view of it that the link gave them, unless another pairing's link
    to the same activity still gives it to that side."""
    gone = _remove(
        actor,
        JointActivity,
        link,
        key="joint_activity",
        before=lambda j: (
            Activity.objects.filter(pk=j.activity_id).values_list("title", flat=True).first()
        ),
    )
    pairing = gone.pairing
    needed: set[int] = set()
    for sides in JointActivity.objects.filter(activity_id=gone.activity_id).values_list(
        "pairing__helping_unit_id", "pairing__helped_unit_id"
    ):
        needed.update(sides)
    activity = Activity(pk=gone.activity_id)
    for unit_id in {pairing.helping_unit_id, pairing.helped_unit_id} - needed:
        revoke_grant(activity, unit=unit_id, reason=JOINT_GRANT)
