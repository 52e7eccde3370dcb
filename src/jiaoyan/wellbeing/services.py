"""Every write of the screening module: scales, campaigns, answering, paper answers,
scoring, risk levels and alerts. Identified values (names, notes) never go into the audit
log in clear (``core.audit.snapshot`` masks encrypted fields; messages here name students
by their key only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, bulk, ratelimit, restricted, stamps
from jiaoyan.core.crypto import random_code
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import path_ids
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import check_version, clean_text

from . import scales as sc
from .models import Alert, Campaign, Participation, RiskRule, Scale, Student, figures_key

Action = audit.AuditLog.Action

# --- scales ------------------------------------------------------------------------------


def scale_for(user, code: str) -> sc.Scale | None:
    """The scale ``code``: a shipped one, or a custom one the user sees (None: neither)."""
    code = (code or "").strip().lower()
    if code in sc.SHIPPED:
        return sc.SHIPPED[code]
    row = Scale.objects.visible_to(user).filter(code=code).first()
    return row.as_scale() if row is not None else None


def score_answers(*, actor, code: str, answers: Sequence[Any]) -> sc.Result:
    """Score one set of answers on the scale ``code`` (stores nothing)."""
    scale = scale_for(actor, code)
    if scale is None:
        raise ServiceError(_("There is no scale “%(code)s”.") % {"code": code}, field="code")
    return sc.score(scale, answers)


@transaction.atomic
def create_scale(
    *, actor, org_unit, code: str, name: str, definition: dict, licence: str = ""
) -> Scale:
    code = sc.check_code(code)
    name = clean_text(name, field="name", label=_("Name"), limit=100, required=True)
    licence = clean_text(licence, field="licence", label=_("Licence"), limit=200)
    sc.parse_definition(code, name, definition)
    scale = Scale(org_unit=org_unit, code=code, name=name, licence=licence, definition=definition)
    scale.created_by = actor if getattr(actor, "pk", None) else None
    require(actor, "add", scale)
    if Scale.objects.filter(code=code).exists():
        raise ServiceError(_("Another scale has this code."), field="code")
    scale.save()
    audit.record(actor, scale, Action.CREATE, {"code": [None, code], "name": [None, name]})
    return scale


# --- campaigns ---------------------------------------------------------------------------


def _check_scales(actor, codes: Iterable[str]) -> list[str]:
    out = []
    for code in codes:
        code = str(code).strip().lower()
        if not code or code in out:
            continue
        if scale_for(actor, code) is None:
            raise ServiceError(_("There is no scale “%(code)s”.") % {"code": code}, field="scales")
        out.append(code)
    if not out:
        raise ServiceError(_("Choose at least one scale."), field="scales")
    return out


@transaction.atomic
def create_campaign(
    *,
    actor,
    org_unit,
    name: str,
    scales: Sequence[str],
    schools: Sequence,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    grades: Sequence[int] = (),
    classes: Sequence[str] = (),
    notice: str = "",
    opt_out: bool = True,
    help_text: str = "",
) -> Campaign:
    """A campaign for ``schools`` (each within the runner's scope, under ``org_unit``)."""
    name = clean_text(name, field="name", label=_("Name"), limit=100, required=True)
    if ends_at <= starts_at:
        raise ServiceError(_("The campaign must close after it opens."), field="ends_at")
    codes = _check_scales(actor, scales)
    schools = list(schools)
    if not schools:
        raise ServiceError(_("Choose at least one school."), field="schools")
    for s in schools:
        if not (s.path or "").startswith(org_unit.path) or s.level != "school":
            raise ServiceError(
                _("“%(school)s” is not a school under %(unit)s.")
                % {"school": s.name, "unit": org_unit.name},
                field="schools",
            )
    try:
        grade_list = sorted({int(g) for g in grades})
    except (TypeError, ValueError):
        raise ServiceError(_("Grades are numbers from 1 to 12."), field="grades") from None
    if any(not 1 <= g <= 12 for g in grade_list):
        raise ServiceError(_("Grades are numbers from 1 to 12."), field="grades")
    campaign = Campaign(
        org_unit=org_unit,
        name=name,
        scales=codes,
        grades=grade_list,
        classes=sorted({str(c).strip() for c in classes if str(c).strip()}),
        starts_at=starts_at,
        ends_at=ends_at,
        notice=clean_text(notice, field="notice", label=_("Notice"), limit=4000),
        opt_out=bool(opt_out),
        help_text=clean_text(help_text, field="help_text", label=_("Help-line text"), limit=1000),
        class_code=random_code(8),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    require(actor, "add", campaign)
    campaign.save()
    campaign.schools.set(schools)
    audit.record(
        actor,
        campaign,
        Action.CREATE,
        audit.snapshot(campaign, ["name", "scales", "grades", "classes", "starts_at", "ends_at"]),
    )
    return campaign


def _target_students(campaign: Campaign):
    qs = Student.objects.filter(school__in=campaign.schools.all())
    if campaign.grades:
        qs = qs.filter(grade__in=campaign.grades)
    if campaign.classes:
        qs = qs.filter(class_name__in=campaign.classes)
    return qs


@transaction.atomic
def open_campaign(*, actor, campaign: Campaign) -> int:
    """Open the campaign: one participation (with its one-time code) for every student of
    its classes not yet in it. Returns how many were added."""
    campaign = locked(actor, "change", campaign)
    if campaign.status == Campaign.Status.CLOSED:
        raise ServiceError(_("The campaign is closed."))
    have = set(campaign.participations.values_list("student_id", flat=True))
    rows = [
        Participation(campaign=campaign, student_id=sid, school_id=school_id, code=random_code(10))
        for sid, school_id in _target_students(campaign).values_list("id", "school_id")
        if sid not in have
    ]
    Participation.objects.bulk_create(rows, batch_size=2000)
    stamps.bump(figures_key(campaign.pk))
    campaign.status = Campaign.Status.OPEN
    campaign.version += 1
    campaign.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor,
        campaign,
        Action.STATUS,
        {"status": ["draft", "open"], "participants": [None, len(rows)]},
    )
    return len(rows)


@transaction.atomic
def close_campaign(*, actor, campaign: Campaign) -> Campaign:
    campaign = locked(actor, "change", campaign)
    if campaign.status != Campaign.Status.CLOSED:
        old = campaign.status
        campaign.status = Campaign.Status.CLOSED
        campaign.version += 1
        campaign.save(update_fields=["status", "version", "updated_at"])
        audit.record(actor, campaign, Action.STATUS, {"status": [old, "closed"]})
    return campaign


@transaction.atomic
def record_opt_out(*, actor, participation: Participation, note: str = "") -> Participation:
    """The parents opted out (recorded by a counsellor of the school)."""
    p = locked(actor, "change", participation)
    if not p.campaign.opt_out:
        raise ServiceError(_("This campaign does not allow opting out."))
    if p.status in (Participation.Status.FINISHED, Participation.Status.OPTED_OUT):
        raise ServiceError(_("This questionnaire is already finished."))
    p.status = Participation.Status.OPTED_OUT
    p.opt_out_note = clean_text(note, field="note", label=_("Note"), limit=500)
    p.version += 1
    p.save(update_fields=["status", "opt_out_note", "version"])
    stamps.bump(figures_key(p.campaign_id))
    audit.record(actor, p, Action.STATUS, {"status": [None, "opted_out"]}, message=p.student.key)
    return p


# --- answering -----------------------------------------------------------------------------


class Closed(ServiceError):
    """The campaign is outside its window (the page says so, plainly)."""


def steps(campaign: Campaign) -> list[tuple[str, int]]:
    """Every screen of the questionnaire: (scale code, 1-based item)."""
    out = []
    for code in campaign.scales:
        scale = sc.SHIPPED.get(code) or _custom(code)
        out.extend((code, i) for i in range(1, scale.n_items + 1))
    return out


def _custom(code: str) -> sc.Scale:
    return Scale.objects.get(code=code).as_scale()


def scale_by_code(code: str) -> sc.Scale:
    return sc.SHIPPED.get(code) or _custom(code)


def find_for_answering(*, code: str = "", class_code: str = "", key: str = "") -> Participation:
    """The participation a student answers, by one-time code, or class code + student key;
    one message for anything not found."""
    code = "".join(code.split()).upper()
    class_code = "".join(class_code.split()).upper()
    key = key.strip()
    qs = Participation.objects.select_related("campaign", "student")
    p = None
    if code:
        p = qs.filter(code=code).first()
    elif class_code and key:
        p = qs.filter(campaign__class_code=class_code, student__key=key).first()
    if p is None:
        raise ServiceError(_("This code is not valid. Check it with your teacher."), field="code")
    check_answerable(p)
    return p


def may_try_code(address: str) -> bool:
    """Count one attempt at a code from ``address`` (the answering page and the API share
    the count): False once over ``WELLBEING_CODE_ATTEMPTS_PER_MINUTE`` (generous: a
    classroom shares one address), so that codes cannot be guessed by trying many."""
    limit = int(getattr(settings, "WELLBEING_CODE_ATTEMPTS_PER_MINUTE", 300))
    return ratelimit.hit("wellbeing-code", address or "-", limit=limit)


ANSWER_TOKEN_SALT = "jiaoyan.wellbeing.answering"
ANSWER_TOKEN_MAX_AGE = 24 * 3600  # a questionnaire is resumed with the code after that


def answer_token(p: Participation) -> str:
    """What an API client answering ``p`` sends back with each answer (the page keeps the
    participation in the session instead): the participation's id, signed (a client
    cannot make one for another questionnaire), for a day; never the code itself."""
    return signing.dumps(p.pk, salt=ANSWER_TOKEN_SALT)


def find_by_token(token: str) -> Participation:
    """The participation an answering token names; the code's message for a token that is
    forged, expired or names nothing (the answering rules are checked by the caller)."""
    try:
        pk = signing.loads(token or "", salt=ANSWER_TOKEN_SALT, max_age=ANSWER_TOKEN_MAX_AGE)
    except signing.BadSignature:
        pk = None
    p = (
        Participation.objects.select_related("campaign").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if p is None:
        raise ServiceError(_("This code is not valid. Check it with your teacher."), field="code")
    return p


def answer_state(p: Participation, now: dt.datetime | None = None) -> str:
    """``closed`` (outside the window), ``done`` (handed in or opted out) or ``open``."""
    if not p.campaign.is_open(now):
        return "closed"
    if p.status in (
        Participation.Status.FINISHED,
        Participation.Status.INVALID,
        Participation.Status.OPTED_OUT,
    ):
        return "done"
    return "open"


def check_answerable(p: Participation, now: dt.datetime | None = None) -> None:
    if not p.campaign.is_open(now):
        raise Closed(_("This screening is not open now."))
    if p.status in (Participation.Status.FINISHED, Participation.Status.INVALID):
        raise ServiceError(_("This questionnaire has already been handed in."), field="code")
    if p.status == Participation.Status.OPTED_OUT:
        raise ServiceError(_("This questionnaire is not to be answered."), field="code")


def next_step(p: Participation) -> int:
    """Index in :func:`steps` of the first unanswered screen (len: all answered)."""
    for n, (code, item) in enumerate(steps(p.campaign)):
        given = p.answers.get(code) or []
        if len(given) < item or given[item - 1] is None:
            return n
    return len(steps(p.campaign))


@dataclass(frozen=True)
class Screen:
    """One screen of the questionnaire as the student sees it: no scale code, no scores."""

    step: int  # index in :func:`steps`
    total: int
    scale: sc.Scale
    item_text: str
    current: int | None  # the answer given before (resumed), if any


def screen(p: Participation, step: int | None = None) -> Screen | None:
    """Screen ``step`` (default: the first unanswered; never beyond it, so that questions
    are answered in order), or None when every question is answered (hand-in next)."""
    all_steps = steps(p.campaign)
    n = next_step(p)
    if step is not None:
        n = max(0, min(step, n))
    if n >= len(all_steps):
        return None
    code, item = all_steps[n]
    scale = scale_by_code(code)
    given = p.answers.get(code) or []
    current = given[item - 1] if len(given) >= item else None
    return Screen(n, len(all_steps), scale, scale.items[item - 1], current)


@transaction.atomic
def save_answer(*, participation_id: int, step: int, value: Any) -> Participation:
    """Save one answer at once (nothing is lost if the phone drops the connection)."""
    p = (
        Participation.objects.select_for_update()
        .select_related("campaign")
        .get(pk=participation_id)
    )
    check_answerable(p)
    all_steps = steps(p.campaign)
    if not isinstance(step, int) or not 0 <= step < len(all_steps):
        raise ServiceError(_("There is no such question."), field="step")
    code, item = all_steps[step]
    scale = scale_by_code(code)
    last = len(scale.options) - 1
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= last:
        raise ServiceError(_("Choose one of the answers."), field="answer")
    given = list(p.answers.get(code) or [])
    given += [None] * (scale.n_items - len(given))
    given[item - 1] = value
    p.answers = {**p.answers, code: given}
    fields = ["answers"]
    if p.status == Participation.Status.PENDING:
        p.status = Participation.Status.STARTED
        p.started_at = timezone.now()
        fields += ["status", "started_at"]
    p.save(update_fields=fields)
    return p


@transaction.atomic
def hand_in(*, participation_id: int) -> Participation:
    """The student hands the questionnaire in: checked for validity, scored, alerts
    raised; a second hand-in is refused."""
    p = (
        Participation.objects.select_for_update()
        .select_related("campaign")
        .get(pk=participation_id)
    )
    check_answerable(p)
    if next_step(p) < len(steps(p.campaign)):
        raise ServiceError(_("Some questions are not answered yet."))
    p.finished_at = timezone.now()
    seconds = (p.finished_at - p.started_at).total_seconds() if p.started_at else None
    _finish(p, seconds)
    return p


def _finish(p: Participation, seconds: float | None) -> None:
    reason = ""
    for code in p.campaign.scales:
        reason = reason or sc.invalid_reason(
            scale_by_code(code), p.answers.get(code) or [], seconds
        )
    p.invalid_reason = reason
    p.status = Participation.Status.INVALID if reason else Participation.Status.FINISHED
    p.version += 1
    p.save(update_fields=["finished_at", "invalid_reason", "status", "version"])
    score_participation(p)


@transaction.atomic
def enter_paper_answers(
    *, actor, participation: Participation, answers: dict[str, Sequence[int]]
) -> Participation:
    """A counsellor enters a paper questionnaire (all answers at once)."""
    p = locked(actor, "change", participation)
    if p.status in (Participation.Status.FINISHED, Participation.Status.INVALID):
        raise ServiceError(_("This questionnaire has already been handed in."))
    if p.status == Participation.Status.OPTED_OUT:
        raise ServiceError(_("This questionnaire is not to be answered."))
    cleaned = {}
    for code in p.campaign.scales:
        if code not in answers:
            raise ServiceError(
                _("The answers to %(scale)s are missing.") % {"scale": code}, field="answers"
            )
        cleaned[code] = sc.check_answers(scale_by_code(code), list(answers[code]))
    p.answers = cleaned
    p.on_paper = True
    p.started_at = p.started_at or timezone.now()
    p.finished_at = timezone.now()
    p.save(update_fields=["answers", "on_paper", "started_at"])
    _finish(p, None)
    audit.record(actor, p, Action.UPDATE, {"answers": [None, "***"]}, message=p.student.key)
    return p


@transaction.atomic
def offer_retest(*, actor, participation: Participation) -> Participation:
    """A new questionnaire (new code) for an invalid or flagged one, in the same campaign."""
    p = locked(actor, "change", participation)
    if p.status not in (Participation.Status.INVALID, Participation.Status.FINISHED):
        raise ServiceError(_("Only a handed-in questionnaire can be re-tested."))
    new = Participation.objects.create(
        campaign=p.campaign,
        student=p.student,
        school_id=p.school_id,
        code=random_code(10),
        retest_of=p,
    )
    stamps.bump(figures_key(p.campaign_id))
    audit.record(actor, new, Action.CREATE, {"retest_of": [None, p.pk]}, message=p.student.key)
    return new


# --- scoring, risk and alerts -----------------------------------------------------------------


def rules_for(school, scale_code: str, cache: dict | None = None) -> list[RiskRule]:
    """The risk rules of the nearest bureau (or region) above ``school`` with rules for
    ``scale_code``."""
    ids = path_ids(school.path)
    key = (tuple(ids), scale_code)
    if cache is not None and key in cache:
        return cache[key]
    rules = list(
        RiskRule.objects.filter(
            Q(org_unit_id__in=ids) | Q(org_unit__parent_id__in=ids, org_unit__kind="bureau"),
            scale=scale_code,
        ).select_related("org_unit")
    )
    if rules:
        depth = max(len(path_ids(r.org_unit.path)) for r in rules)
        rules = [r for r in rules if len(path_ids(r.org_unit.path)) == depth]
        rules.sort(key=lambda r: (r.order, r.pk))
    if cache is not None:
        cache[key] = rules
    return rules


def risk_of(rule: RiskRule, result: dict, answers: Sequence[int]) -> bool:
    if rule.min_total is not None and result["total"] < rule.min_total:
        return False
    for name, low in (rule.factors or {}).items():
        if result["factors"].get(name, -(10**9)) < int(low):
            return False
    for item, low in (rule.items or {}).items():
        i = int(item)
        if i < 1 or i > len(answers) or answers[i - 1] < int(low):
            return False
    return True


LEVEL_ORDER = {"": 0}


def _scored(p: Participation, rule_cache: dict | None) -> tuple[dict, str, list[tuple[str, str]]]:
    """A handed-in participation's results per scale, its risk level and the alerts it
    calls for. Invalid answers are scored (for the counsellor) but raise no risk level; a
    crisis item raises an alert even then."""
    results = {}
    risk = ""
    risk_rank = 10**6
    alerts: list[tuple[str, str]] = []
    school = p.school
    for code in p.campaign.scales:
        scale = scale_by_code(code)
        given = p.answers.get(code) or []
        r = sc.score(scale, given).as_dict()
        results[code] = r
        if r["crisis"]:
            alerts.append((Alert.Reason.CRISIS, code))
        if p.status == Participation.Status.INVALID:
            continue
        for rule in rules_for(school, code, rule_cache):
            if risk_of(rule, r, given):
                if rule.order < risk_rank:
                    risk, risk_rank = rule.level, rule.order
                if rule.alert:
                    alerts.append((Alert.Reason.RISK, code))
                break
    return results, risk, alerts


def score_participation(p: Participation, *, rule_cache: dict | None = None) -> list[Alert]:
    """Score a handed-in participation, set its risk level and raise its alerts (at once:
    the school's counsellors are notified); the campaign's figures change."""
    p.results, p.risk, alerts = _scored(p, rule_cache)
    p.scored_at = timezone.now()
    p.save(update_fields=["results", "risk", "scored_at"])
    stamps.bump(figures_key(p.campaign_id))
    return raise_alerts(p, alerts)


def score_many(participations: Sequence[Participation], *, rule_cache: dict) -> int:
    """Score a slice of a campaign's handed-in participations again (the scoring job):
    what :func:`score_participation` does for each, with one batched UPDATE for all and
    alerts raised only where one is not raised yet (a re-score raises none twice).
    Returns how many alerts were raised."""
    if not participations:
        return 0
    now = timezone.now()
    wanted = []
    for p in participations:
        p.results, p.risk, alerts = _scored(p, rule_cache)
        p.scored_at = now
        if alerts:
            wanted.append((p, alerts))
    bulk.bulk_update(Participation, participations, ["results", "risk", "scored_at"], 500)
    raised = set(
        Alert.objects.filter(participation__in=[p for p, _a in wanted]).values_list(
            "participation_id", "reason", "scale"
        )
    )
    made = 0
    for p, alerts in wanted:
        new = [(reason, code) for reason, code in alerts if (p.pk, reason, code) not in raised]
        if new:
            made += len(raise_alerts(p, new))
    stamps.bump(figures_key(participations[0].campaign_id))
    return made


def raise_alerts(p: Participation, reasons: Iterable[tuple[str, str]]) -> list[Alert]:
    made = []
    for reason, code in dict.fromkeys(reasons):
        try:
            with transaction.atomic():
                made.append(
                    Alert.objects.create(
                        participation=p,
                        student_id=p.student_id,
                        school_id=p.school_id,
                        reason=reason,
                        scale=code,
                    )
                )
        except IntegrityError:
            continue  # raised before (a re-score)
    if made:
        audit.record(
            None,
            made[0],
            Action.CREATE,
            {"alerts": [None, len(made)]},
            message=_("Alert raised for student %(key)s") % {"key": p.student.key},
        )
        recipients = counsellors_of(p.school)
        url = reverse("wellbeing:alert", args=[made[0].pk])
        transaction.on_commit(
            lambda: notify(
                recipients,
                title=_("A screening alert needs you"),
                body=_("A questionnaire handed in at your school raised an alert."),
                url=url,
                kind="warning",
                dedupe_key=f"wellbeing-alert-{made[0].pk}",
            )
        )
    return made


def counsellors_of(school) -> list:
    """Accounts of the counsellors of ``school`` holding the wellbeing permission on it."""
    from jiaoyan.people.models import RoleAssignment

    users = (
        RoleAssignment.objects.filter(
            role=Role.COUNSELLOR,
            org_unit_id__in=path_ids(school.path),
            person__user__isnull=False,
            person__user__is_active=True,
        )
        .select_related("person__user")
        .distinct()
    )
    return [
        ra.person.user
        for ra in users
        if restricted.has_permission(ra.person.user, restricted.WELLBEING, school)
    ]


@transaction.atomic
def handle_alert(*, actor, alert: Alert, note: str, expected_version: int | None = None) -> Alert:
    """Mark an alert handled with a note (encrypted); a stale version is refused, so two
    counsellors do not overwrite each other."""
    a = locked(actor, "change", alert)
    check_version(a, expected_version)
    if a.status == Alert.Status.HANDLED:
        raise ServiceError(_("This alert has already been handled."))
    a.note = clean_text(note, field="note", label=_("Note"), limit=4000, required=True)
    a.status = Alert.Status.HANDLED
    a.handled_by = actor if getattr(actor, "pk", None) else None
    a.handled_at = timezone.now()
    a.version += 1
    a.updated_at = a.handled_at
    a.save()
    audit.record(
        actor, a, Action.STATUS, {"status": ["open", "handled"], "note": [None, audit.ENCRYPTED]}
    )
    return a


def start_scoring(*, actor, campaign: Campaign):
    """Score every handed-in questionnaire of the campaign again (a background job)."""
    require(actor, "change", campaign)
    return start_job(
        "wellbeing.score_campaign",
        actor=actor,
        org_unit=campaign.org_unit,
        params={"campaign": campaign.pk},
    )
