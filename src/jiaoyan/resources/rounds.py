"""Recommendation rounds (评优/推荐) of the resource library: the writes and the reads.

A bureau runs a round (:class:`RecommendationRound`); each level of its chain sends its
best published resources one level up within its quota — a school to its county, a
county to the city — and the owner's level keeps its best. Every recommendation is a
:class:`Recommendation` row; quotas hold under concurrent recommendation because every
write of a round's entries first locks the round's row (``SELECT … FOR UPDATE``), as
training's enrolment locks the programme for its seats. The chain itself — the next
level's unit, the units a user recommends for, lock-then-check of the quota, the quota
used per unit, the highest entry per resource — is :mod:`jiaoyan.core.rounds`, shared with
the outcomes' selection rounds. Announcing marks each chosen
resource with the honour of the highest level that chose it (校优/县优/市优) and tells its
authors.

Services take the acting user (``actor``), check with ``require``/``locked``, refuse with a
``ServiceError`` (nothing written) and write an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core import rounds as chain
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import check_version, clean_text
from jiaoyan.orgs.models import OrgUnit

from .models import (
    RECOMMENDERS,
    Honour,
    Kind,
    Recommendation,
    RecommendationRound,
    Resource,
    Status,
)

Action = AuditLog.Action
#: The fields of a round its runners edit (forms, API PATCH).
ROUND_FIELDS = (
    "title",
    "description",
    "kinds",
    "opens_on",
    "closes_on",
    "school_quota",
    "county_quota",
    "city_quota",
    "one_per_teacher_node",
)
MAX_QUOTA = chain.MAX_QUOTA


# --- helpers -----------------------------------------------------------------------------


def _date(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ServiceError(
            _("%(label)s is not a date (YYYY-MM-DD).") % {"label": label}, field=field
        ) from None


def _kinds(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    kinds = []
    for k in value or ():
        k = str(k).strip()
        if k not in Kind.values:
            raise ServiceError(_("Choose the kinds of resource the round takes."), field="kinds")
        if k not in kinds:
            kinds.append(k)
    if not kinds:
        raise ServiceError(_("Choose the kinds of resource the round takes."), field="kinds")
    return kinds


def _clean_round(data: Mapping[str, Any], *, current: RecommendationRound | None = None):
    out = dict(data)
    if "title" in out:
        out["title"] = clean_text(
            out["title"], field="title", label=_("Title"), limit=100, required=True
        )
    if "description" in out:
        out["description"] = clean_text(
            out["description"], field="description", label=_("Description"), limit=2000
        )
    if "kinds" in out:
        out["kinds"] = _kinds(out["kinds"])
    if "opens_on" in out:
        out["opens_on"] = _date(out["opens_on"], "opens_on", _("Recommendations open on"))
    if "closes_on" in out:
        out["closes_on"] = _date(out["closes_on"], "closes_on", _("Recommendations close on"))
    for name in ("school_quota", "county_quota", "city_quota"):
        if name in out:
            out[name] = chain.clean_quota(out[name], name)
    if "one_per_teacher_node" in out:
        out["one_per_teacher_node"] = bool(out["one_per_teacher_node"])
    opens = out.get("opens_on", current.opens_on if current else None)
    closes = out.get("closes_on", current.closes_on if current else None)
    if opens and closes and closes < opens:
        raise ServiceError(_("Recommendations cannot close before they open."), field="closes_on")
    return out


def round_units(user, r: RecommendationRound) -> list[OrgUnit]:
    """The units ``user`` recommends for in ``r``, highest level first: those where they
    hold a recommending role, of a level of the round's chain, in the round's region."""
    return chain.round_units(user, r, RECOMMENDERS)


def _active(r: RecommendationRound) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(round=r, withdrawn_at__isnull=True)


def used(r: RecommendationRound, unit: OrgUnit) -> int:
    return chain.quota_use(_active(r), [unit]).get(unit.pk, 0)


def _pick_unit(actor, r: RecommendationRound, resource: Resource, unit) -> OrgUnit:
    mine = round_units(actor, r)
    if unit is not None:
        for u in mine:
            if u.pk == unit.pk:
                return u
        raise ServiceError(
            _("You do not recommend for %(unit)s in this round.") % {"unit": unit.name},
            field="unit",
            code="not_your_level",
        )
    if not mine:
        raise ServiceError(
            _("You recommend for no unit in this round."), field="unit", code="not_your_level"
        )
    first = r.levels[0]
    received = set(
        _active(r).filter(resource=resource, to_unit__in=mine).values_list("to_unit_id", flat=True)
    )
    for u in mine:  # the highest level that can take it
        if u.pk in received or (u.level == first and is_under(resource.org_unit.path, u.path)):
            return u
    return mine[-1]


def _check_rule(r: RecommendationRound, resource: Resource, level: str) -> None:
    """The rule "one entry per teacher per chapter": no author of ``resource`` has another resource
    on the same chapter among the round's entries of ``level``."""
    if not r.one_per_teacher_node or resource.curriculum_node_id is None:
        return
    authors = list(resource.authors.all())
    clash = (
        _active(r)
        .filter(
            level=level,
            resource__curriculum_node_id=resource.curriculum_node_id,
            resource__authors__in=[a.pk for a in authors],
        )
        .exclude(resource=resource)
        .select_related("resource")
        .first()
    )
    if clash is not None:
        names = {a.pk: a.name for a in authors}
        author = next(
            (names[p] for p in clash.resource.authors.values_list("pk", flat=True) if p in names),
            "",
        )
        raise ServiceError(
            _(
                "%(name)s already has an entry on the chapter “%(chapter)s” in this round "
                "(“%(title)s”): one entry per teacher per chapter."
            )
            % {
                "name": author,
                "chapter": resource.curriculum_node.name,
                "title": clash.resource.title,
            },
            field="resource",
            code="duplicate_teacher_chapter",
        )


# --- rounds ------------------------------------------------------------------------------


@transaction.atomic
def create_round(
    *,
    actor,
    org_unit,
    title: str,
    kinds: Iterable[str] | str,
    opens_on,
    closes_on,
    description: str = "",
    school_quota: int = 3,
    county_quota: int = 10,
    city_quota: int = 20,
    one_per_teacher_node: bool = False,
) -> RecommendationRound:
    """A new round run by ``org_unit`` (a bureau) for the units below it."""
    if org_unit is None:
        raise ServiceError(_("Choose the unit that runs the round."), field="org_unit")
    require(actor, "add", RecommendationRound(org_unit=org_unit))
    if org_unit.level not in chain.CHAIN[1:]:
        raise ServiceError(_("A round is run by a county, city or province."), field="org_unit")
    data = _clean_round(
        {
            "title": title,
            "description": description,
            "kinds": kinds,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "school_quota": school_quota,
            "county_quota": county_quota,
            "city_quota": city_quota,
            "one_per_teacher_node": one_per_teacher_node,
        }
    )
    now = timezone.now()
    r = RecommendationRound.objects.create(
        org_unit=org_unit, created_by=actor, created_at=now, updated_at=now, **data
    )
    audit.record(actor, r, Action.CREATE, audit.snapshot(r, ["title", *ROUND_FIELDS[2:]]))
    return r


@transaction.atomic
def update_round(
    *,
    actor,
    round: RecommendationRound,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> RecommendationRound:
    """Edit a round before its results are announced (its runners)."""
    from jiaoyan.core.services import apply_changes

    r = locked(actor, "change", round)
    check_version(r, expected_version)
    if r.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    clean = _clean_round({f: data[f] for f in ROUND_FIELDS if f in data}, current=r)
    apply_changes(actor, r, clean, list(clean), expected_version=None)
    return r


@transaction.atomic
def set_unit_quota(
    *, actor, round: RecommendationRound, unit, quota: int | None
) -> RecommendationRound:
    """Give one unit of the round its own quota (``None``: back to its level's)."""
    r = locked(actor, "change", round)
    if r.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    if unit.level not in r.levels or not is_under(unit.path, r.region.path):
        raise ServiceError(
            _("%(unit)s takes no part in this round.") % {"unit": unit.name}, field="unit"
        )
    quotas = dict(r.quotas or {})
    before = quotas.get(str(unit.pk))
    if quota is None:
        quotas.pop(str(unit.pk), None)
    else:
        quota = chain.clean_quota(quota, "quota")
        taken = used(r, unit)
        if quota < taken:
            raise ServiceError(
                _("%(unit)s has recommended %(n)d already: the quota cannot be smaller.")
                % {"unit": unit.name, "n": taken},
                field="quota",
            )
        quotas[str(unit.pk)] = quota
    r.quotas = quotas
    r.save(update_fields=["quotas"])
    audit.record(actor, r, Action.UPDATE, {"quota": [before, quota], "unit": unit.name})
    return r


# --- recommending ------------------------------------------------------------------------


@transaction.atomic
def recommend(
    *,
    actor,
    round: RecommendationRound,
    resource: Resource,
    unit: OrgUnit | None = None,
    note: str = "",
) -> Recommendation:
    """``unit`` (default: the actor's unit that can take it) sends ``resource`` one level
    up: a school one of its published resources, a county or city one recommended to it.
    Within the unit's quota, while the round is open; the round's row lock serialises
    concurrent recommendations, so the last place goes to one of them."""
    r = chain.lock_round(actor, RecommendationRound, round.pk)
    if resource is None:
        raise ServiceError(_("Choose the resource to recommend."), field="resource")
    resource = Resource.objects.select_related("org_unit", "curriculum_node").get(pk=resource.pk)
    u = _pick_unit(actor, r, resource, unit)
    entry = Recommendation(round=r, resource=resource, level=u.level, org_unit=u)
    require(actor, "add", entry)
    chain.check_open(r)
    if resource.status != Status.PUBLISHED:
        raise ServiceError(
            _("Only published resources can be recommended."),
            field="resource",
            code="unpublished",
        )
    if resource.kind not in r.kinds:
        raise ServiceError(
            _("This round takes %(kinds)s; “%(title)s” is a %(kind)s.")
            % {
                "kinds": "、".join(str(Kind(k).label) for k in r.kinds),
                "title": resource.title,
                "kind": resource.get_kind_display(),
            },
            field="resource",
            code="wrong_kind",
        )
    if u.level == r.levels[0]:
        if not is_under(resource.org_unit.path, u.path):
            raise ServiceError(
                _("“%(title)s” is not a resource of %(unit)s.")
                % {"title": resource.title, "unit": u.name},
                field="resource",
                code="not_your_level",
            )
        entry.source = None
    else:
        entry.source = _active(r).filter(resource=resource, to_unit=u).first()
        if entry.source is None:
            raise ServiceError(
                _("“%(title)s” was not recommended to %(unit)s.")
                % {"title": resource.title, "unit": u.name},
                field="resource",
                code="not_your_level",
            )
    if _active(r).filter(resource=resource, level=u.level).exists():
        raise ServiceError(
            _("“%(title)s” is already recommended at this level.") % {"title": resource.title},
            field="resource",
            code="duplicate",
        )
    chain.check_quota(r, u, _active(r), field="resource")
    _check_rule(r, resource, u.level)
    entry.to_unit = chain.next_unit(r, u)
    entry.note = clean_text(note, field="note", label=_("Note"), limit=200)
    entry.recommended_by = actor
    entry.recommended_at = timezone.now()
    entry.save()
    audit.record(
        actor,
        entry,
        Action.CREATE,
        {
            "resource": [None, resource.title],
            "level": [None, entry.level],
            "to_unit": [None, entry.to_unit.name if entry.to_unit else None],
        },
    )
    return entry


@transaction.atomic
def withdraw(*, actor, recommendation: Recommendation) -> Recommendation:
    """Take a recommendation back before the round closes (the unit that made it), unless
    the level above has selected it already."""
    return chain.withdraw(actor, RecommendationRound, recommendation, "resource")


@transaction.atomic
def announce(*, actor, round: RecommendationRound) -> RecommendationRound:
    """Announce the results once recommendations have closed (the round's runners): each
    recommended resource is honoured at the highest level that chose it, and its authors
    are told."""
    r, honoured = chain.announce(actor, round, _active(round), "resource")
    _tell_authors(r, honoured)
    return r


def _tell_authors(r: RecommendationRound, entries: list[Recommendation]) -> None:
    """Each honoured resource's authors (and its creator) are told, once committed."""
    through = Resource.authors.through
    users: dict[int, set[int]] = {}
    for rid, uid in through.objects.filter(
        resource_id__in=[e.resource_id for e in entries], person__user__isnull=False
    ).values_list("resource_id", "person__user_id"):
        users.setdefault(rid, set()).add(uid)
    notes = []
    for e in entries:
        ids = users.get(e.resource_id, set())
        if e.resource.created_by_id:
            ids.add(e.resource.created_by_id)
        title = _("“%(title)s” is %(honour)s in %(round)s") % {
            "title": e.resource.title,
            "honour": Honour(e.level).label,
            "round": r.title,
        }
        notes.append((ids, title, e.resource))

    def send():
        for ids, title, resource in notes:
            notify(ids, title=title, url=resource.get_absolute_url(), about=resource)

    transaction.on_commit(send)


# --- reads -------------------------------------------------------------------------------


def rounds(user) -> QuerySet[RecommendationRound]:
    """The rounds the user sees: those run by their units or the units above them."""
    return RecommendationRound.objects.visible_to(user)


def entries(user) -> QuerySet[Recommendation]:
    """The entries the user sees: their units' and those recommended to their units."""
    return Recommendation.objects.visible_to(user)


def sent(user, r: RecommendationRound, units: Iterable[OrgUnit]) -> QuerySet[Recommendation]:
    """What ``units`` recommended in ``r`` (in force)."""
    return entries(user).filter(round=r, org_unit__in=list(units), withdrawn_at__isnull=True)


def received(user, r: RecommendationRound, units: Iterable[OrgUnit]) -> QuerySet[Recommendation]:
    """What was recommended to ``units`` in ``r`` (in force)."""
    return entries(user).filter(round=r, to_unit__in=list(units), withdrawn_at__isnull=True)


def candidates(user, r: RecommendationRound, units: Iterable[OrgUnit]) -> QuerySet[Resource]:
    """The published resources of ``units`` (those of the round's first level) of the
    round's kinds, not yet recommended."""
    first = [u for u in units if u.level == r.levels[0]]
    if not first:
        return Resource.objects.none()
    q = Q(pk__in=[])
    for u in first:
        q |= Q(org_unit__path__under=u.path)
    return (
        Resource.objects.visible_to(user)
        .filter(q, status=Status.PUBLISHED, kind__in=r.kinds)
        .exclude(pk__in=_active(r).filter(level=r.levels[0]).values("resource_id"))
    )


def quota_rows(r: RecommendationRound, units: Iterable[OrgUnit]) -> list[dict[str, Any]]:
    """Per unit: its quota, how many it has recommended, how many are left."""
    return chain.quota_rows(r, _active(r), units)


def honours(
    user, resource_ids: Iterable[int], *, visible: bool = False
) -> dict[int, list[Recommendation]]:
    """The honours (announced, highest entries) of the resources, by resource id.
    ``visible``: the caller read these ids through ``Resource.objects.visible_to(user)``
    itself (a list's page of rows), so they are not checked a second time."""
    ids = list(resource_ids)
    if not ids:
        return {}
    out: dict[int, list[Recommendation]] = {}
    # A resource's honour is seen wherever the resource is (the honoured branch of the
    # entries' visible_to): read as that branch narrowed to these resources first, so the
    # database checks these few rows rather than gathering every resource the user sees.
    seen = ids if visible else Resource.objects.visible_to(user).filter(pk__in=ids).values("pk")
    rows = Recommendation.objects.filter(resource_id__in=seen, honoured=True).select_related(
        "round"
    )
    for e in rows.order_by("-round__opens_on", "id"):
        out.setdefault(e.resource_id, []).append(e)
    return out
