"""Restricted data: a permission kind on top of scope, audited reads with a reason, and the
suppression of small cells in every aggregate (DESIGN.md "Restricted data").

Scope decides which units a person works on; some data needs more than that. Student-level
scores (quality) and mental-health screening (wellbeing) are read only by accounts holding an
explicit permission of that *kind* on a subtree containing the data, granted by an admin of
that subtree, and every read is written to the audit log with the reason the reader gave.

* **Kinds** are registered by the app that stores their grants (:func:`register`, from
  ``AppConfig.ready``). A kind names its grants table: a model built on
  :class:`PermissionGrantBase` (user, org unit, reason, granted by, expiry, revocation),
  registered with the scope mechanism so that admins see the grants of their subtree.
  ``student_data`` is stored in ``quality.StudentDataPermission`` (the table quality has
  always had); ``wellbeing`` comes next.
* **Checks**: :func:`has_permission` (one unit), :func:`permitted_paths` and
  :func:`permitted_q` (for querysets). They never widen scope: callers first fetch the unit
  or object through ``visible_to`` (an invisible one is a 404), then ask for the kind.
* **Writes**: :func:`grant` and :func:`revoke`, audited, in one transaction.
* **Reads**: :func:`record_read` refuses without the permission or without a reason, and
  otherwise writes an audit row (``view`` or ``export``) carrying the reason.
* **Suppression**: :func:`suppress_cells` hides every cell of fewer than ``SMALL_CELL``
  students (primary suppression) and then further cells (complementary suppression), so
  that no hidden cell can be worked out by subtracting the shown cells from a shown total.
  Every aggregate shown to others (pages, API answers, exports, charts) goes through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .errors import ServiceError
from .paths import is_under

STUDENT_DATA = "student_data"
WELLBEING = "wellbeing"

SMALL_CELL = 10  # groups of fewer students are never shown to those without the permission
REASON_MAX = 200


# --- kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of restricted data: its key, its label (what the audit log and pages say)
    and the model holding its grants (``"app_label.ModelName"``)."""

    key: str
    label: Any
    model: str
    # The grants page (``/permissions/<key>/``): its title, what it explains, and an
    # app's sub-navigation shown above it (a template name), all optional.
    title: Any = None
    description: Any = ""
    nav_template: str = ""

    def __post_init__(self) -> None:
        if self.title is None:
            object.__setattr__(self, "title", self.label)

    @property
    def grant_model(self) -> type[models.Model]:
        return apps.get_model(self.model)


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register a kind (from the storing app's ``AppConfig.ready``); registering the same
    key twice keeps the first."""
    _kinds.setdefault(kind.key, kind)
    return _kinds[kind.key]


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


def kind_of(key: str) -> Kind:
    try:
        return _kinds[key]
    except KeyError:
        raise LookupError(f"unknown restricted-data kind: {key!r}") from None


class PermissionGrantBase(models.Model):
    """What every kind's grants table holds: ``user`` may read the kind's data on
    ``org_unit``'s subtree, because of ``reason``, until ``expires_at`` or until revoked.

    A concrete table adds its own ``Meta`` (verbose names, ordering), a manager
    ``ScopedQuerySet.as_manager()`` and its ``@scoped`` registration (admins of the unit
    add, change and view; the grantee views their own)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_lazy("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_lazy("on unit"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_lazy("reason"), max_length=REASON_MAX)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_lazy("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_lazy("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_lazy("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.user} @ {self.org_unit}"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


def _active(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


# --- checks ----------------------------------------------------------------------------


def _authenticated(user) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", True)
    )


def permitted_paths(user, kind: str) -> list[str]:
    """Paths of the subtrees on which ``user`` holds an active grant of ``kind`` (read once
    per request and cached on the user)."""
    if not _authenticated(user):
        return []
    cache = getattr(user, "_jiaoyan_restricted", None)
    if cache is None:
        cache = user._jiaoyan_restricted = {}
    if kind not in cache:
        model = kind_of(kind).grant_model
        cache[kind] = sorted(
            set(
                model._default_manager.filter(_active(), user_id=user.pk).values_list(
                    "org_unit__path", flat=True
                )
            )
        )
    return cache[kind]


def forget(user) -> None:
    """Drop the cached grants of ``user`` (after a grant or revocation in this request)."""
    if user is not None and hasattr(user, "_jiaoyan_restricted"):
        del user._jiaoyan_restricted


def _path(unit_or_path) -> str:
    if isinstance(unit_or_path, str):
        return unit_or_path
    return getattr(unit_or_path, "path", "") or ""


def has_permission(user, kind: str, unit) -> bool:
    """May ``user`` read data of ``kind`` belonging to ``unit`` (an org unit or its path)?
    Superusers may; others need an active grant on a subtree containing the unit."""
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    path = _path(unit)
    return bool(path) and any(is_under(path, p) for p in permitted_paths(user, kind))


def permitted_q(user, kind: str, lookup: str) -> Q:
    """Rows whose unit path (reached by ``lookup``) lies under a grant of ``kind``."""
    if _authenticated(user) and user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for p in permitted_paths(user, kind):
        q |= Q(**{f"{lookup}__under": p})
    return q


def require_permission(user, kind: str, unit) -> None:
    if not has_permission(user, kind, unit):
        raise PermissionDenied(
            _("This needs the %(kind)s permission.") % {"kind": kind_of(kind).label}
        )


def grants_visible_to(user, kind: str):
    """The grants of ``kind`` the user sees: those on units they administer, and their own."""
    return kind_of(kind).grant_model._default_manager.visible_to(user)


# --- writes ----------------------------------------------------------------------------


@transaction.atomic
def grant(
    *,
    actor,
    kind: str,
    user,
    org_unit,
    reason: str,
    expires_at: dt.datetime | None = None,
):
    """Give ``user`` the permission ``kind`` on ``org_unit``'s subtree (audited)."""
    from . import audit
    from .scope import require

    k = kind_of(kind)
    model = k.grant_model
    reason = (reason or "").strip()
    perm = model(
        user=user,
        org_unit=org_unit,
        reason=reason[:REASON_MAX],
        granted_by=actor if actor is not None and actor.pk else None,
        expires_at=expires_at,
    )
    require(actor, "add", perm)
    if not reason:
        raise ServiceError(_("Say why the permission is needed."), field="reason")
    if user is None or not user.is_active:
        raise ServiceError(_("Choose an active account."), field="username")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(_("The expiry must be in the future."), field="expires_on")
    if model._default_manager.filter(_active(), user=user, org_unit=org_unit).exists():
        raise ServiceError(
            _("This account already holds the permission on this unit."), field="username"
        )
    perm.save()
    forget(user)
    audit.record(
        actor,
        perm,
        audit.AuditLog.Action.GRANT,
        {
            "account": [None, user.get_username()],
            "org_unit": [None, org_unit.name],
            "reason": [None, perm.reason],
            "expires_at": [None, audit._plain(expires_at)],
        },
        message=str(k.label),
    )
    return perm


@transaction.atomic
def revoke(*, actor, kind: str, permission):
    """End a grant now (audited); revoking a revoked grant changes nothing."""
    from . import audit
    from .scope import require

    k = kind_of(kind)
    perm = k.grant_model._default_manager.select_for_update().get(pk=permission.pk)
    require(actor, "change", perm)
    if perm.revoked_at is not None:
        return perm
    perm.revoked_at = timezone.now()
    perm.revoked_by = actor if actor is not None and actor.pk else None
    perm.save(update_fields=["revoked_at", "revoked_by"])
    forget(perm.user)
    forget(actor)
    audit.record(
        actor, perm, audit.AuditLog.Action.REVOKE, {"revoked": [None, True]}, message=str(k.label)
    )
    return perm


def clean_reason(reason: str | None) -> str:
    """The reason a reader gave, trimmed; a ``ServiceError`` when there is none."""
    text = " ".join((reason or "").split())
    if len(text) < 2:
        raise ServiceError(_("Say why you need to read these data."), field="reason")
    return text[:REASON_MAX]


def reason_or_problem(reason: str | None) -> tuple[str | None, str]:
    """``(reason, "")`` for an acceptable reason, ``(None, message)`` otherwise: for pages
    that ask for the reason again instead of failing."""
    try:
        return clean_reason(reason), ""
    except ServiceError as e:
        return None, e.text


def record_read(
    user,
    kind: str,
    obj_or_unit,
    reason: str | None,
    *,
    unit=None,
    rows: int | None = None,
    export: bool = False,
):
    """Audit one read (or export, ``export=True``) of restricted data of ``kind``.

    ``obj_or_unit`` is what was read (an exam, a screening) or the unit itself; the data
    belong to ``unit`` (default: ``obj_or_unit`` when it is a unit), under whose path the
    audit row is kept. Refuses (``PermissionDenied``) without the permission on that unit
    and (``ServiceError``) without a reason; writes nothing then.
    """
    from . import audit

    OrgUnit = apps.get_model("orgs", "OrgUnit")
    if unit is None and isinstance(obj_or_unit, OrgUnit):
        unit = obj_or_unit
    if unit is None:
        raise ValueError("record_read needs the unit the data belong to")
    require_permission(user, kind, unit)
    text = clean_reason(reason)
    k = kind_of(kind)
    changes: dict[str, Any] = {"data_kind": [None, str(k.label)], "reason": [None, text]}
    if rows is not None:
        changes["rows"] = [None, rows]
    return audit.record(
        user,
        obj_or_unit,
        audit.AuditLog.Action.EXPORT if export else audit.AuditLog.Action.VIEW,
        changes,
        message=_("%(kind)s of %(unit)s: %(reason)s")
        % {"kind": k.label, "unit": unit.name, "reason": text},
        unit_path=unit.path,
    )


def _labels(kind: str) -> list[str]:
    """The kind's label in every language of the site (audit rows keep the reader's)."""
    from django.utils import translation

    label = kind_of(kind).label
    out = {str(label)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.add(str(label))
    return sorted(out)


def reads_q(kind: str) -> Q:
    """Audit rows that are reads or exports of restricted data of ``kind``
    (written by :func:`record_read`)."""
    from .models import AuditLog

    return Q(
        action__in=[AuditLog.Action.VIEW, AuditLog.Action.EXPORT],
        changes__data_kind__1__in=_labels(kind),
    )


def reads_visible_to(user, kind: str):
    """The audited reads of ``kind`` that ``user`` may review: those of the subtrees where
    they hold the permission themselves (who may read the data may see who else did), and
    those an auditor (审计员) of the unit sees in the audit log. Nothing for anyone else."""
    from .models import AuditLog
    from .scope import auditor_paths

    if not _authenticated(user):
        return AuditLog.objects.none()
    if user.is_superuser:
        return AuditLog.objects.filter(reads_q(kind))
    q = permitted_q(user, kind, "unit_path")
    for path in auditor_paths(user):
        q |= Q(unit_path__under=path)
    return AuditLog.objects.filter(q).filter(reads_q(kind))


def may_review_reads(user, kind: str) -> bool:
    from .scope import auditor_paths

    if not _authenticated(user):
        return False
    return user.is_superuser or bool(permitted_paths(user, kind)) or bool(auditor_paths(user))


# --- small-cell suppression ---------------------------------------------------------------

PRIMARY = "primary"
COMPLEMENTARY = "complementary"


class Cell(NamedTuple):
    """One figure of a table: ``n`` students behind it; ``exempt`` when the viewer may see
    it whatever its size (they hold the permission on its unit). A tuple: a table of a
    county's classes makes tens of thousands of them per page."""

    key: Hashable
    n: int
    exempt: bool = False


class Margin(NamedTuple):
    """A total that is (or may be) shown, and the cells that add up to it: a row, a column,
    the school above its classes. ``total`` is ``None`` for a total that is not itself a
    cell of the table but is shown (a grand total printed under a column)."""

    total: Hashable | None
    members: Sequence[Hashable]


def suppress_cells(
    cells: Iterable[Cell],
    margins: Iterable[Margin] = (),
    *,
    threshold: int = SMALL_CELL,
    hidden: Mapping[Hashable, str] | None = None,
) -> dict[Hashable, str]:
    """Which cells to hide, and why: ``{key: "primary" | "complementary"}``.

    Primary: every cell (not exempt) of fewer than ``threshold`` students. Complementary:
    in each margin (a shown total and its members, one equation ``total = Σ members``), the
    hidden cells must be none, or at least two whose students together number at least
    ``threshold`` — else subtracting the shown members from the total gives the hidden cell
    (or a group smaller than the threshold) back. Further cells are hidden, the smallest
    first (ties in the members' order, so every page hides the same cells), until every
    margin holds; when no member is left to hide, the total itself is hidden (which brings
    its own margins into play). ``hidden`` gives decisions already taken elsewhere (the
    school's status when its classes are decided), which are kept.
    """
    by_key: dict[Hashable, Cell] = {}
    for c in cells:
        by_key[c.key] = c
    out: dict[Hashable, str] = dict(hidden or {})
    for c in by_key.values():
        if c.key not in out and not c.exempt and c.n < threshold:
            out[c.key] = PRIMARY
    margins = list(margins)
    position = {}
    for m in margins:
        for i, k in enumerate(m.members):
            position.setdefault(k, i)

    def size(k) -> int:
        c = by_key.get(k)
        return c.n if c is not None else 0

    def hideable(k) -> bool:
        c = by_key.get(k)
        return c is not None and not c.exempt and k not in out

    changed = True
    while changed:
        changed = False
        for m in margins:
            members_hidden = [k for k in m.members if k in out]
            total_hidden = m.total is not None and m.total in out
            if not members_hidden and not total_hidden:
                continue
            count = len(members_hidden) + (1 if total_hidden else 0)
            if count >= 2 and total_hidden:
                continue  # the total minus the hidden members: still two unknowns
            if count >= 2 and sum(size(k) for k in members_hidden) >= threshold:
                continue
            candidates = sorted(
                (k for k in m.members if hideable(k)), key=lambda k: (size(k), position[k])
            )
            if candidates:
                out[candidates[0]] = COMPLEMENTARY
                changed = True
            elif m.total is not None and hideable(m.total):
                out[m.total] = COMPLEMENTARY
                changed = True
    return out


def suppress_grid(
    counts: Sequence[Sequence[int]],
    *,
    row_totals: bool = True,
    column_totals: bool = True,
    threshold: int = SMALL_CELL,
) -> list[list[str | None]]:
    """Suppression of a two-way table of counts (rows × columns) shown with its row and
    column totals (and the grand total): the status of each inner cell, ``None`` if shown.
    Totals are shown cells too; a total that must be hidden is reported under the key
    ``("row", i)``, ``("column", j)`` or ``"total"`` by :func:`suppress_grid_cells`."""
    status = suppress_grid_cells(
        counts, row_totals=row_totals, column_totals=column_totals, threshold=threshold
    )
    return [[status.get((i, j)) for j in range(len(r))] for i, r in enumerate(counts)]


def suppress_grid_cells(
    counts: Sequence[Sequence[int]],
    *,
    row_totals: bool = True,
    column_totals: bool = True,
    threshold: int = SMALL_CELL,
) -> dict[Hashable, str]:
    rows = len(counts)
    cols = max((len(r) for r in counts), default=0)
    cells = [Cell((i, j), counts[i][j]) for i in range(rows) for j in range(len(counts[i]))]
    margins: list[Margin] = []
    if row_totals:
        for i in range(rows):
            cells.append(Cell(("row", i), sum(counts[i])))
            margins.append(Margin(("row", i), [(i, j) for j in range(len(counts[i]))]))
    if column_totals:
        for j in range(cols):
            members = [(i, j) for i in range(rows) if j < len(counts[i])]
            cells.append(Cell(("column", j), sum(counts[i][j] for i, _j in members)))
            margins.append(Margin(("column", j), members))
    if row_totals and column_totals:
        cells.append(Cell("total", sum(map(sum, counts))))
        margins.append(Margin("total", [("row", i) for i in range(rows)]))
        margins.append(Margin("total", [("column", j) for j in range(cols)]))
    return suppress_cells(cells, margins, threshold=threshold)


# --- the published aggregates ----------------------------------------------------------------


@dataclass(frozen=True)
class Aggregate:
    """A table of aggregates of restricted data that pages, the API, exports or charts
    publish (an exam's analysis, its item analysis, value-added, a metric …): its key, the
    kind of data it is computed from, and the stored models it reads (``"app.Model"``).

    Every view or API operation that reads one of those models is marked with
    :func:`publishes`; ``tests/core/test_subtraction.py`` requests every page and GET
    operation, fails for one that reads them unmarked, and tries the subtraction attack
    (a shown total minus its shown members) on every registered aggregate."""

    key: str
    kind: str
    label: Any
    models: tuple[str, ...]


_aggregates: dict[str, Aggregate] = {}

METRICS = "metrics"  # the figures of the metric registry: each suppresses its own


def register_aggregate(aggregate: Aggregate) -> Aggregate:
    """Declare a published aggregate (from the owning app's ``AppConfig.ready``)."""
    _aggregates.setdefault(aggregate.key, aggregate)
    return _aggregates[aggregate.key]


def aggregates() -> dict[str, Aggregate]:
    return dict(_aggregates)


def aggregate_models() -> set[str]:
    """The stored models whose rows are aggregates of restricted data."""
    return {m for a in _aggregates.values() for m in a.models}


def publishes(*keys: str):
    """Mark a view or API operation as publishing the registered aggregates ``keys``
    (each shown through :func:`suppress_cells`, primary and complementary)."""

    def mark(fn):
        fn.restricted_aggregates = tuple(keys)
        return fn

    return mark
