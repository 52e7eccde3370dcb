"""Invitations, registration and declining. Seats are counted under the venue's row lock
(see the package docstring for the lock order)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.resolve import Resolver, resolve_many, unresolved
from jiaoyan.core.scope import can, grant_many, locked
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person, RoleAssignment

from ..models import Activity, Participation, Venue
from .common import ACTIVE, Action, PStatus, Status, _local, _person_of


def _venue_for(venues: list[Venue], unit_paths: dict[int, str], person_path: str) -> Venue | None:
    """The sub-venue of the person's own unit (the closest one), else the main venue."""
    best, best_len = None, -1
    for v in venues:
        path = unit_paths.get(v.unit_id or 0, "")
        if not v.is_main and path and person_path.startswith(path) and len(path) > best_len:
            best, best_len = v, len(path)
    if best is not None:
        return best
    return next((v for v in venues if v.is_main), venues[0] if venues else None)


def staff_to_invite(
    actor, numbers: Sequence[str], *, beyond_scope: bool, field: str = "staff_numbers"
) -> tuple[list[Person], list[str]]:
    """The active people ``actor`` may see among ``numbers``, and — only on the explicit
    path (``beyond_scope``) — the numbers the actor cannot see, which :func:`invite`
    invites blind and audits. Without it, a number beyond scope is ``Unresolved`` exactly
    like one that exists nowhere."""
    active = Person.objects.filter(status=Person.Status.ACTIVE)
    if not beyond_scope:
        people = resolve_many(
            actor, Person, numbers, field=field, queryset=active, keys=("staff_no",)
        )
        return people, []
    resolver = Resolver(actor, Person, queryset=active, keys=("staff_no",))
    resolver.prefetch(numbers)
    found = {n: resolver.get(n) for n in numbers}
    people = list({p.pk: p for p in found.values() if p is not None}.values())
    return people, sorted({n for n, p in found.items() if p is None})


def resolve_people(
    *,
    actor=None,
    units: Iterable[OrgUnit] = (),
    subject: Subject | None = None,
    stage: Stage | None = None,
    roles: Iterable[str] = ("teacher",),
    staff_numbers: Iterable[str] = (),
) -> tuple[list[int], list[str]]:
    """Ids of the active people meant by a unit-and-subject choice plus staff numbers.

    Returns (person ids, staff numbers that match nobody). With ``actor`` (every caller
    that acts for someone) only people the actor may see are meant: a staff number or a
    unit beyond their scope matches nobody, exactly like one that does not exist."""
    people = Person.objects.all() if actor is None else Person.objects.visible_to(actor)
    ids: set[int] = set()
    units = list(units)
    if units:
        q = Q(pk__in=[])
        for u in units:
            q |= Q(person__org_unit__path__under=u.path)
        ras = RoleAssignment.objects.filter(
            q, is_active=True, person__status=Person.Status.ACTIVE, role__in=list(roles)
        )
        if subject is not None:
            ras = ras.filter(subjects=subject)
        if stage is not None:
            ras = ras.filter(stages=stage)
        if actor is not None:
            ras = ras.filter(person__in=people.values("pk"))
        ids.update(ras.values_list("person_id", flat=True))
    numbers = [n.strip() for n in staff_numbers if n and n.strip()]
    unknown: list[str] = []
    if numbers:
        found = dict(
            people.filter(staff_no__in=numbers, status=Person.Status.ACTIVE).values_list(
                "staff_no", "pk"
            )
        )
        unknown = [n for n in numbers if n not in found]
        ids.update(found.values())
    return sorted(ids), unknown


@transaction.atomic
def invite(
    *,
    actor,
    activity: Activity,
    person_ids: Sequence[int],
    audience_only: bool = False,
    description: str = "",
    beyond_scope: Sequence[str] = (),
) -> int:
    """Invite people (they are put on the list, on the venue of their unit) or, with
    ``audience_only``, let them see an open-registration activity and register themselves.

    Either way each of them gets a scope grant on the activity (and on nothing else).
    ``person_ids`` are people the actor may see (resolved through the scoped resolver);
    anyone else is refused with the resolver's message. ``beyond_scope`` is the explicit
    path for people beyond the actor's scope, by staff number: whoever holds one is
    invited too, notified at once (also for a draft: they learn who invited them), and
    the numbers are recorded in the activity's history. Nothing the caller gets back
    tells whether such a number exists: the count returned is of the people within
    the actor's scope newly invited (or added to the audience).
    """
    activity = locked(actor, "change", activity)
    if activity.is_closed:
        raise ServiceError(_("The activity is closed; nobody can be invited any more."))
    if audience_only and activity.registration != Activity.Registration.OPEN:
        raise ServiceError(
            _("Switch the activity to open registration before opening it to an audience.")
        )
    beyond_numbers = sorted({n.strip() for n in beyond_scope if n and n.strip()})
    if not person_ids and not beyond_numbers:
        raise ServiceError(_("Nobody matches this choice."))
    # Everyone invited is someone the actor may see (the callers resolved them through
    # the scoped resolver; this keeps the service itself from inviting beyond scope). One
    # who is not gets the resolver's answer: it does not tell absent from out of scope.
    # People already on the list (whoever invited them) may be named again.
    listed = Participation.objects.filter(activity=activity).values("person_id")
    people = list(
        Person.objects.filter(
            Q(pk__in=Person.objects.visible_to(actor).values("pk")) | Q(pk__in=listed),
            pk__in=person_ids,
        ).values_list("pk", "user_id", "org_unit__path")
    )
    if len(people) != len(set(person_ids)):
        raise unresolved(Person, field=None)
    beyond: list[tuple[int, int | None, str]] = []
    if beyond_numbers:
        beyond = list(
            Person.objects.filter(staff_no__in=beyond_numbers, status=Person.Status.ACTIVE)
            .exclude(pk__in=Person.objects.visible_to(actor).values("pk"))
            .values_list("pk", "user_id", "org_unit__path")
        )
    in_scope = {pk for pk, _uid, _p in people}
    people += beyond
    new_count = 0
    if not audience_only:
        have = set(
            Participation.objects.filter(activity=activity).values_list("person_id", flat=True)
        )
        venues = list(activity.venues.all())
        unit_paths = dict(
            OrgUnit.objects.filter(pk__in=[v.unit_id for v in venues if v.unit_id]).values_list(
                "pk", "path"
            )
        )
        now = timezone.now()
        rows = []
        for pk, _uid, path in people:
            if pk in have:
                continue
            venue = _venue_for(venues, unit_paths, path)
            rows.append(
                Participation(
                    activity=activity,
                    person_id=pk,
                    venue=venue,
                    status=PStatus.INVITED,
                    created_at=now,
                    updated_at=now,
                )
            )
        Participation.objects.bulk_create(rows, batch_size=2000)
        Activity.objects.filter(pk=activity.pk).update(
            participant_count=F("participant_count") + len(rows)
        )
        new_count = sum(1 for r in rows if r.person_id in in_scope)
        new_users = {uid for pk, uid, _p in people if uid and pk not in have}
    else:
        new_users = {uid for _pk, uid, _p in people if uid}
    reason = "invited" if not audience_only else "audience"
    beyond_users = {uid for pk, uid, _p in people if uid and pk not in in_scope}
    granted = grant_many(activity, users=new_users - beyond_users, reason=reason)
    grant_many(activity, users=new_users & beyond_users, reason=reason)
    if audience_only:
        new_count = granted
    if beyond_numbers:
        _record_beyond_scope(actor, activity, beyond_numbers, beyond, audience_only)
    audit.record(
        actor,
        activity,
        Action.GRANT,
        {"invited" if not audience_only else "audience": [None, new_count]},
        message=description[:300],
    )
    if activity.status != Status.DRAFT and new_users:
        notify(
            new_users,
            title=(
                _("Invitation: %(title)s")
                if not audience_only
                else _("Open for registration: %(title)s")
            )
            % {"title": activity.title},
            body=_("%(when)s, organised by %(unit)s.")
            % {"when": _local(activity.starts_at), "unit": activity.org_unit.name},
            url=activity.get_absolute_url(),
            about=activity,
            dedupe_key=f"activity-invite-{activity.pk}",
        )
    return new_count


def _record_beyond_scope(actor, activity, numbers, people, audience_only: bool) -> None:
    """The explicit trace of an invitation beyond the inviter's scope: an audit row with
    the staff numbers given (not who holds them) and a notification to each invitee,
    sent at once whatever the activity's state."""
    audit.record(
        actor,
        activity,
        Action.GRANT,
        {"invited_beyond_scope": [None, "、".join(numbers)]},
        message=_("Invited by staff number beyond the organiser's scope"),
    )
    users = {uid for _pk, uid, _p in people if uid}
    if users:
        notify(
            users,
            title=_("Invitation from another unit: %(title)s") % {"title": activity.title},
            body=_("%(when)s, organised by %(unit)s. You may decline if it does not concern you.")
            % {"when": _local(activity.starts_at), "unit": activity.org_unit.name},
            url=activity.get_absolute_url(),
            about=activity,
            dedupe_key=f"activity-invite-beyond-{activity.pk}",
        )


def _require_participant_view(actor, activity: Activity) -> Person:
    person = _person_of(actor)
    if not can(actor, "view", activity):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return person


def _add_registered(activity, person, venue, now) -> Participation:
    """``person`` registered for ``activity`` at ``venue`` (by themselves, or by checking
    in to an open activity), counted among its participants."""
    part = Participation.objects.create(
        activity=activity,
        person=person,
        venue=venue,
        status=PStatus.REGISTERED,
        created_at=now,
        updated_at=now,
    )
    Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") + 1)
    return part


def _lock_venues(ids: Iterable[int]) -> dict[int, Venue]:
    """Lock venue rows in ascending id order (the one lock order of this module)."""
    wanted = sorted({i for i in ids if i})
    return {v.pk: v for v in Venue.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}


def _seats_taken(venue: Venue) -> int:
    return Participation.objects.filter(venue=venue, status__in=ACTIVE).count()


@transaction.atomic
def register(*, actor, activity: Activity, venue: Venue) -> Participation:
    """Register (open registration) or confirm an invitation, on a venue with seats left."""
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    if venue.activity_id != activity.pk:
        raise ServiceError(_("This venue belongs to another activity."), field="venue")
    if not activity.is_open:
        raise ServiceError(_("Registration is closed: the activity is not open."))
    existing = (
        Participation.objects.select_for_update().filter(activity=activity, person=person).first()
    )
    if existing is None and activity.registration != Activity.Registration.OPEN:
        raise ServiceError(_("This activity is by invitation only."))
    locked = _lock_venues([venue.pk, existing.venue_id if existing else 0])
    venue = locked[venue.pk]
    if existing is not None:
        existing = Participation.objects.select_for_update().get(pk=existing.pk)
    moving = (
        existing is None or existing.status == PStatus.DECLINED or existing.venue_id != venue.pk
    )
    if moving and venue.capacity is not None and _seats_taken(venue) >= venue.capacity:
        raise ServiceError(
            _("“%(venue)s” is full (%(n)d seats). Choose another venue.")
            % {"venue": venue.name, "n": venue.capacity},
            field="venue",
        )
    now = timezone.now()
    if existing is None:
        try:
            with transaction.atomic():
                part = _add_registered(activity, person, venue, now)
        except IntegrityError:
            raise ServiceError(_("You are already registered.")) from None
        audit.record(actor, activity, Action.UPDATE, {"registered": [None, person.name]})
        return part
    was_active = existing.status in ACTIVE
    changes = {}
    if existing.venue_id != venue.pk:
        changes["venue"] = [str(existing.venue) if existing.venue_id else None, venue.name]
    if existing.status != PStatus.REGISTERED:
        changes["status"] = [existing.status, PStatus.REGISTERED]
    existing.venue = venue
    existing.status = PStatus.REGISTERED
    existing.decline_reason = ""
    existing.updated_at = now
    existing.save(update_fields=["venue", "status", "decline_reason", "updated_at"])
    if not was_active:
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") + 1)
    if changes:
        audit.record(actor, activity, Action.UPDATE, changes, message=person.name)
    return existing


@transaction.atomic
def decline(*, actor, activity: Activity, reason: str) -> Participation:
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Tell the organiser why you cannot come."), field="reason")
    if not activity.is_open and activity.status != Status.DRAFT:
        raise ServiceError(_("The activity is closed."))
    part = (
        Participation.objects.select_for_update().filter(activity=activity, person=person).first()
    )
    if part is None:
        raise ServiceError(_("You are not on the list of this activity."))
    if part.attended:
        raise ServiceError(_("You already checked in; you cannot decline any more."))
    was_active = part.status in ACTIVE
    part.status = PStatus.DECLINED
    part.decline_reason = reason[:300]
    part.updated_at = timezone.now()
    part.save(update_fields=["status", "decline_reason", "updated_at"])
    if was_active:
        Activity.objects.filter(pk=activity.pk).update(participant_count=F("participant_count") - 1)
    audit.record(
        actor, activity, Action.UPDATE, {"declined": [None, person.name]}, message=reason[:300]
    )
    return part
