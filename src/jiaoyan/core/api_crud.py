"""The standard endpoints of one kind of object, declared once per resource.

An app's ``api.py`` declares each resource and the standard endpoints it has; what is
particular to a resource (a create that builds nested rows, a list with its own count)
stays a hand-written endpoint beside it::

    themes = Resource(router, "/themes/{theme_id}", THEMES, out=ThemeOut)
    themes.list("/plans/{plan_id}/themes", parent=("plan", ResearchPlan), order=("month", "id"))
    themes.create(services.add_theme, ThemeIn, path="/plans/{plan_id}/themes",
                  parent=("plan", ResearchPlan), refs=SUBJECT_STAGE, name="add_theme")
    themes.get()
    themes.update(services.update_theme, ThemePatch, blank=("goals",))
    themes.delete(services.delete_theme)

Every endpoint keeps the behaviour of the hand-written ones it replaced:

- the object in the URL is found with ``get_visible_or_404`` (404 for absent and out of
  scope alike) — from ``lookup`` for writes (default: the model's rows), from
  ``queryset`` for reads — and answered re-read from ``queryset``;
- a PATCH passes :func:`jiaoyan.core.api.changes` (``blank``, ``nullable``, ``exclude``)
  to ``service(actor=…, <name>=obj, data=…, expected_version=data.version)``;
- a list is ``@paginated``, scoped with ``visible_to``, filtered by its ``FilterSchema``
  (``filters``) or by its parent in the URL (``parent``), ordered by ``order``;
- a create calls ``service(actor=…, [<parent>=…,] **body)`` with the body's references
  resolved by :func:`resolved` and answers ``201``;
- an action is ``POST <path>/<verb>``: ``service(actor=…, <name>=obj, **body)`` (a body's
  ``version`` goes to ``expected_version``), answering the object (or, with ``answers=``,
  the object the service returned, as that other resource answers it);
- ``writes=`` decorate every write endpoint (the ledger answers a stale version with 409);
- operation ids and default summaries are those of a function ``<verb>_<name>`` in the
  declaring module (``list_<plural>``, ``get_…``, ``create_…``, ``update_…``,
  ``delete_…``, ``<action>_…``); ``name=`` keeps another one.

``queryset`` and ``lookup`` are a QuerySet, a model, or a function of the user.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from ninja import Query, Router, Schema, Status

from . import search
from .api import changes, paginated
from .resolve import resolve_many, resolve_optional
from .scope import get_visible_or_404

Rows = models.QuerySet | type[models.Model] | Callable[[Any], models.QuerySet]
Refs = dict[str, type[models.Model] | list[type[models.Model]] | Callable[[Any, Any], Any]]

_P = inspect.Parameter.POSITIONAL_OR_KEYWORD


def resolved(user, payload: dict, refs: Refs | None) -> dict:
    """``payload`` with its references replaced by the objects they name.

    ``refs`` maps a field to its model (``{"org_unit": OrgUnit}``: one object or None) or
    to a one-element list of it (``{"stages": [Stage]}``: a list, None read as none);
    each is found through :mod:`jiaoyan.core.resolve` among what ``user`` may see (one
    422 for absent and out of scope), in the order ``refs`` names them. A function of
    ``(user, value)`` is a resolver of the app's own (one that narrows the candidates)."""
    out = dict(payload)
    for field, model in (refs or {}).items():
        if field not in out:
            continue
        if isinstance(model, list):
            out[field] = resolve_many(user, model[0], out[field] or [], field=field)
        elif isinstance(model, type):
            out[field] = resolve_optional(user, model, out[field], field=field)
        else:
            out[field] = model(user, out[field])
    return out


def _rows(rows: Rows, user) -> models.QuerySet:
    if isinstance(rows, type) and issubclass(rows, models.Model):
        return rows._default_manager.all()
    if isinstance(rows, models.QuerySet):
        return rows.all()
    return rows(user)


def _id_name(path: str) -> str:
    found = re.findall(r"{(\w+)}", path)
    if not found:
        raise ValueError(f"{path!r} names no object")
    return found[-1]


class Resource:
    """One kind of object on ``router``: its object path (``/themes/{theme_id}``; the
    collection's, ``/activities/{activity_id}/feedback``, for one without object
    endpoints), the rows it answers with (``queryset``), its ``Out`` schema and ``name``
    (default: the path's id without ``_id``), which names its operations and is the
    services' keyword (``services.update_theme(theme=…)``; ``arg`` when the services call
    it otherwise). ``writes`` decorate its write endpoints (the ledger's 409 for a stale
    version).
    """

    def __init__(
        self,
        router: Router,
        path: str,
        queryset: Rows,
        *,
        out: type[Schema],
        name: str = "",
        plural: str | None = None,
        arg: str | None = None,
        lookup: Rows | None = None,
        writes: Iterable[Callable] = (),
        module: str | None = None,
    ) -> None:
        self.router = router
        self.path = path
        self.id_name = _id_name(path) if path.endswith("}") else ""
        self.queryset = queryset
        self.lookup = lookup
        self.out = out
        self.name = name or self.id_name.removesuffix("_id")
        self.plural = plural or f"{self.name}s"
        self.arg = arg or self.name
        self.writes = tuple(writes)
        self.module = module or sys._getframe(1).f_globals["__name__"]

    # --- for hand-written endpoints of the resource ----------------------------------

    def one(self, request, pk: int):
        """The object ``pk`` as the resource answers it (404 when not visible)."""
        return get_visible_or_404(_rows(self.queryset, request.auth), request.auth, pk=pk)

    def for_write(self, request, pk: int):
        """The object ``pk`` for a write (404 when not visible), from ``lookup`` (default:
        all rows of the resource's model)."""
        user = request.auth
        rows = self.lookup if self.lookup is not None else _rows(self.queryset, user).model
        return get_visible_or_404(_rows(rows, user), user, pk=pk)

    def answer(self, request, obj):
        """``obj`` read again as the resource answers it, after a write."""
        return _rows(self.queryset, request.auth).get(pk=obj.pk)

    # --- the standard endpoints ---------------------------------------------------------

    def list(
        self,
        path: str | None = None,
        *,
        filters: type[Schema] | None = None,
        parent: tuple[str, type[models.Model]] | None = None,
        order: Iterable[str] = (),
        summary: str | None = None,
        name: str | None = None,
    ) -> Resource:
        """``GET path`` (default: the collection): the visible rows, ``filters`` applied, or
        those of the visible ``parent`` (``("plan", ResearchPlan)``) the path names."""
        path = path or self._collection()
        order = tuple(order)
        params = []
        if parent is not None:
            params.append(inspect.Parameter(_id_name(path), _P, annotation=int))
        if filters is not None:
            params.append(inspect.Parameter("filters", _P, annotation=Query[filters]))

        def endpoint(request, **kwargs):
            user = request.auth
            qs = _rows(self.queryset, user).visible_to(user)
            if parent is not None:
                field, model = parent
                owner = get_visible_or_404(model, user, pk=kwargs[_id_name(path)])
                qs = qs.filter(**{field: owner})
            if filters is not None:
                qs = kwargs["filters"].filter(qs)
            # A list searched by its filters (core.search) keeps the best match first.
            return qs.order_by(*order) if order and not search.is_ranked(qs) else qs

        self._register(
            "get",
            path,
            paginated(self._named(endpoint, name or f"list_{self.plural}", params)),
            response=list[self.out],
            summary=summary,
        )
        return self

    def get(self, *, summary: str | None = None, name: str | None = None) -> Resource:
        """``GET`` the object."""

        def endpoint(request, **kwargs):
            return self.one(request, kwargs[self.id_name])

        self._register(
            "get",
            self.path,
            self._named(endpoint, name or f"get_{self.name}", [self._id_param()]),
            response=self.out,
            summary=summary,
        )
        return self

    def create(
        self,
        service: Callable,
        body: type[Schema],
        *,
        path: str | None = None,
        parent: tuple[str, type[models.Model]] | None = None,
        refs: Refs | None = None,
        blank: tuple[str, ...] = (),
        summary: str | None = None,
        name: str | None = None,
    ) -> Resource:
        """``POST path`` (default: the collection): ``service(actor=…, **body)`` with the
        body's ``refs`` resolved (a ``blank`` field's null read as ""), under the visible
        ``parent`` the path names; answers 201 with the new object."""
        path = path or self._collection()
        params = [inspect.Parameter("data", _P, annotation=body)]
        if parent is not None:
            params.insert(0, inspect.Parameter(_id_name(path), _P, annotation=int))

        def endpoint(request, **kwargs):
            user = request.auth
            where = {}
            if parent is not None:
                field, model = parent
                where[field] = get_visible_or_404(model, user, pk=kwargs[_id_name(path)])
            payload = kwargs["data"].dict()
            for key in blank:
                if payload.get(key) is None:
                    payload[key] = ""
            obj = service(actor=user, **where, **resolved(user, payload, refs))
            return Status(201, self.answer(request, obj))

        self._register(
            "post",
            path,
            self._named(endpoint, name or f"create_{self.name}", params, self.writes),
            response={201: self.out},
            summary=summary,
        )
        return self

    def update(
        self,
        service: Callable,
        patch: type[Schema],
        *,
        blank: tuple[str, ...] = (),
        nullable: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        refs: Refs | None = None,
        summary: str | None = None,
        name: str | None = None,
    ) -> Resource:
        """``PATCH`` the object: the fields sent (:func:`jiaoyan.core.api.changes`), their
        ``refs`` resolved, to ``service(actor=…, <arg>=obj, data=…, expected_version=…)``."""

        def endpoint(request, **kwargs):
            user, data = request.auth, kwargs["data"]
            obj = self.for_write(request, kwargs[self.id_name])
            payload = changes(data, blank=blank, nullable=nullable, exclude=exclude)
            service(
                actor=user,
                **{self.arg: obj},
                data=resolved(user, payload, refs),
                expected_version=data.version,
            )
            return self.answer(request, obj)

        params = [self._id_param(), inspect.Parameter("data", _P, annotation=patch)]
        self._register(
            "patch",
            self.path,
            self._named(endpoint, name or f"update_{self.name}", params, self.writes),
            response=self.out,
            summary=summary,
        )
        return self

    def delete(
        self, service: Callable, *, summary: str | None = None, name: str | None = None
    ) -> Resource:
        """``DELETE`` the object: ``service(actor=…, <arg>=obj)``; answers 204."""

        def endpoint(request, **kwargs):
            obj = self.for_write(request, kwargs[self.id_name])
            service(actor=request.auth, **{self.arg: obj})
            return Status(204, None)

        self._register(
            "delete",
            self.path,
            self._named(endpoint, name or f"delete_{self.name}", [self._id_param()], self.writes),
            response={204: None},
            summary=summary,
        )
        return self

    def action(
        self,
        verb: str,
        service: Callable,
        *,
        body: type[Schema] | None = None,
        optional: bool = False,
        refs: Refs | None = None,
        answers: Resource | None = None,
        summary: str | None = None,
        name: str | None = None,
    ) -> Resource:
        """``POST <path>/<verb>``: ``service(actor=…, <arg>=obj, **body)`` (the body's
        ``refs`` resolved, its ``version`` as ``expected_version``; an ``optional`` body left
        out is read as its defaults); answers the object — or, with ``answers``, what the
        service returned, as that resource answers it (a participation of an activity)."""
        params = [self._id_param()]
        if body is not None and optional:
            params.append(inspect.Parameter("data", _P, annotation=body | None, default=None))
        elif body is not None:
            params.append(inspect.Parameter("data", _P, annotation=body))

        def endpoint(request, **kwargs):
            obj = self.for_write(request, kwargs[self.id_name])
            data = kwargs.get("data") or (body() if body is not None else None)
            values = data.dict() if data is not None else {}
            if "version" in values:
                values["expected_version"] = values.pop("version")
            result = service(
                actor=request.auth, **{self.arg: obj}, **resolved(request.auth, values, refs)
            )
            return answers.answer(request, result) if answers else self.answer(request, obj)

        self._register(
            "post",
            f"{self.path}/{verb}",
            self._named(endpoint, name or f"{verb}_{self.name}", params, self.writes),
            response=answers.out if answers else self.out,
            summary=summary,
        )
        return self

    # --- registration -------------------------------------------------------------------

    def _collection(self) -> str:
        """The path of the resource's rows: the object path without its id (a resource
        without object endpoints is declared with its collection's path)."""
        return self.path.rsplit("/", 1)[0] if self.path.endswith("}") else self.path

    def _id_param(self) -> inspect.Parameter:
        return inspect.Parameter(self.id_name, _P, annotation=int)

    def _named(self, fn, name: str, params: list, decorators: Iterable[Callable] = ()):
        """``fn`` as the function ``name`` of the declaring module with ``params``: django-
        ninja derives the operation id and default summary from those, and the request's
        parameters from the signature."""
        fn.__name__ = fn.__qualname__ = name
        fn.__module__ = self.module
        fn.__signature__ = inspect.Signature([inspect.Parameter("request", _P), *params])
        for decorate in decorators:
            fn = decorate(fn)
        return fn

    def _register(self, method: str, path: str, fn, *, response, summary: str | None) -> None:
        route = getattr(self.router, method)
        route(path, response=response, summary=summary)(fn)
