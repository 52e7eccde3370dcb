"""THE scoped resolver: every reference a write sets (a unit, person, exam, rubric …
named by id or by its natural key in an API body, a form or a sheet cell) is found here.

The search starts from ``Model.objects.visible_to(user)`` (reference data that belongs to
nobody — subjects, stages — is global), so an object the user may not see is found
exactly as often as one that does not exist: never. Both raise the same
:class:`Unresolved`, whose message and status are the same for the two cases (the API
answers 422 with the same body), so a response never tells whether an id exists.

    unit = resolve(user, OrgUnit, data.org_unit, field="org_unit")
    subject = resolve(user, Subject, "数学", field="subject")  # name or code
    units = resolve_many(user, OrgUnit, data.collaborators, field="collaborators")

Integers are ids; text is a natural key (the model's ``KEYS`` below: a unit's or
school's code, a person's staff number, a subject's name or code, a stage's code or
name). Sheets resolve many cells at once with :class:`Resolver` (one query per batch);
forms use :func:`reference_field` (a choice field over the same scoped rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django import forms
from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .bulk import filter_in
from .errors import ServiceError
from .scope import spec_for

M = TypeVar("M", bound=models.Model)

# Natural keys tried, in order, for a value given as text, by "app_label.ModelName".
# A model not listed is looked up by id only.
KEYS: dict[str, tuple[str, ...]] = {
    "orgs.OrgUnit": ("code",),
    "orgs.School": ("org_unit__code",),
    "orgs.Subject": ("name", "code"),
    "orgs.Stage": ("code", "name"),
    "people.Person": ("staff_no",),
}

BATCH = 5000  # values per query when a sheet's whole column is prefetched
MAX_LENGTH = 100  # longer text is no key of ours: answered as unknown without a query


class Unresolved(ServiceError):
    """A reference that names nothing the user may see.

    The message does not depend on why (absent or out of scope); for global reference
    data, whose existence is no secret, it also names the unknown values. The API answers
    422 with ``{"detail": message, "field": field}``.
    """

    status_code = 422

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message, field=field, code="unresolved")


def key_fields(model: type[models.Model]) -> tuple[str, ...]:
    return KEYS.get(model._meta.label, ())


def is_global(model: type[models.Model]) -> bool:
    """Reference data that belongs to no unit (not registered with the scope kernel)."""
    try:
        spec_for(model)
    except LookupError:
        return True
    return False


def candidates(
    user, model: type[M], queryset: models.QuerySet | None = None, *, system: bool = False
) -> models.QuerySet:
    """The rows a reference to ``model`` may name: the visible ones (all, when global).

    ``queryset`` narrows further (related rows, a kind); it is still scoped here.
    ``system`` is the command line's import (no acting user, every row): only
    :meth:`jiaoyan.core.sheets.SheetKind.resolver` passes it, for an actor of None.
    """
    qs = queryset if queryset is not None else model._default_manager.all()
    if is_global(model) or (system and user is None):
        return qs
    return qs.visible_to(user)


def _what(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name)


def unresolved(
    model: type[models.Model], *, field: str | None, values=(), positions=()
) -> Unresolved:
    """The one error of a reference not found, the same whether absent or out of scope.

    Global reference data (no secret) names the unknown ``values``; otherwise only the
    ``positions`` (1-based) of the failing entries of a list are named, never a value.
    """
    what = _what(model)
    if is_global(model) and values:
        shown = "、".join(str(v) for v in values)
        return Unresolved(_("Unknown %(what)s: %(v)s") % {"what": what, "v": shown}, field=field)
    if positions:
        items = "、".join(str(n) for n in positions)
        return Unresolved(
            _("No such %(what)s in your scope: item %(items)s.") % {"what": what, "items": items},
            field=field,
        )
    return Unresolved(_("No such %(what)s in your scope.") % {"what": what}, field=field)


def _kind(value: Any) -> str | None:
    """``"pk"`` for an id, ``"key"`` for text, None for what can be neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "pk" if 0 < value < 2**63 else None
    if isinstance(value, str):
        text = value.strip()
        return "key" if text and len(text) <= MAX_LENGTH else None
    return None


class Resolver:
    """Resolves many references to one model for one user, one query per batch.

    ``get(value)`` answers the object or None; ``prefetch(values)`` loads a sheet's
    column at once first. A sheet reports a None as its cell's error.
    """

    def __init__(
        self,
        user,
        model: type[M],
        *,
        queryset: models.QuerySet | None = None,
        keys: tuple[str, ...] | None = None,
        system: bool = False,
    ) -> None:
        self.user = user
        self.model = model
        self.qs = candidates(user, model, queryset, system=system)
        self.keys = key_fields(model) if keys is None else keys
        self._by_pk: dict[int, Any] = {}
        self._by_key: dict[tuple[str, str], Any] = {}
        self._missing: set[Any] = set()

    def prefetch(self, values: Iterable[Any]) -> None:
        values = list(values)
        pks = {v for v in values if _kind(v) == "pk"} - self._by_pk.keys() - self._missing
        texts = {v.strip() for v in values if _kind(v) == "key"} - self._missing
        if pks:
            for obj in filter_in(self.qs, "pk", pks, BATCH):
                self._by_pk[obj.pk] = obj
            self._missing |= pks - self._by_pk.keys()
        for key in self.keys:  # the first key that names a text wins
            todo = {t for t in texts if not self._found(t)}
            if not todo:
                break
            for obj in filter_in(self.qs, key, todo, BATCH):  # a sheet's column: in batches
                self._by_key.setdefault((key, str(_attr(obj, key))), obj)
        self._missing |= {t for t in texts if not self._found(t)}

    def _found(self, text: str) -> bool:
        return any((k, text) in self._by_key for k in self.keys)

    def message(self, value: Any) -> str:
        """The one message of a cell whose ``value`` names nothing (for a sheet's error
        report: the same whether the object is absent or out of scope)."""
        return unresolved(self.model, field=None, values=[value]).text

    def get(self, value: Any):
        kind = _kind(value)
        if kind is None:
            return None
        if kind == "pk":
            if value not in self._by_pk and value not in self._missing:
                self.prefetch([value])
            return self._by_pk.get(value)
        text = value.strip()
        if not self._found(text) and text not in self._missing:
            self.prefetch([text])
        for key in self.keys:
            if (key, text) in self._by_key:
                return self._by_key[(key, text)]
        return None


def _attr(obj, lookup: str):
    value = obj
    for part in lookup.split("__"):
        value = getattr(value, part)
    return value


def resolve(
    user,
    model: type[M],
    value: Any,
    *,
    field: str | None = None,
    queryset: models.QuerySet | None = None,
    keys: tuple[str, ...] | None = None,
) -> M:
    """The object ``value`` (an id, or text: a natural key) names among those ``user``
    may see; :class:`Unresolved` otherwise — the same error for absent and out of scope.
    """
    obj = Resolver(user, model, queryset=queryset, keys=keys).get(value)
    if obj is None:
        raise unresolved(model, field=field, values=[value])
    return obj


def resolve_optional(user, model: type[M], value: Any, **kwargs) -> M | None:
    """:func:`resolve`, but None (or empty text) is no reference: None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return resolve(user, model, value, **kwargs)


def resolve_beyond_scope(
    user,
    model: type[M],
    value: Any,
    *,
    beyond_scope: bool,
    field: str | None = None,
    queryset: models.QuerySet | None = None,
) -> tuple[M, bool]:
    """The object ``value`` names, and whether it lies beyond ``user``'s scope.

    Without ``beyond_scope`` this is :func:`resolve`. With it — the explicit path for
    reaching beyond one's scope (an invitation by staff number, the helped side of a
    pairing named by its unit code) — a value the user cannot see is looked up by the
    model's natural keys only (never by id, which would let ids be probed) among all
    rows. Absent gives the same :class:`Unresolved` as out of scope does on the ordinary
    path. The caller audits what was typed and tells the side it reached."""
    obj = Resolver(user, model, queryset=queryset).get(value)
    if obj is not None:
        return obj, False
    if beyond_scope and _kind(value) == "key":
        base = queryset if queryset is not None else model._default_manager.all()
        found = Resolver(None, model, queryset=base, system=True).get(value.strip())
        if found is not None:
            return found, True
    raise unresolved(model, field=field, values=[value])


def resolve_many(
    user,
    model: type[M],
    values: Iterable[Any],
    *,
    field: str | None = None,
    queryset: models.QuerySet | None = None,
    keys: tuple[str, ...] | None = None,
) -> list[M]:
    """Every object ``values`` name, in their order, repeats dropped; one error when any
    is not found (naming the values only for global reference data)."""
    given = list(values)
    resolver = Resolver(user, model, queryset=queryset, keys=keys)
    resolver.prefetch(given)
    found = [resolver.get(v) for v in given]
    missing = [n for n, obj in enumerate(found, 1) if obj is None]
    if missing:
        raise unresolved(
            model,
            field=field,
            values=list(dict.fromkeys(given[n - 1] for n in missing)),
            positions=missing,
        )
    out: dict[int, M] = {}
    for obj in found:
        out.setdefault(obj.pk, obj)
    return list(out.values())


def subject(value: Any, *, field: str = "subject"):
    """The subject ``value`` names (name, code or id), None for none; else Unresolved."""
    return resolve_optional(None, apps.get_model("orgs", "Subject"), value, field=field)


def stage(value: Any, *, field: str = "stage"):
    """The stage ``value`` names (code, name or id), None for none; else Unresolved."""
    return resolve_optional(None, apps.get_model("orgs", "Stage"), value, field=field)


# --- forms -------------------------------------------------------------------------------


class ReferenceField(forms.ModelChoiceField):
    """A form field naming an object the user may see (by id, as a choice, or by code when
    typed): the choices are the scoped rows and an unknown value gets the one message."""

    default_error_messages = {
        "invalid_choice": _lazy("No such object is available to you."),
    }

    def __init__(self, user, model: type[models.Model], *, queryset=None, keys=None, **kwargs):
        self.user, self.model, self.keys = user, model, keys
        super().__init__(queryset=candidates(user, model, queryset), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            value = value.pk
        text = str(value).strip()
        ref: Any = int(text) if text.isdigit() and len(text) < 19 else text
        obj = Resolver(self.user, self.model, queryset=self.queryset, keys=self.keys).get(ref)
        if obj is None and isinstance(ref, int):
            obj = Resolver(self.user, self.model, queryset=self.queryset, keys=self.keys).get(text)
        if obj is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return obj


def reference_field(user, model: type[models.Model], **kwargs) -> ReferenceField:
    """A :class:`ReferenceField` for ``model`` (forms call it in ``__init__`` with their user)."""
    return ReferenceField(user, model, **kwargs)


# --- list filters (API FilterSchemas, pages' FilterSets) -----------------------------------


def reference_q(lookup: str, model: type[models.Model], value: Any) -> Q:
    """Rows whose ``lookup`` (a relation to the global reference ``model``, e.g.
    ``subject`` or ``roles__subjects``) is the row ``value`` names — an id, or text: the
    model's natural keys (a subject's name or code, a stage's code or name). No rows when
    it names none. The one parsing of such filter values (a subquery, no extra query)."""
    if value is None or value == "":
        return Q()
    kind = _kind(value)
    if kind is None:
        return Q(pk__in=[])
    if kind == "pk":
        match = Q(pk=value)
    else:
        match = Q(pk__in=[])
        for key in key_fields(model):
            match |= Q(**{key: value.strip()})
    return Q(**{f"{lookup}__in": model._default_manager.filter(match).values("pk")})


def subject_q(value: Any, lookup: str = "subject") -> Q:
    return reference_q(lookup, apps.get_model("orgs", "Subject"), value)


def stage_q(value: Any, lookup: str = "stage") -> Q:
    return reference_q(lookup, apps.get_model("orgs", "Stage"), value)


def within_q(unit_id: int | None, lookup: str = "org_unit__path__under") -> Q:
    """Rows whose unit lies in the subtree of unit ``unit_id``; no rows for an unknown id.

    The unit itself is not scoped here: the rows filtered are already the visible ones, so
    a unit outside the scope adds nothing the user could not see anyway."""
    if unit_id is None:
        return Q()
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    path = OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
    return Q(**{lookup: path}) if path else Q(pk__in=[])
