"""Every write of communities, memberships, tasks, evidence, the bureau's settings and the
yearly report. Each checks ``require`` first, refuses bad input with a ``ServiceError``
naming the rule (nothing written), writes and audits in one transaction.

The rules (issue 12, "Rules and bad input"):

* a community's period is valid (it ends after it starts);
* a person leads at most one studio at a level at once, and a school is in at most one
  consortium of a level at once — unless the bureau's policy of the kind relaxes it;
* membership dates fit the community's period;
* a member comes from the owning unit's subtree (a bureau or institute: its region's),
  unless a bureau admin invites across (``across``: audited, the person notified);
* consortia's members are schools, the others' members are persons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, stamps, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import can, locked, require
from jiaoyan.core.services import apply_changes, clean_text
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import (
    Community,
    CommunityTask,
    Evidence,
    Kind,
    KindPolicy,
    Level,
    Measure,
    Membership,
    PointItem,
    PointLevel,
    PointRule,
    SharedFile,
    TaskTemplate,
    YearlyReport,
)
from .policies import Settings

Action = audit.AuditLog.Action
# The version of the memberships and communities (``core.stamps``): every write to either
# changes it, and the coverage's figures kept in the cache are computed again.
MEMBERS = "communities.members"
Role = Membership.Role
COMMUNITY_FIELDS = ["name", "goals", "start_on", "end_on"]
MAX_TARGET = 1000


def _policy(community: Community):
    return Settings().policy(community.kind, community.org_unit.path)


def _level_of(unit: OrgUnit) -> str:
    level = unit.scope_root.level
    if level not in Level.values:
        raise ServiceError(
            _("A community is owned by a city, a county or a school."), field="org_unit"
        )
    return level


def _check_period(start_on: dt.date | None, end_on: dt.date | None) -> None:
    if start_on is None or end_on is None:
        raise ServiceError(_("Give the start and the end of the period."), field="start_on")
    if end_on <= start_on:
        raise ServiceError(
            _("The period is invalid: a community's period must end after it starts."),
            field="end_on",
            code="period_invalid",
        )


def _root_path(community: Community) -> str:
    return community.org_unit.scope_root.path


def _check_fits(community: Community, joined_on: dt.date, left_on: dt.date | None = None) -> None:
    if joined_on is None:
        raise ServiceError(_("Give the day the member joins."), field="joined_on")
    if not (community.start_on <= joined_on <= community.end_on) or (
        left_on is not None and not (joined_on <= left_on <= community.end_on)
    ):
        raise ServiceError(
            _(
                "Membership dates must fit the community's period (%(start)s to %(end)s), "
                "and a member leaves after joining."
            )
            % {"start": community.start_on, "end": community.end_on},
            field="left_on" if left_on is not None else "joined_on",
            code="dates_outside_period",
        )


def _overlapping_q(community: Community, joined_on: dt.date) -> Q:
    """Current memberships of other communities of the same kind and level whose
    period overlaps with this membership's."""
    return (
        Q(community__kind=community.kind, community__level=community.level)
        & ~Q(community_id=community.pk)
        & Q(community__end_on__gte=joined_on, community__start_on__lte=community.end_on)
        & (Q(left_on__isnull=True) | Q(left_on__gte=joined_on))
    )


def check_member(
    actor,
    community: Community,
    *,
    person: Person | None,
    school: OrgUnit | None,
    role: str,
    joined_on: dt.date,
    across: bool = False,
) -> None:
    """The rules a new member must meet (raises ``ServiceError`` naming the rule): the
    kind of member, the period, the owning unit's area (or an explicit invitation across),
    one current membership, one leader, one studio led and one consortium per level."""
    if role not in Role.values:
        raise ServiceError(_("Choose the member's role."), field="role")
    if community.members_are_schools:
        if school is None or person is not None:
            raise ServiceError(
                _("The members of a school consortium are schools."),
                field="school",
                code="member_kind",
            )
        if school.kind != OrgUnit.Kind.SCHOOL:
            raise ServiceError(
                _("The members of a school consortium are schools."),
                field="school",
                code="member_kind",
            )
    elif person is None or school is not None:
        raise ServiceError(
            _("The members of a principal community or a studio are persons."),
            field="person",
            code="member_kind",
        )
    _check_fits(community, joined_on)
    unit_path = school.path if school is not None else person.org_unit.path
    if not is_under(unit_path, _root_path(community)):
        if not across:
            raise ServiceError(
                _(
                    "A member must come from the owning unit's area (%(unit)s); only the "
                    "bureau can invite from beyond it."
                )
                % {"unit": community.org_unit.scope_root.name},
                field="school" if school is not None else "person",
                code="outside_subtree",
            )
        if not can(actor, "invite_across", community):
            raise ServiceError(
                _("Only a bureau admin of the owning unit can invite a member from beyond it."),
                field="across",
                code="outside_subtree",
            )
    current = community.members.filter(left_on__isnull=True)
    if (school and current.filter(school=school).exists()) or (
        person and current.filter(person=person).exists()
    ):
        raise ServiceError(
            _("This member already belongs to the community."), code="already_member"
        )
    policy = _policy(community)
    if role == Role.LEADER:
        if current.filter(role=Role.LEADER).exists():
            raise ServiceError(
                _("The community already has its leader."), field="role", code="one_leader"
            )
        if (
            community.kind == Kind.STUDIO
            and not policy.allow_several_leads
            and Membership.objects.filter(
                _overlapping_q(community, joined_on), person=person, role=Role.LEADER
            ).exists()
        ):
            raise ServiceError(
                _(
                    "A person leads at most one teacher studio at a level: %(name)s already "
                    "leads one at this level."
                )
                % {"name": person.name},
                field="person",
                code="one_studio_led",
            )
    if (
        community.kind == Kind.CONSORTIUM
        and not policy.allow_several_consortia
        and Membership.objects.filter(_overlapping_q(community, joined_on), school=school).exists()
    ):
        raise ServiceError(
            _(
                "A school is in at most one school consortium of a level at once: %(name)s "
                "already belongs to one at this level."
            )
            % {"name": school.name},
            field="school",
            code="one_consortium",
        )


def _admit(
    actor,
    community: Community,
    *,
    person: Person | None,
    school: OrgUnit | None,
    role: str,
    joined_on: dt.date,
    across: bool = False,
    checked: bool = False,
    message: str = "",
    versioned: bool = True,
) -> Membership:
    """The one way a member is written: the rules (:func:`check_member`, unless the caller
    ``checked`` them already, as an import does row by row), the row, the community's
    member count, the new version of the memberships (unless the caller, an import, bumps
    it once for all its rows: ``versioned=False``) and the audit row. ``across`` is kept
    (and audited) only for a member who really comes from beyond the owning unit's area."""
    if not checked:
        check_member(
            actor,
            community,
            person=person,
            school=school,
            role=role,
            joined_on=joined_on,
            across=across,
        )
    across = across and not is_under(
        school.path if school is not None else person.org_unit.path, _root_path(community)
    )
    if across and not message:
        message = _("Invited from beyond the owning unit's area")
    m = Membership.objects.create(
        community=community,
        person=person,
        school=school,
        role=role,
        joined_on=joined_on,
        across=across,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    Community.objects.filter(pk=community.pk).update(member_count=F("member_count") + 1)
    if versioned:
        stamps.bump(MEMBERS)
    audit.record(
        actor,
        m,
        Action.CREATE,
        {"role": [None, role], "joined_on": [None, joined_on.isoformat()]},
        message=message,
    )
    return m


@transaction.atomic
def create_community(
    *,
    actor,
    kind: str,
    org_unit: OrgUnit,
    name: str,
    code: str,
    start_on: dt.date,
    end_on: dt.date,
    goals: str = "",
    leader: Person | None = None,
    leading_school: OrgUnit | None = None,
) -> Community:
    """Create a community with its leader (a person, or a consortium's leading school) as
    its first member."""
    if kind not in Kind.values:
        raise ServiceError(_("Choose the kind of community."), field="kind")
    community = Community(
        kind=kind,
        org_unit=org_unit,
        name=(name or "").strip(),
        code=(code or "").strip().upper(),
        start_on=start_on,
        end_on=end_on,
        goals=(goals or "").strip(),
        leader=None if kind == Kind.CONSORTIUM else leader,
        leading_school=leading_school if kind == Kind.CONSORTIUM else None,
        created_by=actor,
    )
    require(actor, "add", community)
    community.level = _level_of(org_unit)
    if not community.name:
        raise ServiceError(_("The name may not be empty."), field="name")
    if not community.code:
        raise ServiceError(_("Give the community a code."), field="code")
    if Community.objects.filter(code=community.code).exists():
        raise ServiceError(
            _("The code %(code)s is taken.") % {"code": community.code}, field="code"
        )
    _check_period(start_on, end_on)
    if kind == Kind.CONSORTIUM and leading_school is None:
        raise ServiceError(_("Choose the leading school."), field="leading_school")
    if kind != Kind.CONSORTIUM and leader is None:
        raise ServiceError(_("Choose the leader."), field="leader")
    community.save()
    _admit(
        actor,
        community,
        person=community.leader,
        school=community.leading_school,
        role=Role.LEADER,
        joined_on=start_on,
    )
    audit.record(
        actor,
        community,
        Action.CREATE,
        {
            k: [None, v]
            for k, v in audit.snapshot(
                community, ["kind", "level", "org_unit", "name", "code", "start_on", "end_on"]
            ).items()
        },
    )
    community.member_count = 1
    return community


@transaction.atomic
def update_community(
    *, actor, community: Community, data: dict[str, Any], expected_version: int | None = None
) -> Community:
    community = locked(actor, "change", community)
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise ServiceError(_("The name may not be empty."), field="name")
    start = data.get("start_on", community.start_on)
    end = data.get("end_on", community.end_on)
    _check_period(start, end)
    outside = community.members.filter(
        Q(joined_on__lt=start) | Q(joined_on__gt=end) | Q(left_on__gt=end)
    )
    if outside.exists():
        raise ServiceError(
            _(
                "Membership dates must fit the community's period: some members joined or left "
                "outside the new period."
            ),
            field="end_on",
            code="dates_outside_period",
        )
    apply_changes(actor, community, data, COMMUNITY_FIELDS, expected_version=expected_version)
    stamps.bump(MEMBERS)
    return community


@transaction.atomic
def add_member(
    *,
    actor,
    community: Community,
    person: Person | None = None,
    school: OrgUnit | None = None,
    role: str = Role.MEMBER,
    joined_on: dt.date | None = None,
    across: bool = False,
) -> Membership:
    """Add a member. ``across``: a bureau admin invites someone from beyond the owning
    unit's area (audited with that note; the person is notified)."""
    community = (
        Community.objects.select_for_update().select_related("org_unit").get(pk=community.pk)
    )
    require(actor, "change", community)
    joined_on = joined_on or max(timezone.localdate(), community.start_on)
    m = _admit(
        actor,
        community,
        person=person,
        school=school,
        role=role,
        joined_on=joined_on,
        across=across,
    )
    if person is not None and person.user_id:
        notify(
            [person.user_id],
            title=_("You joined %(name)s") % {"name": community.name},
            url=community.get_absolute_url(),
            about=community,
        )
    return m


def check_member_change(
    community: Community, membership: Membership, *, role: str, joined_on: dt.date
) -> None:
    """The rules a current member's new role or joining day must meet."""
    if role not in Role.values:
        raise ServiceError(_("Choose the member's role."), field="role")
    _check_fits(community, joined_on)
    if (
        role == Role.LEADER
        and membership.role != Role.LEADER
        and community.members.filter(left_on__isnull=True, role=Role.LEADER).exists()
    ):
        raise ServiceError(
            _("The community already has its leader."), field="role", code="one_leader"
        )


def relaxed(community: Community, rule: str) -> bool:
    """Does the bureau's policy relax ``rule`` ("leads", "consortium") for the community?"""
    policy = _policy(community)
    return {
        "leads": policy.allow_several_leads,
        "consortium": policy.allow_several_consortia,
    }.get(rule, False)


def import_member(
    *,
    actor,
    community: Community,
    existing: Membership | None,
    person: Person | None,
    school: OrgUnit | None,
    role: str,
    joined_on: dt.date,
    message: str = "",
    versioned: bool = True,
) -> str:
    """One checked row of a membership import: ``created``, ``updated`` or ``unchanged``.
    Runs inside the import's transaction (the rules were checked row by row); with
    ``versioned=False`` the caller bumps the memberships' version once for its rows."""
    if existing is None:
        _admit(
            actor,
            community,
            person=person,
            school=school,
            role=role,
            joined_on=joined_on,
            checked=True,
            message=message,
            versioned=versioned,
        )
        return "created"
    if existing.role == role and existing.joined_on == joined_on:
        return "unchanged"
    changes = audit.diff(
        {"role": existing.role, "joined_on": existing.joined_on.isoformat()},
        {"role": role, "joined_on": joined_on.isoformat()},
    )
    existing.role, existing.joined_on = role, joined_on
    existing.save(update_fields=["role", "joined_on"])
    if versioned:
        stamps.bump(MEMBERS)
    audit.record(actor, existing, Action.UPDATE, changes, message=message)
    return "updated"


@transaction.atomic
def end_membership(*, actor, membership: Membership, left_on: dt.date | None = None) -> Membership:
    membership = (
        Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    )
    community = membership.community
    require(actor, "change", community)
    if membership.left_on is not None:
        raise ServiceError(_("This member has already left."), code="already_left")
    left_on = left_on or min(timezone.localdate(), community.end_on)
    _check_fits(community, membership.joined_on, left_on)
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    stamps.bump(MEMBERS)
    Community.objects.filter(pk=community.pk).update(member_count=F("member_count") - 1)
    audit.record(actor, membership, Action.UPDATE, {"left_on": [None, left_on.isoformat()]})
    return membership


# --- tasks and evidence ---------------------------------------------------------------------


def _check_year(community: Community, year: int) -> None:
    if not (community.start_on.year <= int(year) <= community.end_on.year):
        raise ServiceError(
            _("The year must lie within the community's period."),
            field="year",
            code="year_outside_period",
        )


def _check_task(measure: str, target: Any) -> int:
    if measure not in Measure.values:
        raise ServiceError(_("Choose what the task counts."), field="measure")
    try:
        value = int(target)
    except (TypeError, ValueError):
        raise ServiceError(_("The target must be a whole number."), field="target") from None
    if not 1 <= value <= MAX_TARGET:
        raise ServiceError(
            _("The target must be between 1 and %(n)d.") % {"n": MAX_TARGET}, field="target"
        )
    return value


@transaction.atomic
def generate_tasks(*, actor, community: Community, year: int) -> list[CommunityTask]:
    """The year's tasks from the template of the community's kind that applies to it (the
    nearest bureau's, or the defaults); tasks already there are kept as they are."""
    require(actor, "change", community)
    _check_year(community, year)
    have = set(
        CommunityTask.objects.filter(community=community, year=year).values_list("name", flat=True)
    )
    made = []
    templates = Settings().templates(community.kind, community.org_unit.path)
    for order, t in enumerate(templates):
        if t.name in have:
            continue
        task = CommunityTask.objects.create(
            community=community,
            year=year,
            name=t.name,
            measure=t.measure,
            activity_kind=t.activity_kind,
            min_participants=t.min_participants,
            target=t.target,
            order=order,
        )
        made.append(task)
    if made:
        audit.record(
            actor,
            community,
            Action.UPDATE,
            {"tasks": [None, [t.name for t in made]]},
            message=_("Tasks of %(year)s from the template") % {"year": year},
        )
    return made


def _task_name(value: Any) -> str:
    name = clean_text(value, field="name", label=_("Task"), limit=100)
    if not name:
        raise ServiceError(_("Name the task."), field="name")
    return name


@transaction.atomic
def add_task(
    *,
    actor,
    community: Community,
    year: int,
    name: str,
    measure: str,
    target: Any,
    activity_kind: str = "",
    min_participants: int = 0,
) -> CommunityTask:
    """A task of the community's own (the "+N" beyond the template)."""
    require(actor, "change", community)
    _check_year(community, year)
    name = _task_name(name)
    value = _check_task(measure, target)
    if CommunityTask.objects.filter(community=community, year=year, name=name).exists():
        raise ServiceError(_("The year already has a task of that name."), field="name")
    task = CommunityTask.objects.create(
        community=community,
        year=year,
        name=name,
        measure=measure,
        activity_kind=activity_kind or "",
        min_participants=max(0, int(min_participants or 0)),
        target=value,
        order=100,
    )
    audit.record(actor, task, Action.CREATE, {"target": [None, value]})
    return task


TASK_FIELDS = ["name", "target", "due_on", "notes"]


def may_change_tasks(user, community: Community) -> bool:
    """Who edits and removes a community's tasks: the owning unit's admins and the
    community's managers, and its leader."""
    return can(user, "change", CommunityTask(community=community)) or _leads(
        user, community, roles=(Role.LEADER,)
    )


def may_change_task(user, task: CommunityTask) -> bool:
    return may_change_tasks(user, task.community)


def _require_task(actor, task: CommunityTask) -> None:
    if not may_change_task(actor, task):
        require(actor, "change", task)


@transaction.atomic
def update_task(
    *,
    actor,
    task: CommunityTask,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> CommunityTask:
    """Change a task's title, target, due date or notes (evidence and derived progress
    stay as they are), under optimistic locking."""
    task = CommunityTask.objects.select_for_update().select_related("community").get(pk=task.pk)
    _require_task(actor, task)
    data = {k: v for k, v in data.items() if k in TASK_FIELDS}
    if "name" in data:
        data["name"] = _task_name(data["name"])
        if (
            CommunityTask.objects.filter(
                community_id=task.community_id, year=task.year, name=data["name"]
            )
            .exclude(pk=task.pk)
            .exists()
        ):
            raise ServiceError(_("The year already has a task of that name."), field="name")
    if "target" in data:
        data["target"] = _check_task(task.measure, data["target"])
    if data.get("due_on") is not None and data["due_on"].year != task.year:
        raise ServiceError(_("The due date must lie in the task's year."), field="due_on")
    if "notes" in data:
        data["notes"] = clean_text(data["notes"], field="notes", label=_("Notes"), limit=2000)
    apply_changes(actor, task, data, TASK_FIELDS, expected_version=expected_version)
    return task


@transaction.atomic
def delete_task(*, actor, task: CommunityTask) -> None:
    """Remove a task of the year (with its evidence), audited on the community."""
    task = CommunityTask.objects.select_for_update().select_related("community").get(pk=task.pk)
    if not may_change_task(actor, task):
        require(actor, "delete", task)
    evidence = task.evidence.count()
    audit.record(
        actor,
        task.community,
        Action.UPDATE,
        {"tasks": [f"{task.year} {task.name}", None], "evidence": [evidence, None]},
        message=_("Task removed"),
    )
    task.delete()


def may_add_evidence(user, task: CommunityTask) -> bool:
    return can(user, "add", Evidence(task=task)) or _leads(user, task.community)


@transaction.atomic
def add_evidence(
    *, actor, task: CommunityTask, date: dt.date, count: Any, description: str
) -> Evidence:
    """Record what the platform cannot see (the community's managers, its leader and core
    members)."""
    if not may_add_evidence(actor, task):
        require(actor, "add", Evidence(task=task))
    if task.measure != Measure.EVIDENCE:
        raise ServiceError(
            _(
                "This task is counted from the records; evidence is for what the platform "
                "cannot see."
            ),
            code="derived_task",
        )
    try:
        n = int(count)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or n > MAX_TARGET:
        raise ServiceError(_("The count must be a positive whole number."), field="count")
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Say what was done."), field="description")
    if date is None or date.year != task.year:
        raise ServiceError(_("The date must lie in the task's year."), field="date")
    e = Evidence.objects.create(
        task=task, date=date, count=n, description=description[:300], created_by=actor
    )
    audit.record(actor, e, Action.CREATE, {"count": [None, n]})
    return e


# --- the bureau's settings ------------------------------------------------------------------


def _check_settings_unit(actor, obj) -> None:
    require(actor, "add", obj)


@transaction.atomic
def save_point_rule(
    *,
    actor,
    org_unit: OrgUnit,
    item: str,
    level: str,
    points: Any,
    min_participants: int = 0,
) -> PointRule:
    """Set one line of the unit's points table (created or changed); points recompute."""
    from decimal import Decimal, InvalidOperation

    if item not in PointItem.values:
        raise ServiceError(_("Choose the item."), field="item")
    if level not in PointLevel.values:
        raise ServiceError(_("Choose the level."), field="level")
    try:
        value = Decimal(str(points)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("The points must be a number."), field="points") from None
    if value < 0 or value > 1000:
        raise ServiceError(_("The points must be between 0 and 1000."), field="points")
    rule = PointRule.objects.filter(org_unit=org_unit, item=item, level=level).first()
    _check_settings_unit(actor, rule or PointRule(org_unit=org_unit))
    old = None if rule is None else str(rule.points)
    if rule is None:
        rule = PointRule(org_unit=org_unit, item=item, level=level)
    rule.points = value
    rule.min_participants = max(0, int(min_participants or 0))
    rule.save()
    audit.record(
        actor,
        rule,
        Action.CREATE if old is None else Action.UPDATE,
        {"points": [old, str(value)]},
    )
    return rule


@transaction.atomic
def save_policy(
    *,
    actor,
    org_unit: OrgUnit,
    kind: str,
    target_share: Any,
    max_per_person: int,
    allow_several_leads: bool = False,
    allow_several_consortia: bool = False,
) -> KindPolicy:
    from decimal import Decimal, InvalidOperation

    if kind not in Kind.values:
        raise ServiceError(_("Choose the kind of community."), field="kind")
    try:
        share = Decimal(str(target_share)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("The target must be a percentage."), field="target_share") from None
    if not 0 <= share <= 100:
        raise ServiceError(_("The target must be between 0 and 100%."), field="target_share")
    if not 1 <= int(max_per_person or 0) <= 20:
        raise ServiceError(_("Allow between 1 and 20 communities."), field="max_per_person")
    policy = KindPolicy.objects.filter(org_unit=org_unit, kind=kind).first()
    _check_settings_unit(actor, policy or KindPolicy(org_unit=org_unit))
    data = {
        "target_share": share,
        "max_per_person": int(max_per_person),
        "allow_several_leads": bool(allow_several_leads),
        "allow_several_consortia": bool(allow_several_consortia),
    }
    if policy is None:
        policy = KindPolicy.objects.create(org_unit=org_unit, kind=kind, **data)
        audit.record(actor, policy, Action.CREATE, {k: [None, str(v)] for k, v in data.items()})
        return policy
    apply_changes(actor, policy, data, list(data))
    return policy


@transaction.atomic
def add_template(
    *,
    actor,
    org_unit: OrgUnit,
    kind: str,
    name: str,
    measure: str,
    target: Any,
    activity_kind: str = "",
    min_participants: int = 0,
) -> TaskTemplate:
    if kind not in Kind.values:
        raise ServiceError(_("Choose the kind of community."), field="kind")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Name the task."), field="name")
    value = _check_task(measure, target)
    t = TaskTemplate(
        org_unit=org_unit,
        kind=kind,
        name=name[:100],
        measure=measure,
        target=value,
        activity_kind=activity_kind or "",
        min_participants=max(0, int(min_participants or 0)),
        order=TaskTemplate.objects.filter(org_unit=org_unit, kind=kind).count(),
    )
    require(actor, "add", t)
    t.save()
    audit.record(actor, t, Action.CREATE, {"name": [None, t.name], "target": [None, value]})
    return t


@transaction.atomic
def delete_template(*, actor, template: TaskTemplate) -> None:
    require(actor, "delete", template)
    audit.record(actor, template, Action.DELETE, {"name": [template.name, None]})
    template.delete()


# --- the yearly report ---------------------------------------------------------------------


@transaction.atomic
def request_report(*, actor, community: Community, year: int) -> YearlyReport:
    """Start the job that renders the community's report of ``year`` as .docx."""
    from .tasks import YEARLY_REPORT

    if not (can(actor, "add", YearlyReport(community=community)) or _leads(actor, community)):
        require(actor, "add", YearlyReport(community=community))
    _check_year(community, year)
    report = YearlyReport.objects.create(community=community, year=year, created_by=actor)
    job = start_job(
        YEARLY_REPORT,
        actor=actor,
        org_unit=community.org_unit_id,
        params={"report": report.pk},
        defer=False,
    )
    YearlyReport.objects.filter(pk=report.pk).update(job=job)
    report.job = job
    return report


def _leads(user, community: Community, roles=(Role.LEADER, Role.CORE)) -> bool:
    person = getattr(user, "person", None)
    return bool(
        person is not None
        and community.members.filter(
            person=person, left_on__isnull=True, role__in=list(roles)
        ).exists()
    )


def may_request_report(user, community: Community) -> bool:
    return can(user, "add", YearlyReport(community=community)) or _leads(user, community)


def may_organise_for(user, community: Community) -> bool:
    """May ``user`` name ``community`` as an activity's organiser? Its managers, and its
    leader and core members."""
    return can(user, "change", community) or _leads(user, community)


# --- the workspace's shared files ------------------------------------------------------------


def may_share_file(user, community: Community) -> bool:
    """Current members, and the owning unit's admins and managers."""
    return can(user, "add", SharedFile(community=community))


@transaction.atomic
def share_file(*, actor, community: Community, file) -> SharedFile:
    """Store a file in the community's workspace (size and kind checked: no pages,
    scripts or programs; it is always served as a download)."""
    row = SharedFile(community=community, uploaded_by=actor)
    require(actor, "add", row)
    if file is None:
        raise ServiceError(_("Choose a file."), field="file")
    row.name = uploads.check_file(file, "attachment", field="file")
    row.size = int(getattr(file, "size", 0) or 0)
    row.uploader_name = audit.actor_name(actor)[:50]
    row.file.save(row.name, file, save=False)
    row.save()
    audit.record(actor, community, Action.UPDATE, {"files": [None, row.name]})
    return row


@transaction.atomic
def delete_file(*, actor, file: SharedFile) -> None:
    """Remove a shared file: whoever shared it, or an admin of the owning unit."""
    row = SharedFile.objects.select_for_update().select_related("community").get(pk=file.pk)
    require(actor, "delete", row)
    audit.record(actor, row.community, Action.UPDATE, {"files": [row.name, None]})
    stored = row.file.name
    storage = row.file.storage
    row.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
