"""Every write of research projects: calls, applications within a call's quotas, expert
assignments and reviews, batch decisions with project numbers, the stages filed and
accepted in their order, conclusion with its grade, extension, termination, and the
periodic reminder of overdue stages.

Each service takes the acting user (``actor``), checks with ``require``/``locked``, refuses
bad input with a ``ServiceError`` (a Chinese message, nothing written: every service is one
transaction) and writes an audit row. Every reference a write sets (a unit, a person, a
call, a subject) goes through ``core.resolve``. Applications to a call lock the call's row
first (``SELECT … FOR UPDATE``), as the resource library's rounds lock their round, so a
unit's quota holds under concurrent submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, stamps
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import is_under, nearest, path_ids
from jiaoyan.core.resolve import resolve, resolve_many, resolve_optional
from jiaoyan.core.scope import can, grant, locked, require, revoke_grant
from jiaoyan.core.services import apply_changes, clean_text
from jiaoyan.core.uploads import check_file
from jiaoyan.orgs.models import OrgUnit, Subject
from jiaoyan.outcomes.services import POINTS
from jiaoyan.people.models import Person

from .models import (
    FILED_STAGES,
    OPEN_STATUSES,
    STAGE_ORDER,
    Grade,
    Level,
    Project,
    ProjectCall,
    ProjectMember,
    ProjectPolicy,
    Review,
    Stage,
    StageDocument,
    StageRecord,
    forwarding_unit_id,
)

Action = AuditLog.Action
#: How many ongoing projects of one level a person may lead where no bureau set it.
DEFAULT_MAX_LED = 2
MAX_QUOTA = 1000
UPLOAD_KIND = "attachment"
#: The report each filed stage needs.
REPORT_OF = {
    Stage.APPLICATION: StageDocument.Kind.APPLICATION_FORM,
    Stage.OPENING: StageDocument.Kind.OPENING_REPORT,
    Stage.MIDTERM: StageDocument.Kind.MIDTERM_REPORT,
    Stage.CONCLUSION: StageDocument.Kind.FINAL_REPORT,
}
#: The fields of a call its runners edit (forms, API PATCH).
CALL_FIELDS = (
    "title",
    "level",
    "year",
    "topics",
    "description",
    "opens_on",
    "closes_on",
    "default_quota",
    "forwarding",
)
REVIEW_REASON = "project review"


# --- helpers -----------------------------------------------------------------------------


def _date(value: Any, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ServiceError(_("%(label)s is required.") % {"label": label}, field=field)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(
            _("%(label)s is not a date (YYYY-MM-DD).") % {"label": label}, field=field
        ) from None


def _choice(value: Any, choices, field: str, label: str) -> str:
    text = str(value or "").strip()
    if text not in choices.values:
        raise ServiceError(_("Choose a valid %(label)s.") % {"label": label}, field=field)
    return text


def _whole(value: Any, field: str, *, low: int = 0, high: int = MAX_QUOTA) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        n = -1
    if not low <= n <= high:
        raise ServiceError(
            _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            field=field,
        )
    return n


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise ServiceError(_("The budget is an amount in yuan, 0 or more."), field="budget")
    return amount.quantize(Decimal("0.01"))


def _actor_person(actor) -> Person | None:
    return getattr(actor, "person", None) if actor is not None else None


def _touch(obj, *fields: str) -> None:
    obj.version = obj.version + 1
    extra = ["version"]
    if hasattr(obj, "updated_at"):
        obj.updated_at = timezone.now()
        extra.append("updated_at")
    obj.save(update_fields=[*fields, *extra])


def _lock_project(actor, project: Project, action: str) -> Project:
    fresh = (
        Project.objects.select_for_update(of=("self",))
        .select_related("org_unit", "approving_unit", "call", "pi")
        .get(pk=project.pk)
    )
    require(actor, action, fresh)
    return fresh


def max_led(unit: OrgUnit) -> int:
    """How many ongoing projects of one level one person may lead in ``unit``: the setting
    of the nearest region above it that has one, else :data:`DEFAULT_MAX_LED`."""
    ids = path_ids(unit.path)
    by_unit = dict(
        ProjectPolicy.objects.filter(org_unit_id__in=ids).values_list("org_unit_id", "max_led")
    )
    found = nearest(by_unit, unit.path)
    return DEFAULT_MAX_LED if found is None else found


def _may_approve_for(approving: OrgUnit, host: OrgUnit) -> bool:
    """The approving unit is the host or above it (a bureau or institute for its region)."""
    if is_under(host.path, approving.path):
        return True
    if approving.kind in {OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE} and approving.parent_id:
        return approving.parent_id in path_ids(host.path)
    return False


# --- settings ----------------------------------------------------------------------------


@transaction.atomic
def set_policy(*, actor, org_unit: Any, max_led: Any) -> ProjectPolicy:
    """A bureau sets how many ongoing projects of one level a person may lead."""
    unit = resolve(actor, OrgUnit, org_unit, field="org_unit")
    n = _whole(max_led, "max_led", low=1, high=100)
    policy = ProjectPolicy.objects.select_for_update().filter(org_unit=unit).first()
    if policy is None:
        policy = ProjectPolicy(org_unit=unit, max_led=n)
        require(actor, "add", policy)
        policy.save()
        audit.record(actor, policy, Action.CREATE, {"max_led": [None, n]})
        return policy
    require(actor, "change", policy)
    apply_changes(actor, policy, {"max_led": n}, ["max_led"])
    return policy


# --- calls -------------------------------------------------------------------------------


def _clean_call(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_text(
            data["title"], field="title", label=_("Title"), limit=120, required=True
        )
    if "level" in data:
        out["level"] = _choice(data["level"], Level, "level", _("project level"))
    if "year" in data:
        out["year"] = _whole(data["year"], "year", low=2000, high=2100)
    if "topics" in data:
        out["topics"] = clean_text(data["topics"], field="topics", label=_("Topics"), limit=5000)
    if "description" in data:
        out["description"] = clean_text(
            data["description"], field="description", label=_("Description"), limit=5000
        )
    if "opens_on" in data:
        out["opens_on"] = _date(data["opens_on"], "opens_on", _("Applications open on"))
    if "closes_on" in data:
        out["closes_on"] = _date(data["closes_on"], "closes_on", _("Applications close on"))
    if "default_quota" in data:
        out["default_quota"] = _whole(data["default_quota"], "default_quota")
    if "forwarding" in data:
        out["forwarding"] = data["forwarding"] in (True, "true", "True", "on", "1", 1)
    return out


def _check_call_dates(opens: dt.date, closes: dt.date) -> None:
    if closes < opens:
        raise ServiceError(_("Applications cannot close before they open."), field="closes_on")


@transaction.atomic
def create_call(
    *,
    actor,
    org_unit: Any,
    title: str,
    level: str,
    year: int,
    opens_on: Any,
    closes_on: Any,
    topics: str = "",
    description: str = "",
    default_quota: int = 3,
    forwarding: bool = False,
) -> ProjectCall:
    """An approving unit drafts a call for applications (with ``forwarding``, the counties
    forward their schools' applications within their quotas: 区县推荐)."""
    unit = resolve(actor, OrgUnit, org_unit, field="org_unit")
    data = _clean_call(
        {
            "title": title,
            "level": level,
            "year": year,
            "topics": topics,
            "description": description,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "default_quota": default_quota,
            "forwarding": forwarding,
        }
    )
    _check_call_dates(data["opens_on"], data["closes_on"])
    call = ProjectCall(org_unit=unit, created_by=actor, **data)
    require(actor, "add", call)
    call.save()
    audit.record(actor, call, Action.CREATE, audit.snapshot(call, ["org_unit", *CALL_FIELDS]))
    return call


@transaction.atomic
def update_call(
    *,
    actor,
    call: ProjectCall,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ProjectCall:
    """Change a call's fields (:data:`CALL_FIELDS`). A decided call stays as it was; once
    applications came in, the level stays (they were made at it) and the default quota
    cannot fall below what a unit counted against it has applied."""
    c = locked(actor, "change", call)
    if c.status == ProjectCall.Status.DECIDED:
        raise ServiceError(_("A decided call cannot be changed."), code="decided")
    data = _clean_call({k: v for k, v in data.items() if k in CALL_FIELDS})
    _check_call_dates(data.get("opens_on", c.opens_on), data.get("closes_on", c.closes_on))
    if "forwarding" in data and data["forwarding"] != c.forwarding and _applications(c).exists():
        raise ServiceError(
            _("Applications came in: whether the counties forward them cannot change."),
            field="forwarding",
            code="forwarding_fixed",
        )
    applied = _counted(c)
    if "level" in data and data["level"] != c.level and _applications(c).exists():
        raise ServiceError(
            _("Applications were made at this level: the call's level cannot change."),
            field="level",
            code="level_fixed",
        )
    if "default_quota" in data and data["default_quota"] < c.default_quota:
        own = {int(k) for k in (c.quotas or {})}
        hosts = applied.values_list("org_unit_id", "org_unit__path")
        taken: dict[int, int] = {}
        for host_id, path in hosts:
            if not own.intersection(path_ids(path)):  # counted against the default quota
                taken[host_id] = taken.get(host_id, 0) + 1
        most = max(taken.values(), default=0)
        if data["default_quota"] < most:
            raise ServiceError(
                _("A unit has applied %(n)d times already: the quota cannot be smaller.")
                % {"n": most},
                field="default_quota",
                code="below_used",
            )
    apply_changes(actor, c, data, list(data), expected_version=expected_version)
    return c


@transaction.atomic
def set_call_status(*, actor, call: ProjectCall, status: str) -> ProjectCall:
    """Publish (open), close or reopen a call; a decided call stays decided."""
    c = locked(actor, "change", call)
    status = _choice(status, ProjectCall.Status, "status", _("status"))
    allowed = {
        ProjectCall.Status.DRAFT: {ProjectCall.Status.OPEN},
        ProjectCall.Status.OPEN: {ProjectCall.Status.CLOSED},
        ProjectCall.Status.CLOSED: {ProjectCall.Status.OPEN, ProjectCall.Status.DECIDED},
        ProjectCall.Status.DECIDED: set(),
    }
    if status not in allowed[c.status]:
        raise ServiceError(
            _("A call that is “%(now)s” cannot become “%(then)s”.")
            % {"now": c.get_status_display(), "then": ProjectCall.Status(status).label},
            field="status",
        )
    apply_changes(actor, c, {"status": status}, ["status"])
    return c


@transaction.atomic
def set_call_quota(*, actor, call: ProjectCall, unit: Any, quota: Any) -> ProjectCall:
    """Give one unit below the call (a county for all its schools, or one school) its own
    number of applications (``None``: back to the default for each host unit)."""
    c = locked(actor, "change", call)
    u = resolve(actor, OrgUnit, unit, field="unit")
    quotas = dict(c.quotas or {})
    before = quotas.get(str(u.pk))
    if quota in (None, ""):
        quotas.pop(str(u.pk), None)
        quota = None
    else:
        quota = _whole(quota, "quota")
        taken = quota_used(c, u)
        if quota < taken:
            raise ServiceError(
                _("%(unit)s has applied %(n)d times already: the quota cannot be smaller.")
                % {"unit": u.name, "n": taken},
                field="quota",
            )
        quotas[str(u.pk)] = quota
    c.quotas = quotas
    _touch(c, "quotas")
    audit.record(actor, c, Action.UPDATE, {"quota": [before, quota], "unit": u.name})
    return c


def _applications(call: ProjectCall):
    return Project.objects.filter(call=call).exclude(status=Project.Status.TERMINATED)


def quota_unit(call: ProjectCall, host: OrgUnit) -> tuple[OrgUnit | None, int]:
    """The unit whose quota an application of ``host`` counts against, and the quota:
    the nearest unit on the host's path with its own quota, else the host and the call's
    default."""
    quotas = {int(k): v for k, v in (call.quotas or {}).items()}
    for uid in reversed(path_ids(host.path)):
        if uid in quotas:
            return OrgUnit.objects.get(pk=uid), int(quotas[uid])
    return host, call.default_quota


def _counted(call: ProjectCall):
    """The applications a quota counts: all of them, or (forwarding) the forwarded ones."""
    rows = _applications(call)
    return rows.filter(forwarded_on__isnull=False) if call.forwarding else rows


def quota_used(call: ProjectCall, unit: OrgUnit) -> int:
    return _counted(call).filter(org_unit__path__startswith=unit.path).count()


def _check_quota(c: ProjectCall, host: OrgUnit, *, field: str = "call") -> None:
    """Refuse one more counted application of ``host`` beyond its unit's quota (the
    caller holds the call's row lock)."""
    unit, quota = quota_unit(c, host)
    taken = quota_used(c, unit)
    if taken >= quota:
        raise ServiceError(
            _("%(unit)s has used its quota (%(used)d of %(quota)d applications).")
            % {"unit": unit.name, "used": taken, "quota": quota},
            field=field,
            code="over_quota",
        )


# --- applying ----------------------------------------------------------------------------


def _check_led(pi: Person, level: str, host: OrgUnit, *, exclude: int | None = None) -> None:
    limit = max_led(host)
    led = Project.objects.filter(pi=pi, level=level, status__in=OPEN_STATUSES)
    if exclude:
        led = led.exclude(pk=exclude)
    if led.count() >= limit:
        raise ServiceError(
            _(
                "%(name)s already leads %(n)d ongoing %(level)s projects, "
                "the most one person may lead."
            )
            % {"name": pi.name, "n": limit, "level": Level(level).label},
            field="pi",
            code="too_many_led",
        )


def _members(actor, pi: Person, members: Sequence[Mapping[str, Any]]) -> list[ProjectMember]:
    rows = [ProjectMember(person=pi, role=ProjectMember.Role.PI, unit_id=pi.org_unit_id)]
    if not members:
        return rows
    people = resolve_many(actor, Person, [m.get("person") for m in members], field="members")
    by_ref = dict(zip([str(m.get("person")) for m in members], people, strict=False))
    seen = {pi.pk}
    for m in members:
        person = by_ref.get(str(m.get("person")))
        if person is None:
            continue
        if person.pk in seen:
            raise ServiceError(
                _("%(name)s is named twice among the members.") % {"name": person.name},
                field="members",
            )
        seen.add(person.pk)
        role = str(m.get("role") or ProjectMember.Role.MEMBER)
        if role not in {ProjectMember.Role.CORE, ProjectMember.Role.MEMBER}:
            raise ServiceError(_("A member is a core member or a member."), field="members")
        rows.append(
            ProjectMember(
                person=person,
                role=role,
                unit_id=person.org_unit_id,
                task=clean_text(m.get("task"), field="members", label=_("Task"), limit=200),
            )
        )
    return rows


def _store_document(actor, record: StageRecord, kind: str, upload: Any) -> StageDocument:
    name = check_file(upload, UPLOAD_KIND, field="file")
    doc = StageDocument(record=record, kind=kind, file_name=name, uploaded_by=actor)
    doc.file.save(name, upload, save=False)
    doc.save()
    audit.record(
        actor,
        doc,
        Action.CREATE,
        {"kind": [None, kind], "file_name": [None, name]},
        unit_path=record.project.org_unit.path,
    )
    return doc


@transaction.atomic
def apply(
    *,
    actor,
    title: str,
    level: str | None = None,
    call: Any = None,
    org_unit: Any = None,
    approving_unit: Any = None,
    pi: Any = None,
    subject: Any = None,
    theme: str = "",
    summary: str = "",
    budget: Any = None,
    members: Sequence[Mapping[str, Any]] = (),
    opening_due: Any = None,
    midterm_due: Any = None,
    conclusion_due: Any = None,
    application_form: Any = None,
) -> Project:
    """申报: a unit applies for a project — to a call (within the unit's quota, while the
    call is open; the approving unit and level are the call's), or directly to an approving
    unit at or above it. The application form is a file; the PI leads at most
    :func:`max_led` ongoing projects of the level."""
    c = None
    if call not in (None, ""):
        found = resolve(actor, ProjectCall, call, field="call")
        c = (
            ProjectCall.objects.select_for_update(of=("self",))
            .select_related("org_unit")
            .get(pk=found.pk)
        )
        phase = c.phase()
        if phase != "open":
            raise ServiceError(
                _("The call “%(title)s” is not open for applications (%(from)s to %(to)s).")
                % {"title": c.title, "from": c.opens_on, "to": c.closes_on},
                field="call",
                code="call_closed",
            )
    person = (
        resolve(actor, Person, pi, field="pi") if pi not in (None, "") else _actor_person(actor)
    )
    if person is None:
        raise ServiceError(_("Name the principal investigator."), field="pi")
    host = (
        resolve(actor, OrgUnit, org_unit, field="org_unit")
        if org_unit not in (None, "")
        else person.org_unit
    )
    if c is not None:
        approving = c.org_unit
        level = c.level
    else:
        approving = (
            resolve(actor, OrgUnit, approving_unit, field="approving_unit")
            if approving_unit not in (None, "")
            else host
        )
        level = _choice(level, Level, "level", _("project level"))
    if not _may_approve_for(approving, host):
        raise ServiceError(
            _("%(unit)s cannot approve projects of %(host)s.")
            % {"unit": approving.name, "host": host.name},
            field="approving_unit",
        )
    project = Project(
        org_unit=host,
        approving_unit=approving,
        call=c,
        level=level,
        pi=person,
        title=clean_text(title, field="title", label=_("Title"), limit=150, required=True),
        subject=resolve_optional(actor, Subject, subject, field="subject"),
        theme=clean_text(theme, field="theme", label=_("Theme"), limit=100),
        summary=clean_text(summary, field="summary", label=_("Summary"), limit=5000),
        budget=_money(budget),
        opening_due=_date(opening_due, "opening_due", _("Opening report due"), required=False),
        midterm_due=_date(midterm_due, "midterm_due", _("Mid-term check due"), required=False),
        conclusion_due=_date(conclusion_due, "conclusion_due", _("Conclusion due"), required=False),
        created_by=actor,
    )
    require(actor, "add", project)
    if project.subject is None and not project.theme:
        raise ServiceError(_("Give the project's subject or its theme."), field="theme")
    dues = [d for d in (project.opening_due, project.midterm_due, project.conclusion_due) if d]
    if dues != sorted(dues):
        raise ServiceError(
            _("The stages' dates must follow one another: opening, mid-term, conclusion."),
            field="midterm_due",
        )
    if application_form is None:
        raise ServiceError(_("Attach the application form."), field="application_form")
    rows = _members(actor, person, members)
    _check_led(person, level, host)
    if c is not None and c.forwarding and forwarding_unit_id(project) is None:
        # Nothing between the host and the approving unit: forwarded as it is made.
        project.forwarded_on = timezone.localdate()
        project.forwarded_by = actor
    if c is not None and (not c.forwarding or project.forwarded_on is not None):
        _check_quota(c, host)
    project.save()
    for row in rows:
        row.project = project
    ProjectMember.objects.bulk_create(rows)
    record = StageRecord.objects.create(
        project=project,
        stage=Stage.APPLICATION,
        status=StageRecord.Status.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=actor,
        due_on=c.closes_on if c is not None else None,
    )
    _store_document(actor, record, StageDocument.Kind.APPLICATION_FORM, application_form)
    if c is not None:
        ProjectCall.objects.filter(pk=c.pk).update(application_count=_applications(c).count())
    audit.record(
        actor,
        project,
        Action.CREATE,
        {
            **audit.snapshot(project, ["title", "level", "org_unit", "approving_unit", "pi"]),
            "members": [None, [str(r.person) for r in rows]],
        },
    )
    return project


@transaction.atomic
def forward(*, actor, project: Project) -> Project:
    """区县推荐: the county forwards a school's application to a call with forwarding, to
    the approving unit, within the county's quota (held under the call's row lock, so
    concurrent forwards cannot pass it)."""
    p = (
        Project.objects.select_for_update(of=("self",))
        .select_related("org_unit", "approving_unit", "call")
        .get(pk=project.pk)
    )
    if p.call is None or not p.call.forwarding:
        raise ServiceError(
            _("This application goes to the approving unit directly: nobody forwards it."),
            code="no_forwarding",
        )
    require(actor, "forward", p)
    if p.forwarded_on is not None:
        raise ServiceError(
            _("“%(title)s” was forwarded already.") % {"title": p.title}, code="forwarded"
        )
    if p.status != Project.Status.APPLIED:
        raise ServiceError(
            _("“%(title)s” is no longer waiting to be forwarded.") % {"title": p.title},
            code="wrong_stage",
        )
    c = ProjectCall.objects.select_for_update(of=("self",)).get(pk=p.call_id)
    if c.status not in {ProjectCall.Status.OPEN, ProjectCall.Status.CLOSED}:
        raise ServiceError(
            _("The call “%(title)s” is decided: nothing more is forwarded.") % {"title": c.title},
            code="call_decided",
        )
    _check_quota(c, p.org_unit, field="project")
    p.forwarded_on = timezone.localdate()
    p.forwarded_by = actor
    _touch(p, "forwarded_on", "forwarded_by")
    audit.record(actor, p, Action.UPDATE, {"forwarded_on": [None, str(p.forwarded_on)]})
    return p


def _check_forwarded(p: Project) -> None:
    if p.call_id and p.call.forwarding and p.forwarded_on is None:
        raise ServiceError(
            _("“%(title)s” has not been forwarded by its county yet.") % {"title": p.title},
            code="not_forwarded",
        )


# --- review ------------------------------------------------------------------------------


def _check_expert(project: Project, expert: Person) -> None:
    if expert.org_unit_id == project.org_unit_id or (
        expert.org_unit.path and is_under(expert.org_unit.path, project.org_unit.path)
    ):
        raise ServiceError(
            _("%(name)s works at %(unit)s, the project's host unit: choose another expert.")
            % {"name": expert.name, "unit": project.org_unit.name},
            field="experts",
            code="own_unit",
        )
    if ProjectMember.objects.filter(project=project, person=expert).exists():
        raise ServiceError(
            _("%(name)s is a member of the project: choose another expert.")
            % {"name": expert.name},
            field="experts",
            code="member",
        )
    if expert.user_id is None:
        raise ServiceError(
            _("%(name)s has no account and cannot review.") % {"name": expert.name},
            field="experts",
        )


@transaction.atomic
def assign_experts(
    *,
    actor,
    project: Project,
    experts: Iterable[Any],
    due_on: Any = None,
) -> list[Review]:
    """The approving unit assigns experts to review the project at its current stage (the
    application, or the conclusion once the final report is filed). Each expert is given
    the project to see; none may work at the host unit or be a member."""
    p = _lock_project(actor, project, "decide")
    if p.status == Project.Status.APPLIED or p.status == Project.Status.UNDER_REVIEW:
        _check_forwarded(p)
        stage = Stage.REVIEW
    elif p.status == Project.Status.ONGOING and p.stage == Stage.CONCLUSION:
        if not _filed(p, Stage.CONCLUSION):
            raise ServiceError(
                _("The final report is not filed yet: experts review it once it is."),
                code="not_filed",
            )
        stage = Stage.CONCLUSION
    else:
        raise ServiceError(
            _("Experts review a project at its application or its conclusion."),
            code="wrong_stage",
        )
    people = resolve_many(
        actor,
        Person,
        list(experts),
        field="experts",
        queryset=Person.objects.select_related("org_unit"),
    )
    if not people:
        raise ServiceError(_("Choose at least one expert."), field="experts")
    due = _date(due_on, "due_on", _("Deadline"), required=False)
    for expert in people:
        _check_expert(p, expert)
    have = set(Review.objects.filter(project=p, stage=stage).values_list("expert_id", flat=True))
    out = []
    for expert in people:
        if expert.pk in have:
            continue
        review = Review(project=p, stage=stage, expert=expert, due_on=due, assigned_by=actor)
        require(actor, "add", review)
        review.save()
        grant(p, user=expert.user, reason=REVIEW_REASON)
        audit.record(
            actor,
            review,
            Action.CREATE,
            {"expert": [None, expert.name], "stage": [None, stage]},
        )
        out.append(review)
    if stage == Stage.REVIEW and p.status == Project.Status.APPLIED:
        p.status = Project.Status.UNDER_REVIEW
        p.stage = Stage.REVIEW
        _touch(p, "status", "stage")
        StageRecord.objects.get_or_create(project=p, stage=Stage.REVIEW, defaults={"due_on": due})
        audit.record(actor, p, Action.UPDATE, {"status": ["applied", "under_review"]})
    if out:
        users = [r.expert.user_id for r in out]
        title = _("You are asked to review the project “%(title)s”.") % {"title": p.title}
        url = reverse("projects:reviews")
        transaction.on_commit(lambda: notify(users, title=title, url=url, about=p))
    return out


@transaction.atomic
def remove_expert(*, actor, review: Review) -> None:
    """Take an expert off a review they have not submitted."""
    r = Review.objects.select_for_update().select_related("project").get(pk=review.pk)
    require(actor, "delete", r)
    if r.status == Review.Status.SUBMITTED:
        raise ServiceError(_("A submitted review stays."), code="submitted")
    audit.record(actor, r, Action.DELETE, {"expert": [str(r.expert), None]})
    r.delete()
    if not Review.objects.filter(project=r.project, expert=r.expert).exists():
        revoke_grant(r.project, user=r.expert.user, reason=REVIEW_REASON)


@transaction.atomic
def submit_review(
    *,
    actor,
    review: Review,
    score: Any,
    opinion: str = "",
    verdict: str = "",
    grade: str = "",
) -> Review:
    """The expert submits their score (0–100) and opinion, with their recommendation
    (approve or reject at the application; a grade at the conclusion)."""
    r = Review.objects.select_for_update().select_related("project", "expert").get(pk=review.pk)
    if not can(actor, "score", r):
        # The approving unit's managers are told only the expert scores; others refused.
        require(actor, "change", r)
        raise ServiceError(_("Only the assigned expert submits this review."))
    if r.project.status not in OPEN_STATUSES:
        raise ServiceError(_("The project is decided: reviews are closed."), code="decided")
    try:
        value = Decimal(str(score).strip())
    except (InvalidOperation, ValueError):
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ServiceError(_("A score is a number from 0 to 100."), field="score")
    before = audit.snapshot(r, ["score", "verdict", "grade", "opinion", "status"])
    r.score = value.quantize(Decimal("0.1"))
    r.opinion = clean_text(opinion, field="opinion", label=_("Opinion"), limit=3000)
    if r.stage == Stage.REVIEW:
        r.verdict = _choice(verdict, Review.Verdict, "verdict", _("recommendation"))
        r.grade = ""
    else:
        r.grade = _choice(grade, Grade, "grade", _("suggested grade"))
        r.verdict = ""
    r.status = Review.Status.SUBMITTED
    r.submitted_at = timezone.now()
    r.version += 1
    r.save()
    audit.record(
        actor,
        r,
        Action.UPDATE,
        audit.diff(before, audit.snapshot(r, ["score", "verdict", "grade", "opinion", "status"])),
        unit_path=r.project.org_unit.path,
    )
    return r


def _next_numbers(approving: OrgUnit, year: int, n: int) -> list[str]:
    """``n`` new project numbers of ``approving`` for ``year``: 〈unit code〉-〈year〉-〈seq〉.
    The caller holds the approving unit's row lock."""
    prefix = f"{approving.code}-{year}-"
    last = Project.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    start = int(last.rsplit("-", 1)[1]) if last else 0
    return [f"{prefix}{start + i:04d}" for i in range(1, n + 1)]


def _plan_stages(p: Project) -> None:
    for stage, due in (
        (Stage.OPENING, p.opening_due),
        (Stage.MIDTERM, p.midterm_due),
        (Stage.CONCLUSION, p.conclusion_due),
    ):
        StageRecord.objects.update_or_create(project=p, stage=stage, defaults={"due_on": due})


@transaction.atomic
def decide(
    *,
    actor,
    projects: Iterable[Any],
    decision: str,
    opinion: str = "",
    on: Any = None,
) -> list[Project]:
    """The approving unit decides applications in a batch: approved ones get a project
    number (立项编号) and move to the opening report; rejected ones end. Every project
    must be under review with all its assigned reviews submitted."""
    if decision not in {"approve", "reject"}:
        raise ServiceError(_("Approve or reject."), field="decision")
    chosen = resolve_many(actor, Project, list(projects), field="projects")
    if not chosen:
        raise ServiceError(_("Choose the applications to decide."), field="projects")
    note = clean_text(opinion, field="opinion", label=_("Opinion"), limit=1000)
    day = _date(on, "on", _("Date"), required=False) or timezone.localdate()
    locked_rows = list(
        Project.objects.select_for_update(of=("self",))
        .select_related("org_unit", "approving_unit", "pi")
        .filter(pk__in=[p.pk for p in chosen])
        .order_by("pk")
    )
    reviews = Review.objects.filter(project__in=locked_rows, stage=Stage.REVIEW)
    pending = set(
        reviews.filter(status=Review.Status.ASSIGNED).values_list("project_id", flat=True)
    )
    submitted = set(
        reviews.filter(status=Review.Status.SUBMITTED).values_list("project_id", flat=True)
    )
    for p in locked_rows:
        require(actor, "decide", p)
        if p.status != Project.Status.UNDER_REVIEW:
            raise ServiceError(
                _("“%(title)s” is not under review.") % {"title": p.title}, code="wrong_stage"
            )
        if p.pk in pending or (decision == "approve" and p.pk not in submitted):
            raise ServiceError(
                _("The experts have not all scored “%(title)s” yet.") % {"title": p.title},
                code="reviews_pending",
            )
    numbers: dict[int, str] = {}
    if decision == "approve":
        by_unit: dict[int, list[Project]] = {}
        for p in locked_rows:
            by_unit.setdefault(p.approving_unit_id, []).append(p)
        for unit_id, group in sorted(by_unit.items()):
            unit = OrgUnit.objects.select_for_update().get(pk=unit_id)
            for p, number in zip(group, _next_numbers(unit, day.year, len(group)), strict=True):
                numbers[p.pk] = number
    now = timezone.now()
    for p in locked_rows:
        before = audit.snapshot(p, ["status", "stage", "number", "approved_on"])
        record = StageRecord.objects.get_or_create(project=p, stage=Stage.REVIEW)[0]
        record.decided_at = now
        record.opinion = note
        if decision == "approve":
            p.status = Project.Status.ONGOING
            p.stage = Stage.OPENING
            p.number = numbers[p.pk]
            p.approved_on = day
            p.due_on = p.opening_due
            record.status = StageRecord.Status.PASSED
            _plan_stages(p)
        else:
            p.status = Project.Status.REJECTED
            p.end_reason = note
            record.status = StageRecord.Status.FAILED
        record.save()
        _touch(p, "status", "stage", "number", "approved_on", "due_on", "end_reason")
        audit.record(
            actor,
            p,
            Action.UPDATE,
            audit.diff(before, audit.snapshot(p, ["status", "stage", "number", "approved_on"])),
            message=note,
        )
    if decision == "approve":
        stamps.bump(POINTS)  # approvals earn points (projects/points.py)
    calls = {p.call_id for p in locked_rows if p.call_id}
    _tell_team(
        locked_rows,
        _("Your project “%(title)s” is approved, number %(number)s.")
        if decision == "approve"
        else _("Your project “%(title)s” is not approved."),
    )
    for call_id in calls:
        ProjectCall.objects.filter(pk=call_id).update(updated_at=now)
    return locked_rows


def _tell_team(projects: Sequence[Project], template: str) -> None:
    rows = list(
        ProjectMember.objects.filter(project__in=projects, person__user__isnull=False).values_list(
            "project_id", "person__user_id"
        )
    )
    by_project: dict[int, list[int]] = {}
    for pid, uid in rows:
        by_project.setdefault(pid, []).append(uid)

    def send():
        for p in projects:
            notify(
                by_project.get(p.pk, []),
                title=template % {"title": p.title, "number": p.number or ""},
                url=p.get_absolute_url(),
                about=p,
            )

    transaction.on_commit(send)


# --- stages ------------------------------------------------------------------------------


def _filed(p: Project, stage: str) -> bool:
    return StageDocument.objects.filter(
        record__project=p, record__stage=stage, kind=REPORT_OF[stage]
    ).exists()


def _current_record(p: Project, stage: str) -> StageRecord:
    if p.status != Project.Status.ONGOING:
        raise ServiceError(
            _("The project is “%(status)s”: nothing more is filed.")
            % {"status": p.get_status_display()},
            code="not_ongoing",
        )
    if stage != p.stage:
        raise ServiceError(
            _("The project is at its %(now)s: the %(then)s cannot be filed before it.")
            % {"now": Stage(p.stage).label, "then": Stage(stage).label}
            if STAGE_ORDER.index(stage) > STAGE_ORDER.index(p.stage)
            else _("The %(then)s is behind the project already.") % {"then": Stage(stage).label},
            field="stage",
            code="skipped",
        )
    return StageRecord.objects.select_for_update().get_or_create(project=p, stage=stage)[0]


@transaction.atomic
def file_stage(
    *,
    actor,
    project: Project,
    stage: str,
    report: Any = None,
    note: str = "",
    files: Sequence[Any] = (),
) -> StageRecord:
    """The project team files the report of its current stage (opening, mid-term,
    conclusion), with outcome files at the conclusion. A stage cannot be skipped, and the
    conclusion needs its final report."""
    p = _lock_project(actor, project, "change")
    stage = _choice(stage, Stage, "stage", _("stage"))
    if stage not in FILED_STAGES:
        raise ServiceError(_("This stage is not filed by the project team."), field="stage")
    record = _current_record(p, stage)
    if record.status in {StageRecord.Status.SUBMITTED, StageRecord.Status.PASSED}:
        raise ServiceError(
            _("The %(stage)s is filed already.") % {"stage": Stage(stage).label},
            code="filed",
        )
    if report is None and not _filed(p, stage):
        if stage == Stage.CONCLUSION:
            raise ServiceError(
                _("The conclusion needs the final report."), field="report", code="no_report"
            )
        raise ServiceError(_("Attach the report."), field="report")
    before = audit.snapshot(record, ["status", "note"])
    if report is not None:
        _store_document(actor, record, REPORT_OF[stage], report)
    for f in files:
        _store_document(actor, record, StageDocument.Kind.OUTCOME, f)
    record.note = clean_text(note, field="note", label=_("Report summary"), limit=3000)
    record.status = StageRecord.Status.SUBMITTED
    record.submitted_at = timezone.now()
    record.submitted_by = actor
    record.version += 1
    record.save()
    audit.record(
        actor,
        record,
        Action.UPDATE,
        audit.diff(before, audit.snapshot(record, ["status", "note"])),
        unit_path=p.org_unit.path,
    )
    return record


@transaction.atomic
def accept_stage(
    *, actor, project: Project, stage: str, passed: bool = True, opinion: str = ""
) -> StageRecord:
    """The approving unit accepts the filed opening report or mid-term check (the project
    moves to its next stage) or returns it to be filed again."""
    p = _lock_project(actor, project, "decide")
    stage = _choice(stage, Stage, "stage", _("stage"))
    if stage not in {Stage.OPENING, Stage.MIDTERM}:
        raise ServiceError(
            _("The conclusion is decided with its grade, after the experts' review."),
            field="stage",
        )
    record = _current_record(p, stage)
    if record.status != StageRecord.Status.SUBMITTED:
        raise ServiceError(
            _("The %(stage)s is not filed yet.") % {"stage": Stage(stage).label},
            code="not_filed",
        )
    record.opinion = clean_text(opinion, field="opinion", label=_("Opinion"), limit=1000)
    record.decided_at = timezone.now()
    record.status = StageRecord.Status.PASSED if passed else StageRecord.Status.RETURNED
    record.version += 1
    record.save()
    if passed:
        nxt = STAGE_ORDER[STAGE_ORDER.index(stage) + 1]
        p.stage = nxt
        p.due_on = (
            StageRecord.objects.filter(project=p, stage=nxt)
            .values_list("due_on", flat=True)
            .first()
        )
        _touch(p, "stage", "due_on")
    audit.record(
        actor,
        record,
        Action.UPDATE,
        {"status": ["submitted", record.status]},
        message=record.opinion,
        unit_path=p.org_unit.path,
    )
    return record


@transaction.atomic
def conclude(*, actor, project: Project, grade: str, opinion: str = "", on: Any = None) -> Project:
    """结题: the approving unit gives the conclusion its grade (优秀/良好/合格/不合格)
    once the final report is filed and the conclusion's experts have all reviewed it."""
    p = _lock_project(actor, project, "decide")
    grade = _choice(grade, Grade, "grade", _("conclusion grade"))
    record = _current_record(p, Stage.CONCLUSION)
    if not _filed(p, Stage.CONCLUSION) or record.status != StageRecord.Status.SUBMITTED:
        raise ServiceError(
            _("The conclusion needs the final report."), field="grade", code="no_report"
        )
    if Review.objects.filter(
        project=p, stage=Stage.CONCLUSION, status=Review.Status.ASSIGNED
    ).exists():
        raise ServiceError(
            _("The experts have not all scored “%(title)s” yet.") % {"title": p.title},
            code="reviews_pending",
        )
    before = audit.snapshot(p, ["status", "grade", "concluded_on"])
    record.status = StageRecord.Status.FAILED if grade == Grade.FAIL else StageRecord.Status.PASSED
    record.decided_at = timezone.now()
    record.opinion = clean_text(opinion, field="opinion", label=_("Opinion"), limit=1000)
    record.version += 1
    record.save()
    p.grade = grade
    p.status = Project.Status.CONCLUDED
    p.concluded_on = _date(on, "on", _("Date"), required=False) or timezone.localdate()
    p.due_on = None
    _touch(p, "grade", "status", "concluded_on", "due_on")
    stamps.bump(POINTS)  # an excellent conclusion earns points (projects/points.py)
    audit.record(actor, p, Action.UPDATE, audit.diff(before, audit.snapshot(p, list(before))))
    _tell_team([p], _("Your project “%(title)s” is concluded."))
    return p


@transaction.atomic
def extend(*, actor, project: Project, due_on: Any, reason: str) -> StageRecord:
    """延期: the approving unit moves the current stage's deadline later, with a reason."""
    p = _lock_project(actor, project, "decide")
    record = _current_record(p, p.stage)
    why = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    new = _date(due_on, "due_on", _("New deadline"))
    if record.due_on and new <= record.due_on:
        raise ServiceError(
            _("An extension moves the deadline later than %(date)s.") % {"date": record.due_on},
            field="due_on",
        )
    before = record.due_on
    record.extended_to = new
    record.due_on = new
    record.extension_reason = why
    record.reminded_on = None
    record.version += 1
    record.save()
    p.due_on = new
    _touch(p, "due_on")
    audit.record(
        actor,
        record,
        Action.UPDATE,
        {"due_on": [str(before) if before else None, str(new)]},
        message=why,
        unit_path=p.org_unit.path,
    )
    return record


@transaction.atomic
def terminate(*, actor, project: Project, reason: str) -> Project:
    """终止: the approving unit ends a project before its conclusion, with a reason."""
    p = _lock_project(actor, project, "decide")
    why = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    if p.status not in OPEN_STATUSES:
        raise ServiceError(
            _("The project is “%(status)s”: nothing more is filed.")
            % {"status": p.get_status_display()},
            code="not_ongoing",
        )
    before = p.status
    p.status = Project.Status.TERMINATED
    p.end_reason = why
    p.due_on = None
    _touch(p, "status", "end_reason", "due_on")
    audit.record(actor, p, Action.UPDATE, {"status": [before, p.status]}, message=why)
    _tell_team([p], _("Your project “%(title)s” is terminated."))
    return p


@transaction.atomic
def add_document(*, actor, project: Project, stage: str, kind: str, file: Any) -> StageDocument:
    """Another document for a stage the project has reached (an outcome, a revision)."""
    p = _lock_project(actor, project, "change")
    stage = _choice(stage, Stage, "stage", _("stage"))
    kind = _choice(kind, StageDocument.Kind, "kind", _("document"))
    if STAGE_ORDER.index(stage) > STAGE_ORDER.index(p.stage):
        raise ServiceError(
            _("The project has not reached its %(stage)s.") % {"stage": Stage(stage).label},
            field="stage",
            code="skipped",
        )
    record = StageRecord.objects.get_or_create(project=p, stage=stage)[0]
    return _store_document(actor, record, kind, file)


# --- reminders ---------------------------------------------------------------------------


def remind_overdue(*, today: dt.date | None = None, progress=None) -> dict[str, int]:
    """Find the stages past their deadline that are not filed, and tell the project's PI
    and the host unit's account holders among its members once per stage and deadline
    (an extension resets it). Run by the periodic job, never by a page."""
    today = today or timezone.localdate()
    due = list(
        StageRecord.objects.filter(
            status__in=[StageRecord.Status.PENDING, StageRecord.Status.RETURNED],
            due_on__lt=today,
            project__status=Project.Status.ONGOING,
            stage__in=list(FILED_STAGES),
        )
        .filter(reminded_on__isnull=True)
        .select_related("project", "project__org_unit")
    )
    due = [r for r in due if r.stage == r.project.stage]
    owners: dict[int, list[int]] = {}
    for pid, uid in ProjectMember.objects.filter(
        project_id__in=[r.project_id for r in due],
        role__in=[ProjectMember.Role.PI, ProjectMember.Role.CORE],
        person__user__isnull=False,
    ).values_list("project_id", "person__user_id"):
        owners.setdefault(pid, []).append(uid)
    sent = 0
    for n, r in enumerate(due, 1):
        with transaction.atomic():
            sent += notify(
                owners.get(r.project_id, []),
                title=_("The %(stage)s of “%(title)s” was due on %(date)s.")
                % {"stage": Stage(r.stage).label, "title": r.project.title, "date": r.due_on},
                url=r.project.get_absolute_url(),
                about=r.project,
                dedupe_key=f"projects.overdue:{r.pk}:{r.due_on}",
            )
            StageRecord.objects.filter(pk=r.pk).update(reminded_on=today)
            audit.record(
                None,
                r,
                Action.UPDATE,
                {"reminded_on": [None, today.isoformat()]},
                unit_path=r.project.org_unit.path,
            )
        if progress is not None and n % 200 == 0:
            progress("reminding", n, len(due))
    return {"overdue": len(due), "notified": sent}
