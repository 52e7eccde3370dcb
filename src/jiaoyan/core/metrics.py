"""The metric registry: named figures with a definition shown to users, a unit of
measure, a computation for an org unit's subtree over a period, and the module providing
it (DESIGN.md "Metrics").

Apps register their main figures in a ``metrics.py`` of their own, imported from their
``AppConfig.ready``::

    metrics.register(
        metrics.Metric(
            key="activities.held",
            name=_lazy("Research activities held"),
            definition=_lazy("Activities organised by units in the subtree …"),
            unit=metrics.SESSIONS,
            compute=held,  # (ctx: metrics.Context) -> number or None
        )
    )

Evaluation and the cockpits read figures only through :func:`compute` and
:func:`compute_many`. A computation starts from the unit's subtree (``ctx.under(…)``,
the scope path) and issues a fixed number of queries whatever the number of rows; figures
computed together share their queries through ``ctx.once``. The caller has checked that
the viewer may see the unit (a unit out of scope is a 404, see
:func:`jiaoyan.core.scope.get_visible_or_404`); figures from restricted data pass the
viewer on to the small-cell suppression (:mod:`jiaoyan.core.restricted`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .errors import ServiceError
from .scope import under_q

# Units of measure (量词), shown after the value.
PERSONS = pgettext_lazy("unit of measure", "persons")  # 人
PERSON_TIMES = pgettext_lazy("unit of measure", "person-times")  # 人次
SCHOOLS = pgettext_lazy("unit of measure", "schools")  # 所
SESSIONS = pgettext_lazy("unit of measure", "sessions")  # 场
LESSONS = pgettext_lazy("unit of measure", "lessons")  # 节
ITEMS = pgettext_lazy("unit of measure", "items")  # 项
HOURS = pgettext_lazy("unit of measure", "class hours")  # 学时
POINTS = pgettext_lazy("unit of measure", "points")  # 分
YUAN = pgettext_lazy("unit of measure", "yuan")  # 元
DAYS = pgettext_lazy("unit of measure", "days")  # 天
PERCENT = "%"


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ServiceError(_("The period ends before it starts."), field="end")

    @classmethod
    def year_to_date(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(dt.date(today.year, 1, 1), today)

    @property
    def first_moment(self) -> dt.datetime:
        """The period's start as an aware datetime (local midnight)."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def after_moment(self) -> dt.datetime:
        """The moment the period is over (local midnight after its last day)."""
        return timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )

    def moments(self, lookup: str) -> Q:
        """Rows whose datetime ``lookup`` falls within the period."""
        return Q(**{f"{lookup}__gte": self.first_moment, f"{lookup}__lt": self.after_moment})

    def days(self, lookup: str) -> Q:
        """Rows whose date ``lookup`` falls within the period."""
        return Q(**{f"{lookup}__gte": self.start, f"{lookup}__lte": self.end})


@dataclass
class Context:
    """What one computation gets: the unit, the period, who is looking (for suppression)
    and a cache shared by the figures computed together."""

    unit: Any  # orgs.OrgUnit
    period: Period
    viewer: Any = None
    cache: dict = field(default_factory=dict)

    def under(self, model, lookup: str) -> Q:
        """Rows of ``model`` whose unit (reached by ``lookup``, ending in ``__path``) lies in
        the unit's subtree: the scope mechanism's own subtree condition."""
        return under_q(model, lookup, [self.unit.path])

    def once(self, name: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` computed once for all the figures of one :func:`compute_many`."""
        if name not in self.cache:
            self.cache[name] = fn()
        return self.cache[name]


@dataclass(frozen=True)
class Metric:
    key: str  # "<module>.<figure>", stable: evaluation schemes refer to it
    name: Any
    definition: Any
    unit: Any
    compute: Callable[[Context], float | int | Decimal | None]
    order: int = 100
    digits: int = 0  # decimals shown

    @property
    def module(self) -> str:
        """The app that provides the figure: the part of ``key`` before the dot."""
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class Value:
    """A computed figure. ``value`` is None when it is undefined (a rate over nothing) or
    hidden to protect a small group (``suppressed``)."""

    metric: Metric
    value: float | int | None
    suppressed: bool = False

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if self.metric.digits:
            return f"{self.value:,.{self.metric.digits}f}"
        return f"{self.value:,.0f}" if isinstance(self.value, float) else f"{self.value:,}"

    def as_dict(self) -> dict[str, Any]:
        m = self.metric
        return {
            "key": m.key,
            "name": str(m.name),
            "definition": str(m.definition),
            "unit": str(m.unit),
            "module": m.module,
            "value": self.value,
            "display": self.display,
            "suppressed": self.suppressed,
        }


class Suppressed:
    """Returned by a computation whose figure is hidden (a group below the threshold)."""


SUPPRESSED = Suppressed()

_registry: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Register a figure (from the providing app's ``AppConfig.ready``)."""
    if "." not in metric.key:
        raise ValueError(f"metric keys are '<module>.<figure>': {metric.key!r}")
    _registry.setdefault(metric.key, metric)
    return _registry[metric.key]


def registry() -> dict[str, Metric]:
    """Every registered figure, in display order (by module, then ``order``)."""
    return dict(sorted(_registry.items(), key=lambda kv: (kv[1].order, kv[0])))


def get(key: str) -> Metric:
    try:
        return _registry[key]
    except KeyError:
        raise LookupError(f"unknown metric: {key!r}") from None


def _plain(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _evaluate(metric: Metric, ctx: Context) -> Value:
    raw = metric.compute(ctx)
    if isinstance(raw, Suppressed):
        return Value(metric, None, suppressed=True)
    return Value(metric, _plain(raw))


def compute(key: str, unit, period: Period, *, viewer=None) -> Value:
    """One figure of ``unit``'s subtree over ``period`` (the caller checked the unit is
    visible to ``viewer``)."""
    return _evaluate(get(key), Context(unit, period, viewer))


def compute_many(keys: Iterable[str] | None, unit, period: Period, *, viewer=None) -> list[Value]:
    """Several figures at once (every registered one when ``keys`` is None), sharing their
    queries; in the order asked (or the registry's)."""
    metrics = list(registry().values()) if keys is None else [get(k) for k in keys]
    ctx = Context(unit, period, viewer)
    return [_evaluate(m, ctx) for m in metrics]


# --- helpers for computations -----------------------------------------------------------


def rate(part, whole, digits: int = 1) -> float | None:
    """``part / whole`` as a percentage, None when there is no whole."""
    if not whole:
        return None
    return round(100.0 * float(part or 0) / float(whole), digits)


# --- reads for the page and the API -------------------------------------------------------


def default_unit(user):
    """The unit a viewer's figures open on: the unit of their first role (the root of the
    tree for a superuser without roles), or None."""
    from django.apps import apps

    from .scope import user_scopes

    OrgUnit = apps.get_model("orgs", "OrgUnit")
    scopes = sorted(user_scopes(user), key=lambda s: (len(s.path), s.path))
    if scopes:
        return OrgUnit.objects.filter(pk=scopes[0].unit_id).first()
    if getattr(user, "is_superuser", False):
        return OrgUnit.objects.order_by("depth", "path").first()
    return None


def unit_choices(user, limit: int = 300) -> list:
    """Units offered on the figures page: the viewer's role units and the units directly
    below them (one query), by tree order."""
    from django.apps import apps

    from .scope import user_scopes

    OrgUnit = apps.get_model("orgs", "OrgUnit")
    ids = {s.unit_id for s in user_scopes(user)}
    if not ids and getattr(user, "is_superuser", False):
        roots = OrgUnit.objects.filter(parent__isnull=True).values("pk")
        return list(
            OrgUnit.objects.filter(Q(pk__in=roots) | Q(parent_id__in=roots)).order_by("path")[
                :limit
            ]
        )
    return list(
        OrgUnit.objects.filter(Q(pk__in=ids) | Q(parent_id__in=ids, is_active=True)).order_by(
            "path"
        )[:limit]
    )
