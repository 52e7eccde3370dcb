"""Writes of the hours app.

Records: callers (the module that owns the source) decide who earned what;
:func:`sync_for_source` keeps the records exactly in step with that decision — crediting is
idempotent per (person, source), and a person no longer entitled loses the record — and
refreshes the people's cycles (:func:`refresh_cycles`), whose kept progress every report
reads. Rules: a bureau's categories and policy. External declarations: declared by the
person, approved or rejected by their school. Reminders to people behind schedule.
Certificates live in :mod:`jiaoyan.hours.certificates`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import path_ids
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import has_role, locked, require, scope_q
from jiaoyan.core.services import apply_changes, check_version, clean_text
from jiaoyan.orgs.models import OrgUnit

from . import queries, rules
from .models import ExternalDeclaration, HoursCategory, HoursCycle, HoursPolicy, HoursRecord

Action = AuditLog.Action

#: Evidence files a declaration takes (a scan or photo of the certificate); they are
#: always served as downloads (``core.pages.stored_file_response``), never inline.
EVIDENCE_TYPES = {".pdf", ".jpg", ".jpeg", ".png", ".ofd"}
MAX_DECLARED_HOURS = Decimal("200")
#: Two titles this alike (difflib ratio, after dropping spaces and punctuation) are the
#: same training.
SIMILAR = 0.6


# --- records ------------------------------------------------------------------------------


def sync_for_source(
    source: models.Model,
    *,
    person_ids: Iterable[int],
    hours: Decimal | Mapping[int, Decimal],
    date: dt.date,
    title: str,
    kind: str,
    credited_by_id: int | None = None,
    category_id: int | None = None,
) -> tuple[int, int]:
    """Make the records of ``source`` be exactly one per person in ``person_ids``.

    ``hours`` is one value for everybody, or a mapping person id -> hours (a training
    programme crediting the hours of the sessions each person attended). Run inside the
    caller's transaction (after its permission check and audit). Returns (created,
    removed). Hours, a title, a date or a category changed since the last call are
    updated. The cycles of everyone concerned are refreshed.
    """
    ct = ContentType.objects.get_for_model(type(source))
    wanted = set(person_ids)
    per_person = hours if isinstance(hours, Mapping) else None

    def hours_of(pid: int) -> Decimal:
        return per_person[pid] if per_person is not None else hours  # type: ignore[return-value]

    existing = HoursRecord.objects.filter(source_type=ct, source_id=source.pk)
    have = set(existing.values_list("person_id", flat=True))
    removed = 0
    gone = have - wanted
    if gone:
        removed, _n = existing.filter(person_id__in=gone).delete()
    kept = have & wanted
    groups: dict[Decimal, list[int]] = {}
    for pid in kept:
        groups.setdefault(hours_of(pid), []).append(pid)
    changed = 0
    for value, ids in groups.items():
        changed += (
            existing.filter(person_id__in=ids)
            .exclude(hours=value, title=title[:200], date=date, category_id=category_id)
            .update(hours=value, title=title[:200], date=date, category_id=category_id)
        )
    new = [
        HoursRecord(
            person_id=pid,
            hours=hours_of(pid),
            kind=kind,
            date=date,
            title=title[:200],
            source_type=ct,
            source_id=source.pk,
            credited_by_id=credited_by_id,
            category_id=category_id,
        )
        for pid in sorted(wanted - have)
    ]
    HoursRecord.objects.bulk_create(new, batch_size=2000)
    touched = (wanted - have) | gone | ((have & wanted) if changed else set())
    if touched:
        refresh_cycles(touched)
    return len(new), removed


def revoke_for_source(source: models.Model) -> int:
    ct = ContentType.objects.get_for_model(type(source))
    rows = HoursRecord.objects.filter(source_type=ct, source_id=source.pk)
    people = set(rows.values_list("person_id", flat=True))
    n, _n = rows.delete()
    if people:
        refresh_cycles(people)
    return n


# --- cycles -------------------------------------------------------------------------------


def _person_paths(person_ids: Iterable[int]) -> dict[int, str]:
    from jiaoyan.people.models import Person

    return dict(Person.objects.filter(pk__in=list(person_ids)).values_list("pk", "org_unit__path"))


def new_cycle(
    person_id: int, path: str, year: int, settings: rules.Settings | None = None
) -> HoursCycle:
    """An unsaved current cycle of the person holding ``year``, under the rules that apply
    on ``path`` now (kept in the cycle)."""
    settings = settings or rules.Settings()
    policy = settings.policy(path)
    start = policy.cycle_start(year)
    return HoursCycle(
        person_id=person_id,
        start_year=start,
        end_year=start + policy.cycle_years - 1,
        required_hours=policy.required_hours,
        hours_per_credit=policy.hours_per_credit,
        rules=rules.snapshot(policy, settings.categories(path)),
        policy_unit_id=policy.unit_id,
        is_current=True,
    )


def refresh_cycles(person_ids: Iterable[int], *, today: dt.date | None = None) -> int:
    """Bring the current cycles of these people up to date: open one where a person has
    none (or theirs has ended: it stops being current), and recount each one's progress
    from its records. A few queries whatever the number of people. Returns how many."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    today = today or timezone.localdate()
    cycles: dict[int, HoursCycle] = {}
    ended: list[int] = []
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start : chunk_start + 900]
        for c in HoursCycle.objects.filter(person_id__in=chunk, is_current=True):
            if c.end_year < today.year:
                ended.append(c.pk)
            else:
                cycles[c.person_id] = c
    if ended:
        HoursCycle.objects.filter(pk__in=ended).update(is_current=False)
    missing = [pid for pid in ids if pid not in cycles]
    if missing:
        settings = rules.Settings()
        paths = _person_paths(missing)
        fresh = [
            new_cycle(pid, paths[pid], today.year, settings) for pid in missing if pid in paths
        ]
        # A cycle of that start year may exist (no longer current): take it back.
        taken = {
            (c.person_id, c.start_year): c
            for c in HoursCycle.objects.filter(
                person_id__in=[c.person_id for c in fresh], is_current=False
            )
        }
        to_create, back = [], []
        for c in fresh:
            old = taken.get((c.person_id, c.start_year))
            if old is not None:
                old.is_current = True
                cycles[c.person_id] = old
                back.append(old.pk)
            else:
                to_create.append(c)
        if back:
            HoursCycle.objects.filter(pk__in=back).update(is_current=True)
        HoursCycle.objects.bulk_create(to_create, batch_size=2000)  # sets their pks
        for c in to_create:
            cycles[c.person_id] = c
        if to_create or back:
            queries.forget_cycle_pairs()  # a new kind of cycle may exist
    recount(list(cycles.values()))
    return len(cycles)


def recount(cycles: list[HoursCycle]) -> None:
    """Recount the kept progress of ``cycles`` from their records (one query for the
    records of them all, one bulk update)."""
    if not cycles:
        return
    by_person: dict[int, list[rules.Row]] = {c.person_id: [] for c in cycles}
    first = min(c.start_year for c in cycles)
    last = max(c.end_year for c in cycles)
    people = list(by_person)
    for i in range(0, len(people), 900):
        rows = (
            HoursRecord.objects.filter(
                person_id__in=people[i : i + 900],
                date__gte=dt.date(first, 1, 1),
                date__lte=dt.date(last, 12, 31),
            )
            .order_by("person_id", "date", "id")
            .values_list("person_id", "date", "hours", "kind", "category_id")
        )
        for pid, day, hours, kind, cat in rows:
            by_person[pid].append((day, hours, kind, cat))
    now = timezone.now()
    for c in cycles:
        fill_progress(c, by_person[c.person_id], now)
    HoursCycle.objects.bulk_update(
        cycles, ["earned", "credited", "by_category", "by_year", "refreshed_at"], batch_size=1000
    )


def fill_progress(cycle: HoursCycle, rows: list[rules.Row], now: dt.datetime) -> None:
    """Set the kept progress of ``cycle`` (unsaved) from the person's record rows (date
    order; rows outside the cycle's years are left out)."""
    mine = [r for r in rows if cycle.start_year <= r[0].year <= cycle.end_year]
    counted = rules.count(mine, cycle.rules or {})
    cycle.earned = counted.earned
    cycle.credited = counted.credited
    cycle.by_category = {k: str(v) for k, v in counted.by_category.items()}
    cycle.by_year = {k: str(v) for k, v in counted.by_year.items()}
    cycle.refreshed_at = now


@transaction.atomic
def open_cycle(*, actor, person, start_year: int) -> HoursCycle:
    """Start a new current cycle for ``person`` from ``start_year`` under today's rules
    (the school or district does this when a cycle was set wrongly; the old one stays,
    no longer current)."""
    probe = HoursCycle(person=person)
    require(actor, "add", probe)
    today = timezone.localdate()
    if not (today.year - 10 <= int(start_year) <= today.year + 1):
        raise ServiceError(_("Choose a first year near this one."), field="start_year")
    if HoursCycle.objects.filter(person=person, start_year=start_year).exists():
        raise ServiceError(_("This person already has a cycle from that year."), field="start_year")
    settings = rules.Settings()
    cycle = new_cycle(person.pk, person.org_unit.path, int(start_year), settings)
    policy = settings.policy(person.org_unit.path)
    cycle.start_year = int(start_year)
    cycle.end_year = int(start_year) + policy.cycle_years - 1
    HoursCycle.objects.filter(person=person, is_current=True).update(is_current=False)
    cycle.save()
    queries.forget_cycle_pairs()
    recount([cycle])
    audit.record(actor, cycle, Action.CREATE, {"start_year": [None, cycle.start_year]})
    return cycle


# --- categories and policy ----------------------------------------------------------------


def _decimal(value, *, field: str, label: str, required: bool = False) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ServiceError(_("%(label)s is required.") % {"label": label}, field=field)
        return None
    try:
        out = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            _("%(label)s must be a number.") % {"label": label}, field=field
        ) from None
    if not out.is_finite() or out < 0 or out > Decimal("99999"):
        raise ServiceError(
            _("%(label)s must be between 0 and 99999.") % {"label": label}, field=field
        )
    return out.quantize(rules.ONE)


def _bureau(actor, org_unit: OrgUnit, model: type[models.Model]) -> None:
    if org_unit.kind not in (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE):
        raise ServiceError(_("Hours rules are set by a bureau."), field="org_unit")
    require(actor, "add", model(org_unit=org_unit))


@transaction.atomic
def create_category(
    *,
    actor,
    org_unit: OrgUnit,
    code: str,
    name: str,
    order: int = 0,
    yearly_cap=None,
    cycle_minimum=None,
) -> HoursCategory:
    """A category of hours for the units below ``org_unit`` (a bureau)."""
    _bureau(actor, org_unit, HoursCategory)
    code = clean_text(code, field="code", label=_("Code"), limit=20, required=True)
    name = clean_text(name, field="name", label=_("Name"), limit=60, required=True)
    if HoursCategory.objects.filter(org_unit=org_unit, code=code).exists():
        raise ServiceError(_("This bureau already has a category with this code."), field="code")
    category = HoursCategory.objects.create(
        org_unit=org_unit,
        code=code,
        name=name,
        order=int(order or 0),
        yearly_cap=_decimal(yearly_cap, field="yearly_cap", label=_("Yearly cap")),
        cycle_minimum=_decimal(cycle_minimum, field="cycle_minimum", label=_("Minimum")),
    )
    audit.record(actor, category, Action.CREATE, {"code": [None, code], "name": [None, name]})
    return category


CATEGORY_FIELDS = ("name", "order", "active", "yearly_cap", "cycle_minimum")


@transaction.atomic
def update_category(*, actor, category: HoursCategory, data: dict, **_ignored) -> dict:
    category = locked(actor, "change", category)
    clean = dict(data)
    if "name" in clean:
        clean["name"] = clean_text(
            clean["name"], field="name", label=_("Name"), limit=60, required=True
        )
    for key, label in (("yearly_cap", _("Yearly cap")), ("cycle_minimum", _("Minimum"))):
        if key in clean:
            clean[key] = _decimal(clean[key], field=key, label=label)
    return apply_changes(actor, category, clean, CATEGORY_FIELDS)


POLICY_FIELDS = (
    "cycle_years",
    "first_cycle_year",
    "required_hours",
    "hours_per_credit",
    "external_yearly_cap",
)


@transaction.atomic
def set_policy(
    *,
    actor,
    org_unit: OrgUnit,
    cycle_years: int,
    first_cycle_year: int,
    required_hours,
    hours_per_credit,
    external_yearly_cap=None,
    expected_version: int | None = None,
) -> HoursPolicy:
    """Set a bureau's credit rules (cycles opened from now on keep them)."""
    _bureau(actor, org_unit, HoursPolicy)
    years = int(cycle_years or 0)
    if not 1 <= years <= 10:
        raise ServiceError(_("A cycle lasts 1 to 10 years."), field="cycle_years")
    first = int(first_cycle_year or 0)
    if not 2000 <= first <= 2100:
        raise ServiceError(_("Choose a year between 2000 and 2100."), field="first_cycle_year")
    data = {
        "cycle_years": years,
        "first_cycle_year": first,
        "required_hours": _decimal(
            required_hours, field="required_hours", label=_("Required hours"), required=True
        ),
        "hours_per_credit": _decimal(
            hours_per_credit,
            field="hours_per_credit",
            label=_("Hours per credit"),
            required=True,
        ),
        "external_yearly_cap": _decimal(
            external_yearly_cap, field="external_yearly_cap", label=_("External hours cap")
        ),
    }
    if not data["hours_per_credit"]:
        raise ServiceError(_("Hours per credit must be above 0."), field="hours_per_credit")
    policy = HoursPolicy.objects.select_for_update().filter(org_unit=org_unit).first()
    if policy is None:
        policy = HoursPolicy.objects.create(org_unit=org_unit, **data)
        audit.record(actor, policy, Action.CREATE, {k: [None, str(v)] for k, v in data.items()})
        return policy
    require(actor, "change", policy)
    apply_changes(actor, policy, data, POLICY_FIELDS, expected_version=expected_version)
    return policy


# --- external declarations ----------------------------------------------------------------


def _plain(title: str) -> str:
    return re.sub(r"[\W_]+", "", title or "").lower()


def similar(a: str, b: str) -> bool:
    """Two titles naming the same training (one inside the other, or alike enough)."""
    x, y = _plain(a), _plain(b)
    if not x or not y:
        return False
    if x in y or y in x:
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= SIMILAR


def duplicate_of(
    person_id: int, title: str, start: dt.date, end: dt.date, *, exclude: int | None = None
) -> str | None:
    """What a declaration would duplicate: a record of the person dated within its dates
    with a similar title, or another pending or approved declaration overlapping them
    with a similar title — named for the message. None: not a duplicate."""
    ct = ContentType.objects.get_for_model(ExternalDeclaration)
    records = HoursRecord.objects.filter(person_id=person_id, date__gte=start, date__lte=end)
    if exclude:
        records = records.exclude(source_type=ct, source_id=exclude)
    for r in records.order_by("date", "id")[:200]:
        if similar(r.title, title):
            return _("the hours record “%(title)s” of %(date)s (%(hours)s hours)") % {
                "title": r.title,
                "date": r.date,
                "hours": r.hours,
            }
    others = ExternalDeclaration.objects.filter(
        person_id=person_id,
        status__in=[ExternalDeclaration.Status.PENDING, ExternalDeclaration.Status.APPROVED],
        start_date__lte=end,
        end_date__gte=start,
    )
    if exclude:
        others = others.exclude(pk=exclude)
    for d in others.order_by("start_date", "id")[:200]:
        if similar(d.title, title):
            return _("the declaration “%(title)s” of %(start)s (%(status)s)") % {
                "title": d.title,
                "start": d.start_date,
                "status": d.get_status_display(),
            }
    return None


def check_evidence(evidence, *, field: str = "evidence") -> str:
    """A declaration's evidence: a file of an allowed type within the attachment limit
    (``core.uploads.check_file``). Returns its clean name."""
    if evidence is None or not getattr(evidence, "name", ""):
        raise ServiceError(_("Attach the certificate or other evidence."), field=field)
    ext = os.path.splitext(evidence.name)[1].lower()
    if ext not in EVIDENCE_TYPES:
        raise ServiceError(_("Evidence must be a PDF, JPG, PNG or OFD file."), field=field)
    name = uploads.check_file(evidence, "attachment", field=field)
    if getattr(evidence, "size", 0) == 0:
        raise ServiceError(_("The evidence file is empty."), field=field)
    return name


def _school_approvers(person) -> list[int]:
    """Accounts of the principals and admins whose units hold the person's unit."""
    from jiaoyan.people.models import RoleAssignment

    ids = path_ids(person.org_unit.path)
    return list(
        RoleAssignment.objects.filter(
            is_active=True,
            role__in=[Role.PRINCIPAL, Role.BUREAU_ADMIN],
            org_unit_id__in=ids,
            person__user__isnull=False,
        )
        .filter(Q(role=Role.PRINCIPAL) | Q(org_unit_id=person.org_unit_id))
        .values_list("person__user_id", flat=True)
        .distinct()
    )


def may_declare(request, user, kwargs) -> None:
    """The upload guard of a declaration (page and API): only a person with a staff
    record declares, refused before the evidence is read."""
    if getattr(user, "person", None) is None:
        raise PermissionDenied(_("Only a person with a staff record can declare hours."))


@transaction.atomic
def declare_external(
    *,
    actor,
    title: str,
    organiser: str,
    start_date: dt.date,
    end_date: dt.date,
    hours,
    evidence,
    category: HoursCategory | None = None,
) -> ExternalDeclaration:
    """The signed-in person declares external training with its evidence; their school's
    principal is told. Refused when it duplicates a platform record or another
    declaration (the message names it)."""
    person = getattr(actor, "person", None)
    if person is None:
        raise ServiceError(_("Only a person with a staff record can declare hours."))
    require(actor, "add", ExternalDeclaration(person=person))
    title = clean_text(title, field="title", label=_("Training"), limit=200, required=True)
    organiser = clean_text(
        organiser, field="organiser", label=_("Organiser"), limit=200, required=True
    )
    if start_date is None or end_date is None:
        raise ServiceError(_("Give the dates of the training."), field="start_date")
    if end_date < start_date:
        raise ServiceError(_("The training ends before it starts."), field="end_date")
    if end_date > timezone.localdate():
        raise ServiceError(_("Declare training once it has ended."), field="end_date")
    amount = _decimal(hours, field="hours", label=_("Hours"), required=True)
    if not amount or amount > MAX_DECLARED_HOURS:
        raise ServiceError(
            _("Hours must be above 0 and at most %(n)s.") % {"n": MAX_DECLARED_HOURS},
            field="hours",
        )
    if category is not None:
        allowed = {c.id for c in rules.Settings().categories(person.org_unit.path)}
        if category.pk not in allowed:
            raise ServiceError(_("This category does not apply to you."), field="category")
    evidence_name = check_evidence(evidence)
    dup = duplicate_of(person.pk, title, start_date, end_date)
    if dup:
        raise ServiceError(
            _("This training is already on your record: %(what)s.") % {"what": dup},
            field="title",
        )
    decl = ExternalDeclaration(
        person=person,
        title=title,
        organiser=organiser,
        start_date=start_date,
        end_date=end_date,
        hours=amount,
        category=category,
        evidence_name=evidence_name,
    )
    decl.evidence.save(
        f"{timezone.now():%Y%m%d%H%M%S}{os.path.splitext(evidence.name)[1].lower()}",
        evidence,
        save=False,
    )
    decl.save()
    audit.record(
        actor,
        decl,
        Action.CREATE,
        {"title": [None, title], "hours": [None, str(amount)], "organiser": [None, organiser]},
    )
    recipients = _school_approvers(person)
    decl_id, name = decl.pk, person.name
    transaction.on_commit(
        lambda: notify(
            recipients,
            title=_("%(name)s declared external training: %(title)s")
            % {"name": name, "title": title},
            url=f"/hours/declarations/{decl_id}/",
            dedupe_key=f"hours-declared-{decl_id}",
        )
    )
    return decl


def _decidable(actor, declaration: ExternalDeclaration, expected_version) -> ExternalDeclaration:
    decl = locked(actor, "change", declaration)
    if decl.person.user_id == actor.pk:
        raise ServiceError(_("Your own declaration is decided by your school."))
    check_version(decl, expected_version)
    if decl.status != ExternalDeclaration.Status.PENDING:
        raise ServiceError(
            _("This declaration is already %(status)s.") % {"status": decl.get_status_display()}
        )
    return decl


@transaction.atomic
def approve_declaration(
    *, actor, declaration: ExternalDeclaration, expected_version: int | None = None
) -> ExternalDeclaration:
    """Approve: the declared hours are credited (kind external, this declaration as the
    source) and count towards the person's cycle; the person is told."""
    decl = _decidable(actor, declaration, expected_version)
    dup = duplicate_of(decl.person_id, decl.title, decl.start_date, decl.end_date, exclude=decl.pk)
    if dup:
        raise ServiceError(
            _("This training is already on the person's record: %(what)s.") % {"what": dup}
        )
    decl.status = ExternalDeclaration.Status.APPROVED
    decl.decided_by = actor
    decl.decided_at = timezone.now()
    decl.reason = ""
    decl.version = models.F("version") + 1
    decl.save(
        update_fields=["status", "decided_by", "decided_at", "reason", "version", "updated_at"]
    )
    decl.refresh_from_db()
    sync_for_source(
        decl,
        person_ids=[decl.person_id],
        hours=decl.hours,
        date=decl.end_date,
        title=decl.title,
        kind=HoursRecord.Kind.EXTERNAL,
        credited_by_id=decl.person.org_unit_id,
        category_id=decl.category_id,
    )
    audit.record(actor, decl, Action.STATUS, {"status": ["pending", "approved"]})
    _tell(decl, _("Your external training was approved: %(title)s"))
    return decl


@transaction.atomic
def reject_declaration(
    *, actor, declaration: ExternalDeclaration, reason: str, expected_version: int | None = None
) -> ExternalDeclaration:
    """Reject with a reason the person reads."""
    decl = _decidable(actor, declaration, expected_version)
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    decl.status = ExternalDeclaration.Status.REJECTED
    decl.decided_by = actor
    decl.decided_at = timezone.now()
    decl.reason = reason
    decl.version = models.F("version") + 1
    decl.save(
        update_fields=["status", "decided_by", "decided_at", "reason", "version", "updated_at"]
    )
    decl.refresh_from_db()
    audit.record(
        actor, decl, Action.STATUS, {"status": ["pending", "rejected"], "reason": [None, reason]}
    )
    _tell(decl, _("Your external training was not approved: %(title)s"))
    return decl


@transaction.atomic
def withdraw_declaration(*, actor, declaration: ExternalDeclaration) -> ExternalDeclaration:
    """The person withdraws a declaration not yet decided."""
    decl = locked(actor, "withdraw", declaration)
    if decl.status != ExternalDeclaration.Status.PENDING:
        raise ServiceError(
            _("This declaration is already %(status)s.") % {"status": decl.get_status_display()}
        )
    decl.status = ExternalDeclaration.Status.WITHDRAWN
    decl.version = models.F("version") + 1
    decl.save(update_fields=["status", "version", "updated_at"])
    decl.refresh_from_db()
    audit.record(actor, decl, Action.STATUS, {"status": ["pending", "withdrawn"]})
    return decl


def _tell(decl: ExternalDeclaration, title: str) -> None:
    user_id = decl.person.user_id
    if not user_id:
        return
    text = title % {"title": decl.title}
    body = decl.reason
    decl_id = decl.pk
    transaction.on_commit(
        lambda: notify(
            [user_id],
            title=text,
            body=body,
            url=f"/hours/declarations/{decl_id}/",
            dedupe_key=f"hours-decided-{decl_id}-{decl.status}",
        )
    )


# --- reminders ----------------------------------------------------------------------------


@transaction.atomic
def send_reminders(*, actor, cycles: models.QuerySet, today: dt.date | None = None) -> int:
    """Remind the people of ``cycles`` (a filtered behind-schedule list) who are behind and
    whom ``actor`` may remind (principal or admin above them), once a month each
    (deduplicated); one audit row. Returns how many were sent."""
    today = today or timezone.localdate()
    rows = list(
        cycles.filter(scope_q(actor, HoursCycle, "change"))
        .filter(rules.behind_q(queries.cycle_pairs(), today))
        .exclude(person__user__isnull=True)
        .values_list("pk", "person__user_id", "earned", "required_hours", "start_year", "end_year")[
            :20000
        ]
    )
    if not rows:
        raise ServiceError(_("Nobody on this list is behind schedule and yours to remind."))
    sent = 0
    for pk, user_id, earned, required, start, end in rows:
        exp = rules.expected(required, start, end, today)
        sent += notify(
            [user_id],
            title=_("Your continuing-education hours are behind schedule"),
            body=_("%(earned)s of %(required)s hours counted; %(expected)s expected by now.")
            % {"earned": earned, "required": required, "expected": rules.q1(exp)},
            url="/hours/",
            dedupe_key=f"hours-behind-{pk}-{today:%Y-%m}",
        )
    audit.record(
        actor,
        None,
        Action.STATUS,
        {"reminders": [None, len(rows)]},
        message=_("Reminded %(n)d people behind schedule") % {"n": len(rows)},
        unit_path="",
    )
    return len(rows)


def may_remind(actor) -> bool:
    """Whether ``actor`` reminds anyone: a principal or an admin."""
    return has_role(actor, Role.PRINCIPAL, Role.BUREAU_ADMIN)
