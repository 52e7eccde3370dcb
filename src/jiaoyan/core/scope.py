"""Who sees what: ``visible_to(user)`` for every read, ``can(user, action, obj)`` for every write.

Every role a person holds is bound to an org unit; what the role may do, it may do on that
unit's whole subtree and nowhere else (DESIGN.md "Scope"). A model joins the mechanism by
registering itself with :func:`scoped`, naming the lookup that leads from a row to the tree
path of the unit it belongs to, and which roles may do which action. From then on:

* ``Model.objects.visible_to(user)`` is the rows under the user's units, plus the rows
  shared beyond that subtree — with the user or with a unit inside the user's scope,
  one object at a time, through :func:`grant` (:class:`ScopeGrant`), or a whole unit's
  rows at once through a declared unit share (:func:`unit_share`: a liaison
  researcher's schools) — plus the rows a model's own ``visible`` hook adds (a person
  always sees their own record);
* ``can(user, action, obj)`` answers for one object;
* ``get_visible_or_404`` is what views and endpoints use to fetch one row, so that an
  object outside the scope is indistinguishable from one that does not exist.

``tests/core/test_scope_matrix.py`` walks this registry: a model registered here is tested
for cross-district isolation without writing a new test.

How the condition is written (DESIGN.md "Quality bar": each planner serves it from its
indexes). ``visible_to`` is an OR of branches — the subtree, the grants, the unit
shares, the hook — and every branch is a predicate on the model's own indexed columns:
a path prefix, a column compared with the user's id, or a column compared with a set
of ids computed once (``field__in_ids=<subquery>``). On PostgreSQL that set is written
``= ANY(ARRAY(<subquery>))``: the subquery runs once, first, and its result can drive an
index scan, so the branches of the OR combine as a BitmapOr of index scans (or, when
most rows are visible, as a filter on an index read in list order). A plain
``IN (<subquery>)`` inside an OR is a filter PostgreSQL cannot read from an index, and
answering it means reading the whole table. SQLite plans ``IN (<subquery>)`` from an
index in either place, so there the SQL is the plain ``IN``. Two exceptions keep the
plain ``IN`` on PostgreSQL too: a condition with one branch (the database makes it a
join), and the subtree of a province or a city (``BROAD_DEPTH``), where most rows are
visible and reading them in list order against a hashed set is the better plan.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.db.models.lookups import In
from django.http import Http404
from django.utils.translation import gettext as _

from .paths import is_under, minimal_paths, path_ids
from .roles import ALL_ROLES, Role

M = TypeVar("M", bound=models.Model)

VIEW = "view"
ADD = "add"
CHANGE = "change"
DELETE = "delete"


@dataclass(frozen=True)
class UserScope:
    """One active role of the user, bound to a unit (``path`` is that unit's path)."""

    role: str
    unit_id: int
    path: str


@dataclass(frozen=True)
class ScopeSpec:
    model: type[models.Model]
    path: str  # lookup from a row to its owning unit's path, e.g. "org_unit__path"
    rules: Mapping[str, frozenset[str]]  # action -> roles that may do it
    grants: bool = True
    # Extra rule per object: return True/False to decide, None to fall through to roles.
    check: Callable[[Any, str, Any], bool | None] | None = None
    # Extra rows a user sees whatever their roles (e.g. their own person record).
    visible: Callable[[Any], Q | None] | None = None
    # Path of an object, for objects whose path cannot be read off the lookup (new units).
    path_of: Callable[[Any], str] | None = None
    sample_actions: tuple[str, ...] = field(default=(VIEW,))
    # Put the ``visible`` rows into the query as they are, instead of as a subquery of ids:
    # better when the hook's Q reads only the model's own columns and small id subqueries
    # (no joins), so the database checks each row once (the ledger's items).
    inline_visible: bool = False
    # Unit shares (:func:`unit_share`) the model's rows follow: share name -> the lookup
    # of the row's unit id, e.g. ``{"liaison": "org_unit"}``.
    shares: Mapping[str, str] = field(default_factory=dict)
    # The rows everybody sees, a visitor without an account too (a public page): a Q of
    # the model's own columns and relations. None: an anonymous visitor sees nothing.
    public: Callable[[], Q] | None = None

    def roles_for(self, action: str) -> frozenset[str]:
        return self.rules.get(action, frozenset())


_registry: dict[type[models.Model], ScopeSpec] = {}


def scoped(
    *,
    path: str,
    rules: Mapping[str, Iterable[str]],
    grants: bool = True,
    check: Callable[[Any, str, Any], bool | None] | None = None,
    visible: Callable[[Any], Q | None] | None = None,
    path_of: Callable[[Any], str] | None = None,
    inline_visible: bool = False,
    shares: Mapping[str, str] | None = None,
    public: Callable[[], Q] | None = None,
):
    """Class decorator: register a model with the scope mechanism.

    ``rules`` maps an action to the roles allowed to do it; ``view`` defaults to every role.
    ``shares`` names the unit shares whose units' rows the user also sees (see
    :func:`unit_share`), each with the lookup of the row's unit id.
    ``public`` returns the Q of the rows a visitor without an account sees (``visible_to``
    of an anonymous user; a user's ``visible`` hook must include them too). Without it an
    anonymous visitor sees nothing of the model.
    """

    def register(cls: type[M]) -> type[M]:
        merged = {VIEW: ALL_ROLES, **{k: frozenset(v) for k, v in rules.items()}}
        _registry[cls] = ScopeSpec(
            model=cls,
            path=path,
            rules=merged,
            grants=grants,
            check=check,
            visible=visible,
            path_of=path_of,
            inline_visible=inline_visible,
            shares=dict(shares or {}),
            public=public,
        )
        return cls

    return register


def registry() -> dict[type[models.Model], ScopeSpec]:
    return dict(_registry)


def spec_for(model_or_obj: type[models.Model] | models.Model) -> ScopeSpec:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    model = model._meta.concrete_model or model
    try:
        return _registry[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not registered with the scope mechanism") from None


# --- the user's side -------------------------------------------------------------------


def user_scopes(user) -> tuple[UserScope, ...]:
    """The active role assignments of ``user``, read once per request and cached on it.

    An auditor's assignments are not among them: the auditor works on no data, and every
    rule that asks "which units does this user work on" must not see them. They give only
    the audit log (:func:`auditor_paths`, read by the same query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, "_jiaoyan_scopes", None)
    if cached is not None:
        return cached
    RoleAssignment = apps.get_model("people", "RoleAssignment")
    rows = RoleAssignment.objects.filter(
        person__user_id=user.pk, is_active=True, person__status="active"
    ).values_list("role", "org_unit_id", "org_unit__path")
    scopes = tuple(UserScope(role=r, unit_id=u, path=p) for r, u, p in rows if r != Role.AUDITOR)
    user._jiaoyan_audit_paths = minimal_paths({p for r, _u, p in rows if r == Role.AUDITOR})
    user._jiaoyan_scopes = scopes
    return scopes


def auditor_paths(user) -> list[str]:
    """Paths of the units whose audit log ``user`` reads as an auditor (审计员)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    user_scopes(user)
    return getattr(user, "_jiaoyan_audit_paths", [])


def forget_scopes(user) -> None:
    """Drop the cached scopes (after the user's roles changed in this request)."""
    for attr in ("_jiaoyan_scopes", "_jiaoyan_audit_paths"):
        if hasattr(user, attr):
            delattr(user, attr)


def user_roles(user) -> set[str]:
    return {s.role for s in user_scopes(user)}


def has_role(user, *roles: str) -> bool:
    return bool(getattr(user, "is_superuser", False)) or bool(user_roles(user) & set(roles))


def scope_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """Paths of the units where ``user`` holds one of ``roles`` (any role when None)."""
    wanted = None if roles is None else set(roles)
    return minimal_paths({s.path for s in user_scopes(user) if wanted is None or s.role in wanted})


def _path_q(lookup: str, paths: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{lookup}__under": p})
    return q


class InIds(In):
    """``field__in_ids=<subquery>``: the field is one of a set of ids the subquery computes
    once — the form of every id set in a scope condition (see the module's docstring).

    PostgreSQL: ``field = ANY(ARRAY(<subquery>))``, an InitPlan whose result is an index
    condition, also as one branch of an OR. SQLite, or a list of values: ``IN``.
    """

    lookup_name = "in_ids"

    def as_postgresql(self, compiler, connection):
        if self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


models.Field.register_lookup(InIds)
models.ForeignObject.register_lookup(InIds)


@functools.cache
def _unit_relation(model: type[models.Model], lookup: str) -> tuple[str, Any] | None:
    """For ``lookup`` = ``<relation>__path`` (a row's owning unit's path), the relation and
    the unit model; None when the path is a field of the model itself."""
    parts = lookup.split("__")
    if len(parts) < 2:
        return None
    opts = model._meta
    for part in parts[:-1]:
        field = opts.get_field(part)
        if not field.is_relation or field.related_model is None:
            return None
        opts = field.related_model._meta
    return "__".join(parts[:-1]), opts.model


def _scope_q(
    model: type[models.Model], lookup: str, paths: Iterable[str], *, ids: bool = False
) -> Q:
    """Rows whose owning unit lies under one of ``paths``.

    Written as ``<relation> IN (SELECT id FROM units WHERE path LIKE 'p%')`` rather than a
    join on the path: the database answers the subquery from the path index and then
    finds the rows by their unit's foreign-key index (or checks each row against a small
    set), instead of joining every row to its unit to read the path. With ``ids`` (the
    condition is one branch of an OR) the set is written ``__in_ids``, so that PostgreSQL
    can still read the branch from the foreign-key index.
    """
    paths = list(paths)
    relation = _unit_relation(model, lookup) if paths else None
    if relation is None:
        return _path_q(lookup, paths)
    rel, unit_model = relation
    last = lookup.rsplit("__", 1)[1]
    units = unit_model._default_manager.filter(_path_q(last, paths)).values("pk")
    return Q(**{f"{rel}__{'in_ids' if ids else 'in'}": units})


def under_q(model: type[models.Model], lookup: str, paths: Iterable[str]) -> Q:
    """Rows of ``model`` whose unit (reached by ``lookup``, ending in ``__path``) lies under
    one of ``paths`` — the condition ``visible_to`` itself uses, for other relations of a
    row (a ledger item's responsible or supervising unit). Index-served also as one
    branch of an OR."""
    return _scope_q(model, lookup, paths, ids=True)


def ancestor_ids(user) -> set[int]:
    """Ids of every unit on the paths of the user's scope units (them included)."""
    ids: set[int] = set()
    for s in user_scopes(user):
        ids.update(path_ids(s.path))
    return ids


def units_above_q(user, lookup: str = "org_unit") -> Q | None:
    """Rows whose unit (``lookup``) lies above (or at) one of the user's scope units — a
    bureau or institute counting as its region: what a unit above sets for the units
    below it (a published plan, a bureau's settings). None: the user has no scope."""
    ids = ancestor_ids(user)
    if not ids:
        return None
    return Q(**{f"{lookup}_id__in": ids}) | Q(
        **{f"{lookup}__parent_id__in": ids, f"{lookup}__kind__in": ["bureau", "institute"]}
    )


def units_in_scope(user) -> models.QuerySet:
    """Ids (a subquery) of every org unit under the user's scope units."""
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    return OrgUnit.objects.filter(_path_q("path", scope_paths(user))).values("pk")


# --- unit shares --------------------------------------------------------------------------

_unit_shares: dict[str, Callable[[Any], models.QuerySet | None]] = {}


def unit_share(name: str):
    """Declare a unit share: the units whose rows a user sees although they lie outside the
    user's roles' subtrees (a liaison researcher's schools, 联点联校).

    The decorated function takes the user and returns a subquery of unit ids (``None``:
    none). A model opts in with ``@scoped(shares={name: "<lookup of the row's unit>"})``;
    ``visible_to`` and ``can`` then count those units' rows, and everything else that
    asks about the share (form choices, a coverage page) goes through
    :func:`shared_units` — never a second copy of the rule.
    """

    def register(fn: Callable[[Any], models.QuerySet | None]):
        _unit_shares[name] = fn
        return fn

    return register


def shared_units(user, name: str) -> models.QuerySet | None:
    """Ids (a subquery) of the units shared with ``user`` by the unit share ``name``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return _unit_shares[name](user)


def is_shared_unit(user, name: str, unit_id: int | None) -> bool:
    """Is the unit ``unit_id`` shared with ``user`` by the unit share ``name``?"""
    units = shared_units(user, name) if unit_id else None
    if units is None:
        return False
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    return OrgUnit.objects.filter(pk=unit_id, pk__in=units).exists()


# --- reads ----------------------------------------------------------------------------

# Subtrees this near the root (a province: 1, a city: 2) hold most of a table's rows.
BROAD_DEPTH = 2
# Subtrees this deep (a town: 4, a school: 4 or 5) hold few: reading their rows in a
# list's order means walking past nearly all others (a county's, depth 3, are many
# enough that the walk finds a page of them at once).
NARROW_DEPTH = 4


def _first_hop_ids(
    model: type[models.Model], rel: str, units: models.QuerySet
) -> tuple[str, models.QuerySet]:
    """``<rel>__in=units`` for a relation of several hops (``person__org_unit``) as a
    condition on the row's own foreign key: ``person IN (SELECT id FROM person WHERE
    org_unit IN units)``, each hop a subquery on the next table's foreign-key index."""
    hops = rel.split("__")
    hop_models = [model]
    for hop in hops[:-1]:
        hop_models.append(hop_models[-1]._meta.get_field(hop).related_model)
    ids = units
    for hop, hop_model in zip(reversed(hops[1:]), reversed(hop_models[1:]), strict=True):
        ids = hop_model._base_manager.filter(**{f"{hop}__in": ids}).values("pk")
    return hops[0], ids


@dataclass(frozen=True)
class _IdSet:
    """A branch "``lhs`` is one of the ids of ``ids``", written as the composition needs."""

    lhs: str
    ids: Any

    def q(self, alone: bool) -> Q:
        # Alone, a plain IN: the database turns it into a join and plans it freely. One
        # branch of an OR: ``in_ids`` (see the module's docstring).
        return Q(**{f"{self.lhs}__{'in' if alone else 'in_ids'}": self.ids})


def _scope_branch(user, model: type[models.Model], action: str) -> Q | _IdSet | None:
    spec = spec_for(model)
    paths = scope_paths(user, spec.roles_for(action))
    if not paths:
        return None
    relation = _unit_relation(model, spec.path)
    if relation is None:
        return _path_q(spec.path, paths)
    rel, unit_model = relation
    last = spec.path.rsplit("__", 1)[1]
    units = unit_model._default_manager.filter(_path_q(last, paths)).values("pk")
    depth = min(p.count("/") - 1 for p in paths)
    if depth <= BROAD_DEPTH:
        # A province or a city: most rows are visible, so the best plan reads the rows
        # in list order and checks each against the hashed set of units (a plain IN);
        # as an array the planner would guess ten units and sort the whole table.
        return Q(**{f"{rel}__in": units})
    if depth >= NARROW_DEPTH and "__" in rel:
        # A town or a school: few rows are visible, so the best plan finds them from the
        # row's own foreign-key index and sorts them. Through a join (a declaration's
        # person's unit) SQLite instead walks the whole table in list order looking for
        # them (a school's declarations: 1.5 s at city scale, 0.1 ms this way).
        rel, units = _first_hop_ids(model, rel, units)
    return _IdSet(rel, units)


def _beyond_branches(user, model: type[models.Model]) -> list[Q | _IdSet]:
    spec = spec_for(model)
    branches: list[Q | _IdSet] = []
    if spec.grants:
        branches.append(_IdSet("pk", granted_ids(user, model)))
    for name, lookup in spec.shares.items():
        units = shared_units(user, name)
        if units is not None:
            branches.append(_IdSet(lookup, units))
    if spec.visible is not None:
        extra = spec.visible(user)
        if extra is not None and spec.inline_visible:
            branches.append(extra)
        elif extra is not None:
            # As a set of ids, like the grants: the branch reads the hook's rows by their
            # own indexes once, and the outer query checks nothing but its primary key.
            branches.append(_IdSet("pk", model._default_manager.filter(extra).values("pk")))
    return branches


def _compose(branches: list[Q | _IdSet | None], *, plain: bool = False) -> Q | None:
    """OR of the branches; id sets as ``in_ids`` unless there is one branch (or ``plain``:
    a check of one row, which the database answers best as plain ``IN``)."""
    present = [b for b in branches if b is not None]
    if not present:
        return None
    alone = plain or len(present) == 1
    q = Q()
    for b in present:
        q |= b.q(alone) if isinstance(b, _IdSet) else b
    return q


def scope_q(user, model: type[models.Model], action: str = VIEW) -> Q:
    """The rows of ``model`` under the units where ``user``'s roles may do ``action``."""
    return _compose([_scope_branch(user, model, action)]) or Q(pk__in=[])


def beyond_scope_q(user, model: type[models.Model], *, plain: bool = False) -> Q | None:
    """The rows of ``model`` ``user`` sees besides their roles' subtrees: the grants, the
    unit shares and the model's ``visible`` hook, as one OR of index-served branches
    (None: nothing beyond the subtree)."""
    return _compose(_beyond_branches(user, model), plain=plain)


def visible_q(user, model: type[models.Model], action: str = VIEW) -> Q:
    """The condition ``visible_to`` filters on (for a user who is signed in, active and
    not a superuser): the subtree branch OR, for viewing, the branches beyond it."""
    branches: list[Q | _IdSet | None] = [_scope_branch(user, model, action)]
    if action == VIEW:
        branches += _beyond_branches(user, model)
    return _compose(branches) or Q(pk__in=[])


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every scoped model."""

    def visible_to(self, user, action: str = VIEW):
        spec = spec_for(self.model)
        if user is None or not getattr(user, "is_authenticated", False):
            # A visitor without an account: only the model's public rows, and only to read.
            if action == VIEW and spec.public is not None:
                return self.filter(spec.public())
            return self.none()
        if not getattr(user, "is_active", True):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(visible_q(user, self.model, action))


def granted_ids(user, model: type[models.Model]):
    """Ids (a subquery) of ``model`` rows shared with ``user`` through :class:`ScopeGrant`.

    For models whose rows follow another shared object (the venues of an activity one is
    invited to): their ``visible`` hook is ``Q(activity__in_ids=granted_ids(user, Activity))``.
    """
    ScopeGrant = apps.get_model("core", "ScopeGrant")
    ct = ContentType.objects.get_for_model(model)
    who = Q(user_id=user.pk)
    paths = scope_paths(user)
    if paths:
        who |= _scope_q(ScopeGrant, "unit__path", paths, ids=True)
    return ScopeGrant.objects.filter(who, content_type=ct).values("object_id")


def get_visible_or_404(queryset_or_model, user, **lookup) -> Any:
    """One visible row, or 404 — the same answer whether it is missing or out of scope."""
    qs = (
        queryset_or_model
        if isinstance(queryset_or_model, models.QuerySet)
        else queryset_or_model._default_manager.all()
    )
    try:
        return qs.visible_to(user).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("The requested object does not exist.")) from None


# --- writes ---------------------------------------------------------------------------


def path_of(obj: models.Model) -> str:
    spec = spec_for(obj)
    if spec.path_of is not None:
        return spec.path_of(obj)
    value: Any = obj
    for part in spec.path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value


def can(user, action: str, obj: models.Model) -> bool:
    """May ``user`` do ``action`` on ``obj``? The one check every write passes."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", True):
        return False
    spec = spec_for(obj)
    if spec.check is not None:
        decided = spec.check(user, action, obj)
        if decided is not None:
            return decided
    if user.is_superuser:
        return True
    path = path_of(obj)
    roles = spec.roles_for(action)
    if path and any(s.role in roles and is_under(path, s.path) for s in user_scopes(user)):
        return True
    if action == VIEW and obj.pk is not None:
        # The same rows ``visible_to`` adds beyond the subtree, asked of this one row.
        beyond = beyond_scope_q(user, type(obj), plain=True)
        return beyond is not None and type(obj)._default_manager.filter(beyond, pk=obj.pk).exists()
    return False


def require(user, action: str, obj: models.Model) -> None:
    """Raise PermissionDenied (a clear Chinese message) unless ``can``."""
    if not can(user, action, obj):
        raise PermissionDenied(_("You do not have permission to do this here."))


def locked(user, action: str, obj: M) -> M:
    """``obj`` read again under a row lock (``SELECT … FOR UPDATE``, inside the service's
    transaction), once ``require(user, action, …)`` allows it: how a write starts."""
    fresh = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    require(user, action, fresh)
    return fresh


def units_where(user, action: str, model: type[models.Model]):
    """The org units where ``user`` may do ``action`` on ``model`` (for form choices)."""
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    if user.is_superuser:
        return OrgUnit.objects.all()
    spec = spec_for(model)
    paths = scope_paths(user, spec.roles_for(action))
    return OrgUnit.objects.filter(_path_q("path", paths))


def grant(obj: models.Model, *, user=None, unit=None, reason: str = "") -> None:
    """Share ``obj`` with one user or with a unit (and the chain above it)."""
    ScopeGrant = apps.get_model("core", "ScopeGrant")
    ct = ContentType.objects.get_for_model(type(obj))
    ScopeGrant.objects.get_or_create(
        content_type=ct,
        object_id=obj.pk,
        user=user,
        unit=unit,
        defaults={"reason": reason},
    )


def grant_many(obj: models.Model, *, users=(), reason: str = "") -> int:
    """Share ``obj`` with many users at once (an activity's invitees); returns how many new.

    Users who already hold a grant on ``obj`` are skipped, so calling it twice is harmless.
    """
    ScopeGrant = apps.get_model("core", "ScopeGrant")
    ct = ContentType.objects.get_for_model(type(obj))
    ids = {u if isinstance(u, int) else u.pk for u in users if u is not None}
    if not ids:
        return 0
    have = set(
        ScopeGrant.objects.filter(
            content_type=ct, object_id=obj.pk, user_id__isnull=False
        ).values_list("user_id", flat=True)
    )
    new = [
        ScopeGrant(content_type=ct, object_id=obj.pk, user_id=uid, reason=reason[:100])
        for uid in sorted(ids - have)
    ]
    ScopeGrant.objects.bulk_create(new, batch_size=1000)
    return len(new)


def revoke_grant(obj: models.Model, *, user=None, unit=None, reason: str | None = None) -> None:
    """Take back the grant of ``obj`` to ``user`` or ``unit``; with ``reason``, only a grant
    given for that reason (one another feature gave stays)."""
    ScopeGrant = apps.get_model("core", "ScopeGrant")
    ct = ContentType.objects.get_for_model(type(obj))
    rows = ScopeGrant.objects.filter(content_type=ct, object_id=obj.pk, user=user, unit=unit)
    if reason is not None:
        rows = rows.filter(reason=reason)
    rows.delete()
