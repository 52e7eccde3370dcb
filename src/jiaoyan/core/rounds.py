"""Selection rounds up the chain (评优/推荐/遴选), the part every module shares: a bureau
runs a round for the units below it; each level sends its best entries one level up
within its quota — a school to its county, a county to the city — and the round's owner
keeps its best. The resource library's rounds and the outcomes' rounds are built on this.

What is here (no model of its own, no message of a module):

* :data:`CHAIN` and :func:`levels_up_to` — the levels of a chain, lowest first;
* :class:`ChainRound` — the abstract fields and rules of a round (dates, quotas per level,
  single units' quotas, announcement) a module's round model inherits;
* :func:`acting_unit_ids` — the units a user acts for (a bureau's role acts for its
  region) and :func:`round_units` — those of them taking part in a round;
* :func:`next_unit` — where a unit's entries go;
* :func:`lock_round` / :func:`check_open` / :func:`check_quota` — lock-then-check: every
  write of a round's entries first locks the round's row, so concurrent recommendations
  see each other and the last place goes to one of them;
* :func:`quota_use` / :func:`quota_rows` — the quota used per unit;
* :func:`entries_visible_q` — a level sees what it sent and what was sent to it, never
  what the levels below it sent each other;
* :func:`withdraw` — an entry taken back (while the round is open, unless the level above
  chose it);
* :func:`highest` / :func:`announce` — announcing: each item's highest entry (its honour).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import audit
from .errors import ServiceError
from .paths import path_ids
from .scope import locked, require, user_scopes

#: The levels of a chain, lowest first.
CHAIN = ("school", "county", "city", "province")
MAX_QUOTA = 1000


def levels_up_to(top: str) -> tuple[str, ...]:
    """The levels of a chain whose top level is ``top``, lowest first."""
    return CHAIN[: CHAIN.index(top) + 1] if top in CHAIN else (top,)


def level_order(level: str) -> int:
    return CHAIN.index(level) if level in CHAIN else -1


class ChainRound(models.Model):
    """The fields of a round run by a bureau (``org_unit``, declared by the module) for
    the units below it: when recommendations open and close, the quota of each level (a
    school sends up to ``school_quota`` to its county, a county up to ``county_quota`` to
    the city, the top keeps up to ``city_quota``), single units' own quotas (``quotas``:
    ``{"<unit id>": n}``) and when the results were announced."""

    opens_on = models.DateField(_lazy("recommendations open on"))
    closes_on = models.DateField(_lazy("recommendations close on"))
    school_quota = models.PositiveSmallIntegerField(_lazy("quota per school"), default=3)
    county_quota = models.PositiveSmallIntegerField(_lazy("quota per county"), default=10)
    city_quota = models.PositiveSmallIntegerField(_lazy("quota of the city"), default=20)
    quotas = models.JSONField(_lazy("quotas of single units"), default=dict, blank=True)
    announced_at = models.DateTimeField(_lazy("announced at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def region(self):
        """The region the round is run for (a bureau's or institute's parent)."""
        return self.org_unit.scope_root

    @property
    def levels(self) -> tuple[str, ...]:
        return levels_up_to(self.org_unit.level)

    def phase(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.announced_at is not None:
            return "announced"
        if today < self.opens_on:
            return "upcoming"
        return "open" if today <= self.closes_on else "closed"

    def is_open(self, today: dt.date | None = None) -> bool:
        return self.phase(today) == "open"

    def level_quota(self, level: str) -> int:
        return {"school": self.school_quota, "county": self.county_quota}.get(
            level, self.city_quota
        )

    def quota_for(self, unit) -> int:
        """How many entries ``unit`` may send up (its own quota, else its level's)."""
        own = (self.quotas or {}).get(str(unit.pk))
        return int(own) if own is not None else self.level_quota(unit.level)


def clean_quota(value: Any, field: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = -1
    if not 0 <= n <= MAX_QUOTA:
        raise ServiceError(
            _("A quota is a whole number from 0 to %(n)d.") % {"n": MAX_QUOTA}, field=field
        )
    return n


def acting_unit_ids(user, roles: Iterable[str] | None = None) -> set[int]:
    """The units ``user`` acts for in a round: the unit of each of their roles (``roles``:
    only these), a bureau's or institute's being its region's. Cached on the user."""
    from jiaoyan.orgs.models import OrgUnit

    roles = frozenset(roles) if roles is not None else None
    scopes = [s for s in user_scopes(user) if roles is None or s.role in roles]
    if not scopes:
        return set()
    cache = getattr(user, "_jiaoyan_round_units", None)
    if cache is None:
        cache = user._jiaoyan_round_units = {}
    if roles not in cache:
        rows = OrgUnit.objects.filter(pk__in={s.unit_id for s in scopes}).values_list(
            "pk", "kind", "parent_id"
        )
        cache[roles] = {
            parent if kind in ("bureau", "institute") and parent else pk
            for pk, kind, parent in rows
        }
    return cache[roles]


def round_units(user, r: ChainRound, roles: Iterable[str]) -> list:
    """The units ``user`` recommends for in ``r`` (holding one of ``roles`` there), of a
    level of the round's chain, in its region; highest level first."""
    from jiaoyan.orgs.models import OrgUnit

    ids = acting_unit_ids(user, roles)
    if not ids:
        return []
    units = OrgUnit.objects.filter(pk__in=ids, level__in=r.levels, path__under=r.region.path)
    return sorted(units, key=lambda u: (-level_order(u.level), u.path))


def next_unit(r: ChainRound, unit):
    """The unit ``unit``'s entries go to: the region of the next level of the round's
    chain above it (the round's region at the top), None at the round's top level."""
    from jiaoyan.orgs.models import OrgUnit

    levels = r.levels
    if unit.level not in levels or unit.level == levels[-1]:
        return None
    above = levels[levels.index(unit.level) + 1 :]
    rows = {
        u.level: u
        for u in OrgUnit.objects.filter(
            pk__in=path_ids(unit.path)[:-1], level__in=above, kind=OrgUnit.Kind.REGION
        )
    }
    for level in above:
        if level in rows:
            return rows[level]
    return r.region


def lock_round(actor, model: type[models.Model], pk: int):
    """The round's row under a lock (``SELECT … FOR UPDATE``), once the actor may see it:
    every write of a round's entries takes it first, so quotas hold."""
    fresh = (
        model.objects.select_for_update(of=("self",))
        .select_related("org_unit", "org_unit__parent")
        .get(pk=pk)
    )
    require(actor, "view", fresh)
    return fresh


def check_open(r: ChainRound) -> None:
    """Refuse unless the round takes recommendations today."""
    phase = r.phase()
    if phase == "open":
        return
    if phase == "upcoming":
        raise ServiceError(
            _("Recommendations open on %(date)s.") % {"date": r.opens_on.isoformat()},
            code="round_closed",
        )
    if phase == "announced":
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    raise ServiceError(
        _("The round closed on %(date)s.") % {"date": r.closes_on.isoformat()},
        code="round_closed",
    )


def check_quota(r: ChainRound, unit, active: QuerySet, *, field: str = "") -> None:
    """Refuse when ``unit`` has used its quota (``active``: the round's entries in force;
    call with the round locked)."""
    quota, taken = r.quota_for(unit), active.filter(org_unit=unit).count()
    if taken >= quota:
        raise ServiceError(
            _("%(unit)s has used its quota (%(used)d of %(quota)d recommended).")
            % {"unit": unit.name, "used": taken, "quota": quota},
            field=field or None,
            code="over_quota",
        )


def quota_use(active: QuerySet, units: Iterable) -> dict[int, int]:
    """How many entries each of ``units`` has in force (one grouped query)."""
    return dict(
        active.filter(org_unit__in=list(units))
        .order_by()
        .values("org_unit_id")
        .annotate(n=Count("id"))
        .values_list("org_unit_id", "n")
    )


def quota_rows(r: ChainRound, active: QuerySet, units: Iterable) -> list[dict[str, Any]]:
    """Per unit: its quota, how many it has recommended, how many are left."""
    units = list(units)
    counts = quota_use(active, units)
    rows = []
    for u in units:
        quota, n = r.quota_for(u), counts.get(u.pk, 0)
        rows.append({"unit": u, "quota": quota, "used": n, "left": max(quota - n, 0)})
    return rows


def entries_visible_q(user, *, honoured_items: Q | None = None) -> Q | None:
    """The entries ``user`` sees: those their units sent and those sent to their units;
    with ``honoured_items``, also the honoured entries of items they see."""
    ids = acting_unit_ids(user)
    q = Q(honoured=True) & honoured_items if honoured_items is not None else None
    if ids:
        mine = Q(org_unit_id__in=ids) | Q(to_unit_id__in=ids)
        q = mine if q is None else q | mine
    return q


def highest(entries: Iterable, item: str) -> dict[int, Any]:
    """Each item's (``item``: the attribute of its id) highest entry: its honour."""
    top: dict[int, Any] = {}
    for e in entries:
        key = getattr(e, item)
        best = top.get(key)
        if best is None or level_order(e.level) > level_order(best.level):
            top[key] = e
    return top


def withdraw(actor, round_model: type[models.Model], entry, item: str):
    """Take ``entry`` (of a round of ``round_model``; ``item``: the field of what it
    recommends) back while the round is open, unless the level above has chosen it
    already: the round locked first, the entry's unit's recommenders only, audited."""
    r = lock_round(actor, round_model, entry.round_id)
    row = (
        type(entry)
        .objects.select_for_update(of=("self",))
        .select_related(item, "org_unit")
        .get(pk=entry.pk)
    )
    require(actor, "change", row)
    check_open(r)
    if row.withdrawn_at is not None:
        raise ServiceError(_("The recommendation is withdrawn already."), code="withdrawn")
    above = row.selections.filter(withdrawn_at__isnull=True).select_related("org_unit").first()
    if above is not None:
        raise ServiceError(
            _("%(unit)s has selected “%(title)s” already: it withdraws it first.")
            % {"unit": above.org_unit.name, "title": getattr(row, item).title},
            code="selected_above",
        )
    row.withdrawn_at = timezone.now()
    row.save(update_fields=["withdrawn_at"])
    audit.record(
        actor, row, audit.AuditLog.Action.UPDATE, {"withdrawn_at": [None, str(row.withdrawn_at)]}
    )
    return row


def announce(actor, round: ChainRound, active: QuerySet, item: str) -> tuple[ChainRound, list]:
    """Announce ``round``'s results once recommendations have closed (its runners), in one
    batch: of its entries in force (``active``), each item's (``item``: the field of what
    they recommend) highest is honoured. Returns the round and the honoured entries (their
    items' authors are the module's to tell)."""
    r = locked(actor, "change", round)
    if r.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    if r.phase() != "closed":
        raise ServiceError(
            _("Recommendations are open until %(date)s: announce the results after that.")
            % {"date": r.closes_on.isoformat()},
            code="round_open",
        )
    top = highest(active.select_related(item).order_by("id"), f"{item}_id")
    active.model.objects.filter(pk__in=[e.pk for e in top.values()]).update(honoured=True)
    r.announced_at = timezone.now()
    r.save(update_fields=["announced_at"])
    audit.record(
        actor,
        r,
        audit.AuditLog.Action.UPDATE,
        {"announced_at": [None, str(r.announced_at)], "honoured": len(top)},
    )
    return r, list(top.values())
