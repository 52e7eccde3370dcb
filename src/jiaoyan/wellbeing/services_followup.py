"""Writes of the follow-up workflow (一生一策): interview → optional district review →
referral → follow-up visits → closed, with escalation to the district (an overdue visit,
a worsening level). Versioned like the alert handling; every text is encrypted at rest
(:class:`jiaoyan.core.crypto.EncryptedTextField`) and the audit log shows it as ``***``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import path_ids
from jiaoyan.core.scope import locked
from jiaoyan.core.services import check_version, clean_text
from jiaoyan.orgs.models import OrgUnit

from .models import (
    CONCERN_RANK,
    Alert,
    ConcernLevel,
    FollowUpCase,
    FollowUpEntry,
    WellbeingPermission,
)

Action = audit.AuditLog.Action
E = audit.ENCRYPTED
TEXT_LIMIT = 4000
DISTRICT_LEVELS = ("county", "city")


def _level(value: str, *, field: str = "level") -> str:
    if value not in ConcernLevel.values:
        raise ServiceError(_("Choose a concern level."), field=field)
    return value


def _date(value, *, field: str, earliest: dt.date | None = None) -> dt.date:
    if not isinstance(value, dt.date):
        raise ServiceError(_("Give a date."), field=field)
    if isinstance(value, dt.datetime):
        value = value.date()
    if value > timezone.localdate():
        raise ServiceError(_("The date cannot be in the future."), field=field)
    if earliest is not None and value < earliest:
        raise ServiceError(
            _("The date cannot be before the interview (%(date)s).") % {"date": earliest},
            field=field,
        )
    return value


def _every(value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= 180:
        raise ServiceError(_("Follow up every 1 to 180 days."), field="every_days")
    return n


def _text(value, field: str, label: str, *, required: bool = False) -> str:
    return clean_text(value, field=field, label=label, limit=TEXT_LIMIT, required=required)


def district_of(school: OrgUnit) -> OrgUnit | None:
    """The district (county) above ``school`` — the city where there is none."""
    above = {u.pk: u for u in OrgUnit.objects.filter(pk__in=path_ids(school.path))}
    for level in DISTRICT_LEVELS:
        for pk in reversed(path_ids(school.path)):
            unit = above.get(pk)
            if unit is not None and unit.level == level and unit.pk != school.pk:
                return unit
    return None


def is_district_reviewer(user, school: OrgUnit) -> bool:
    """Holds the wellbeing permission on the district of ``school`` (not only the school)."""
    district = district_of(school)
    return district is not None and restricted.has_permission(user, restricted.WELLBEING, district)


def district_reviewers(school: OrgUnit) -> list:
    """Active accounts holding the wellbeing permission on the district above ``school``
    (or higher): the people an escalation is sent to."""
    district = district_of(school)
    if district is None:
        return []
    now = timezone.now()
    perms = (
        WellbeingPermission.objects.filter(
            org_unit_id__in=path_ids(district.path),
            revoked_at__isnull=True,
            user__is_active=True,
        )
        .exclude(expires_at__lte=now)
        .select_related("user")
    )
    return list({p.user_id: p.user for p in perms}.values())


def _entry(case: FollowUpCase, kind: str, actor, on: dt.date, **texts) -> FollowUpEntry:
    return FollowUpEntry.objects.create(
        case=case,
        school_id=case.school_id,
        kind=kind,
        on=on,
        by=actor if getattr(actor, "pk", None) else None,
        **texts,
    )


def _save(case: FollowUpCase, fields: list[str]) -> None:
    case.version += 1
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "version", "updated_at"])


def _escalate(case: FollowUpCase, reason: str, actor=None) -> None:
    """Send the case back to the district: status review, the reason kept, the district's
    permission holders notified (after the commit)."""
    case.status = FollowUpCase.Status.REVIEW
    case.escalation = reason
    case.escalated_at = timezone.now()
    _entry(
        case,
        FollowUpEntry.Kind.ESCALATION,
        actor,
        timezone.localdate(),
        note=str(FollowUpCase.Escalation(reason).label),
    )
    recipients = district_reviewers(case.school)
    url = reverse("wellbeing:followup", args=[case.pk])
    key = f"wellbeing-escalation-{case.pk}-{case.escalated_at:%Y%m%d}"
    transaction.on_commit(
        lambda: notify(
            recipients,
            title=_("A follow-up was escalated to the district"),
            body=_("A school's follow-up case needs the district's review."),
            url=url,
            kind="warning",
            dedupe_key=key,
        )
    )


def _open(actor, case: FollowUpCase, expected_version: int | None) -> FollowUpCase:
    case = locked(actor, "change", case)
    check_version(case, expected_version)
    if case.status == FollowUpCase.Status.CLOSED:
        raise ServiceError(_("This follow-up is closed."))
    return case


def _interview_date(case: FollowUpCase) -> dt.date | None:
    return (
        case.entries.filter(kind=FollowUpEntry.Kind.INTERVIEW)
        .order_by("on")
        .values_list("on", flat=True)
        .first()
    )


@transaction.atomic
def record_interview(
    *,
    actor,
    alert: Alert,
    on: dt.date,
    assessment: str,
    plan: str,
    level: str,
    every_days: int = 14,
    review: bool = False,
    expected_version: int | None = None,
) -> FollowUpCase:
    """The interview after an alert (the bureau's record format: date, counsellor,
    assessment, plan) opens the student's follow-up and marks the alert handled. With
    ``review`` (or at the crisis level) the district reviews it first."""
    a = locked(actor, "change", alert)
    check_version(a, expected_version)
    if FollowUpCase.objects.filter(alert=a).exists():
        raise ServiceError(_("An interview is already recorded for this alert."))
    on = _date(on, field="on")
    level = _level(level)
    every = _every(every_days)
    assessment = _text(assessment, "assessment", _("Assessment"), required=True)
    plan = _text(plan, "plan", _("Plan"), required=True)
    needs_review = bool(review) or level == ConcernLevel.CRISIS
    case = FollowUpCase.objects.create(
        student_id=a.student_id,
        school_id=a.school_id,
        alert=a,
        status=FollowUpCase.Status.REVIEW if needs_review else FollowUpCase.Status.FOLLOW_UP,
        level=level,
        every_days=every,
        next_due=on + dt.timedelta(days=every),
        counsellor=actor if getattr(actor, "pk", None) else None,
    )
    _entry(
        case, FollowUpEntry.Kind.INTERVIEW, actor, on, level=level, assessment=assessment, plan=plan
    )
    audit.record(
        actor,
        case,
        Action.CREATE,
        {
            "status": [None, case.status],
            "level": [None, level],
            "assessment": [None, E],
            "plan": [None, E],
        },
        message=a.student.key,
    )
    if a.status == Alert.Status.OPEN:
        a.status = Alert.Status.HANDLED
        a.handled_by = actor if getattr(actor, "pk", None) else None
        a.handled_at = timezone.now()
        a.version += 1
        a.updated_at = a.handled_at
        a.save(update_fields=["status", "handled_by", "handled_at", "version", "updated_at"])
        audit.record(actor, a, Action.STATUS, {"status": ["open", "handled"]})
    if needs_review:
        transaction.on_commit(
            lambda: notify(
                district_reviewers(case.school),
                title=_("A follow-up awaits the district's review"),
                url=reverse("wellbeing:followup", args=[case.pk]),
                kind="warning",
                dedupe_key=f"wellbeing-review-{case.pk}",
            )
        )
    return case


@transaction.atomic
def review_case(
    *, actor, case: FollowUpCase, note: str, expected_version: int | None = None
) -> FollowUpCase:
    """The district's review (a holder of the permission on the district): the case goes
    on to follow-up; an escalation is thereby answered."""
    case = _open(actor, case, expected_version)
    if case.status != FollowUpCase.Status.REVIEW:
        raise ServiceError(_("This follow-up is not awaiting review."))
    if not is_district_reviewer(actor, case.school):
        raise ServiceError(_("Only the district's screening staff can review a follow-up."))
    note = _text(note, "note", _("Review note"), required=True)
    _entry(case, FollowUpEntry.Kind.REVIEW, actor, timezone.localdate(), note=note)
    old = case.status
    case.status = FollowUpCase.Status.FOLLOW_UP
    case.escalation = ""
    _save(case, ["status", "escalation"])
    audit.record(actor, case, Action.STATUS, {"status": [old, case.status], "note": [None, E]})
    return case


@transaction.atomic
def refer_case(
    *,
    actor,
    case: FollowUpCase,
    institution: str,
    on: dt.date,
    outcome: str = "",
    expected_version: int | None = None,
) -> FollowUpCase:
    """A referral to medical care (institution, date, outcome — the outcome may follow in
    a later referral record)."""
    case = _open(actor, case, expected_version)
    on = _date(on, field="on", earliest=_interview_date(case))
    institution = _text(institution, "institution", _("Institution"), required=True)
    outcome = _text(outcome, "outcome", _("Referral outcome"))
    _entry(case, FollowUpEntry.Kind.REFERRAL, actor, on, institution=institution, outcome=outcome)
    case.referred = True
    _save(case, ["referred"])
    audit.record(
        actor,
        case,
        Action.UPDATE,
        {
            "referred": [None, True],
            "institution": [None, E],
            "outcome": [None, E if outcome else ""],
        },
    )
    return case


@transaction.atomic
def record_visit(
    *,
    actor,
    case: FollowUpCase,
    on: dt.date,
    note: str,
    level: str,
    expected_version: int | None = None,
) -> FollowUpCase:
    """A follow-up visit: the next one is due ``every_days`` later; a level above the
    case's escalates it to the district."""
    case = _open(actor, case, expected_version)
    on = _date(on, field="on", earliest=_interview_date(case))
    level = _level(level)
    note = _text(note, "note", _("Note"), required=True)
    _entry(case, FollowUpEntry.Kind.VISIT, actor, on, level=level, note=note)
    old_level, old_status = case.level, case.status
    worse = CONCERN_RANK[level] > CONCERN_RANK[old_level]
    case.level = level
    case.next_due = on + dt.timedelta(days=case.every_days)
    if case.escalation == FollowUpCase.Escalation.OVERDUE:
        case.escalation = ""  # the visit answers the overdue escalation; the review stays
    if worse:
        _escalate(case, FollowUpCase.Escalation.WORSE, actor)
    _save(case, ["level", "next_due", "status", "escalation", "escalated_at"])
    changes = {"note": [None, E], "next_due": [None, str(case.next_due)]}
    if old_level != level:
        changes["level"] = [old_level, level]
    if old_status != case.status:
        changes["status"] = [old_status, case.status]
    audit.record(actor, case, Action.UPDATE, changes)
    return case


@transaction.atomic
def close_case(
    *,
    actor,
    case: FollowUpCase,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> FollowUpCase:
    case = _open(actor, case, expected_version)
    if reason not in FollowUpCase.CloseReason.values:
        raise ServiceError(_("Choose why the follow-up is closed."), field="reason")
    if case.status == FollowUpCase.Status.REVIEW:
        raise ServiceError(_("The district has not reviewed this follow-up yet."))
    note = _text(note, "note", _("Note"), required=reason == FollowUpCase.CloseReason.OTHER)
    _entry(case, FollowUpEntry.Kind.CLOSE, actor, timezone.localdate(), note=note)
    old = case.status
    case.status = FollowUpCase.Status.CLOSED
    case.close_reason = reason
    case.closed_at = timezone.now()
    case.next_due = None
    _save(case, ["status", "close_reason", "closed_at", "next_due"])
    audit.record(
        actor,
        case,
        Action.STATUS,
        {
            "status": [old, case.status],
            "close_reason": [None, reason],
            "note": [None, E if note else ""],
        },
    )
    return case


def escalate_overdue(*, today: dt.date | None = None) -> int:
    """Escalate every open follow-up whose visit is overdue and not yet escalated (the
    periodic job); returns how many."""
    today = today or timezone.localdate()
    ids = list(
        FollowUpCase.objects.filter(
            status=FollowUpCase.Status.FOLLOW_UP, next_due__lt=today, escalation=""
        ).values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            case = (
                FollowUpCase.objects.select_for_update()
                .select_related("school", "student")
                .filter(pk=pk, status=FollowUpCase.Status.FOLLOW_UP, escalation="")
                .first()
            )
            if case is None:
                continue
            _escalate(case, FollowUpCase.Escalation.OVERDUE)
            _save(case, ["status", "escalation", "escalated_at"])
            audit.record(
                None,
                case,
                Action.STATUS,
                {"status": ["follow_up", "review"], "escalation": [None, "overdue"]},
                message=_("Follow-up overdue since %(date)s") % {"date": case.next_due},
            )
            done += 1
    return done
