"""The page mechanisms every app uses: the declared list page and the form views.

A list page is a class that says what it lists and how, never how to do it::

    class PersonList(ListPage):
        template = "people/person_list.html"
        fragment = "people/_person_table.html"
        filterset = PersonFilter
        sorts = SORTS
        default_sort = "unit"
        sheet = PersonSheet            # ?export=xlsx in the import template's columns

        def get_queryset(self):
            return Person.objects.visible_to(self.user)

    person_list = PersonList.as_view()

``as_view()`` gives the page, its HTMX fragment (the table, when htmx targets
``#list-results``) and ``?export=xlsx`` with the same filters — in the columns of the
list's sheet kind (so the file re-imports) or, for lists without one, in its declared
``columns``. Nothing else in the tree reads ``?export=`` (tests/core/test_mechanisms.py).

Form views call services through :func:`form_page` (:func:`edit_page` and
:func:`editing` for forms that edit a versioned record; :func:`creating` and
:func:`updating` where the form's fields are the service's keywords), :func:`run_service` or
:func:`post_action`: a ``ServiceError`` is shown on its field (or as a message), a stale
form is refused with the service's message, success is a message and a redirect. A view
that shows a refusal its own way (several forms on one page, an error line, a status
code) calls the service through :func:`attempt`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from . import search
from .errors import ServiceError
from .lists import (
    SortOption,
    paginate,
    querystring_without,
    render_list,
    sort_queryset,
    xlsx_response,
)
from .scope import get_visible_or_404
from .sheets import SheetKind, export_xlsx, write_table_xlsx
from .uploads import served_type

EXPORT_PARAM = "export"
"""``?export=xlsx`` — the one query parameter that turns a list page into its export."""


def wants_export(request: HttpRequest, fmt: str = "xlsx") -> bool:
    """Whether the request asks for the page's export in ``fmt`` (``xlsx`` by default)."""
    return request.GET.get(EXPORT_PARAM) == fmt


# --- exports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a list's export where the list has no sheet kind.

    ``value`` is an attribute path on the row (``"org_unit.name"``; dict rows by key) or a
    function of the row; ``None`` is written as an empty cell.
    """

    header: str
    value: str | Callable[[Any], Any]
    width: int = 12

    def of(self, row: Any) -> Any:
        if callable(self.value):
            out = self.value(row)
        else:
            out = row
            for part in self.value.split("."):
                if out is None:
                    break
                out = out.get(part) if isinstance(out, dict) else getattr(out, part, None)
                if callable(out):
                    out = out()
        return "" if out is None else out


def columns_xlsx(
    columns: Sequence[Column], rows: Iterable[Any], *, sheet_title: str, title: str | None = None
) -> bytes:
    """Rows written in the declared columns (a title row, a header row, the rows)."""
    return write_table_xlsx(
        [str(c.header) for c in columns],
        ([c.of(r) for c in columns] for r in rows),
        sheet_title=sheet_title,
        title=str(title) if title else f"{sheet_title}（{timezone.localdate():%Y-%m-%d} 导出）",
        widths=[c.width for c in columns],
    )


def columns_response(
    columns: Sequence[Column],
    rows: Iterable[Any],
    *,
    filename: str,
    sheet_title: str,
    title: str | None = None,
) -> HttpResponse:
    """The download of :func:`columns_xlsx` (a page's own export: stats, reports)."""
    content = columns_xlsx(columns, rows, sheet_title=sheet_title, title=title)
    return xlsx_response(content, filename)


#: Content types a stored file may be shown inline with (in an <img>, <video>, <audio> or
#: a frame): what a browser renders but never runs. Anything else — and every page,
#: script, SVG or program, which uploads refuse anyway — is only ever an attachment.
INLINE_TYPES = frozenset(
    {
        "application/pdf",
        *("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"),
        *("audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/flac", "audio/webm"),
        *("video/mp4", "video/webm", "video/ogg", "video/quicktime"),
    }
)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """A ``Range`` header no byte of the file answers (416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range (first, last, inclusive) a ``Range`` header asks of a file of
    ``size`` bytes; None to send the whole file (no header, one this does not read — a
    list of ranges, another unit — which RFC 9110 lets a server ignore). Raises
    :class:`RangeNotSatisfiable` for a range that starts past the end."""
    m = _RANGE.match((header or "").strip().replace(" ", ""))
    if m is None:
        return None
    first, last = m.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - n), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    return start, min(end, size - 1)


def _chunks(handle, start: int, length: int, block: int = 64 * 1024):
    try:
        handle.seek(start)
        while length > 0:
            data = handle.read(min(block, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()


def stored_file_response(
    field: Any,
    filename: str,
    content_type: str | None = None,
    *,
    request: HttpRequest | None = None,
    inline: bool = False,
) -> HttpResponse:
    """The download of a stored file (a ``FileField``'s value) as an attachment named
    ``filename``; 404 when there is none or it is gone from the storage. The caller has
    fetched its row through ``get_visible_or_404`` (a page's view: :func:`file_download_view`).
    ``content_type``: the type its content was sniffed as when stored
    (``core.uploads.check_typed_file``); the type served is
    ``core.uploads.served_type`` — a page, a script, a program or an unknown content is
    ``application/octet-stream``, whatever its name. ``nosniff`` keeps browsers to it.

    ``inline``: shown in the page (a preview) — honoured only for :data:`INLINE_TYPES`;
    anything else stays an attachment. With ``request``, a single ``Range`` (a video's
    seek) is answered 206 with those bytes, a range past the end 416."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        content_type = served_type(handle, filename or "", content_type)
    except OSError:
        handle.close()
        raise Http404 from None
    shown = bool(inline and content_type in INLINE_TYPES)
    wanted = None
    if request is not None and "HTTP_IF_RANGE" not in request.META:
        try:
            size = field.size
            wanted = byte_range(request.META.get("HTTP_RANGE"), size)
        except RangeNotSatisfiable:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["X-Content-Type-Options"] = "nosniff"
            return response
    if wanted is not None:
        first, last = wanted
        response = StreamingHttpResponse(
            _chunks(handle, first, last - first + 1),
            status=206,
            content_type=content_type,
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
        response["Content-Disposition"] = content_disposition_header(not shown, filename or "file")
    else:
        response = FileResponse(
            handle,
            as_attachment=not shown,
            filename=filename or "file",
            content_type=content_type,
        )
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stored_row_response(
    request: HttpRequest | None,
    row: Any,
    *,
    file: str = "file",
    name: str = "name",
    content_type: str | None = None,
    inline: bool = False,
) -> HttpResponse:
    """:func:`stored_file_response` of a row's stored file: its ``file`` field, named by
    its ``name`` field, with the type its ``content_type`` field holds (the type sniffed
    when it was stored; None: the model keeps none). With ``request``, ranges answered."""
    return stored_file_response(
        getattr(row, file),
        getattr(row, name),
        getattr(row, content_type) if content_type else None,
        request=request,
        inline=inline,
    )


def file_download_view(
    source: Any,
    *,
    file: str = "file",
    name: str = "name",
    content_type: str | None = None,
    inline: bool = False,
    ranges: bool = False,
    before: Callable[[HttpRequest, Any], Any] | None = None,
) -> Callable[..., HttpResponse]:
    """The page view (``<pk>``) that serves the stored file of one row of ``source`` (a
    model or a queryset): signed in, the row fetched through ``get_visible_or_404`` (out
    of the viewer's scope, or a restricted record they may not read: 404), then
    :func:`stored_row_response` — an attachment unless ``inline`` and the type is one a
    browser only shows, ``nosniff`` always, byte ranges with ``ranges``. ``before(request,
    row)`` runs first (a download counted)."""

    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        row = get_visible_or_404(source, request.user, pk=pk)
        if before is not None:
            before(request, row)
        return stored_row_response(
            request if ranges else None,
            row,
            file=file,
            name=name,
            content_type=content_type,
            inline=inline,
        )

    return view


# --- the declared list page -----------------------------------------------------------------


class ListPage:
    """A list page declared by its parts; ``as_view()`` serves it (see the module text)."""

    template: ClassVar[str]
    fragment: ClassVar[str | None] = None
    filterset: ClassVar[type | None] = None
    filter_defaults: ClassVar[dict[str, str]] = {}
    sorts: ClassVar[Sequence[SortOption]] = ()
    default_sort: ClassVar[str] = ""
    per_page: ClassVar[int | None] = None
    sheet: ClassVar[type[SheetKind] | None] = None
    columns: ClassVar[Sequence[Column]] = ()
    export_name: ClassVar[str] = ""
    export_title: ClassVar[str | None] = None
    # Query-string keys dropped from the export link besides page/export (e.g. a view mode).
    export_drop: ClassVar[tuple[str, ...]] = ()
    # Served without an account (a public page): ``get_queryset`` still starts from
    # ``visible_to(self.user)``, which gives a visitor only the model's public rows.
    public: ClassVar[bool] = False

    def __init__(self, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        self.user = request.user
        self.kwargs = kwargs
        self.filter = None
        self.sort: str | None = None

    # --- what a page declares ---------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        """The rows in the viewer's scope: must start from ``visible_to(self.user)``."""
        raise NotImplementedError

    def filter_params(self):
        params = self.request.GET.copy()
        for key, value in self.filter_defaults.items():
            if key not in params:
                params[key] = value
        return params

    def filter_queryset(self, qs: QuerySet) -> QuerySet:
        """The declared FilterSet applied (choices scoped by the FilterSet's ``request``)."""
        if self.filterset is None:
            return qs
        self.filter = self.filterset(self.filter_params(), queryset=qs, request=self.request)
        return self.filter.qs

    def sort_queryset(self, qs: QuerySet) -> QuerySet:
        if not self.sorts:
            return qs
        if search.is_ranked(qs) and not self.request.GET.get("sort"):
            return qs  # searched (core.forms.fulltext_filter): best match first
        qs, self.sort = sort_queryset(self.request, qs, list(self.sorts), self.default_sort)
        return qs

    def list_queryset(self, qs: QuerySet):
        """The rows as the table reads them (``select_related``, a counted wrapper …)."""
        return qs

    def paginate(self, rows) -> Page:
        return paginate(self.request, rows, self.per_page)

    def get_context(self) -> dict[str, Any]:
        """What the template needs beyond filter, page, sort and the query strings."""
        return {}

    # --- export -------------------------------------------------------------------------

    def get_sheet(self) -> SheetKind | None:
        """The sheet kind the export is written in, for the viewer. A page whose kind takes
        parameters (an exam's scores: ``ScoreSheet(actor=…, params={"exam": …})``)
        overrides this to pass them; ``sheet`` still names the kind."""
        return None if self.sheet is None else self.sheet(actor=self.user)

    def export_queryset(self, qs: QuerySet) -> QuerySet:
        """The filtered rows as the export reads them (all pages, the list's order)."""
        if self.sheet is not None:
            sheet = self.get_sheet()
            return sheet.export_queryset().filter(pk__in=qs.order_by().values("pk"))
        return self.list_queryset(qs)

    def export_rows(self, qs) -> Iterable[Any]:
        return qs

    def export(self, qs: QuerySet) -> HttpResponse:
        if self.sheet is not None:
            sheet = self.get_sheet()
            content = export_xlsx(sheet, self.export_queryset(qs))
            name = self.export_name or sheet.sheet_title
            return xlsx_response(content, str(name))
        if self.columns:
            name = str(self.export_name)
            return columns_response(
                self.columns,
                self.export_rows(self.export_queryset(qs)),
                filename=name,
                sheet_title=name,
                title=self.export_title,
            )
        raise NotImplementedError(f"{type(self).__name__} declares no export")

    # --- serving ------------------------------------------------------------------------

    def queries(self) -> dict[str, str]:
        r = self.request
        return {
            "base_query": querystring_without(r, "page"),
            "base_query_nosort": querystring_without(r, "page", "sort"),
            "export_query": querystring_without(r, "page", EXPORT_PARAM, *self.export_drop),
        }

    def dispatch(self) -> HttpResponse:
        qs = self.filter_queryset(self.get_queryset())
        if wants_export(self.request) and (self.sheet is not None or self.columns):
            return self.export(self.sort_queryset(qs))
        self.queryset = self.sort_queryset(qs)
        self.page = self.paginate(self.list_queryset(self.queryset))
        ctx = {"filter": self.filter, "page": self.page, "sort": self.sort, "list": self}
        ctx.update(self.queries())
        ctx.update(self.get_context())
        if self.fragment is None:
            return render(self.request, self.template, ctx)
        return render_list(self.request, self.template, self.fragment, ctx)

    @classmethod
    def as_view(cls) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return cls(request, **kwargs).dispatch()

        view.__doc__ = cls.__doc__
        view.__name__ = cls.__name__
        view.__qualname__ = cls.__qualname__
        view.__module__ = cls.__module__
        view.page_class = cls  # type: ignore[attr-defined]
        return view if cls.public else login_required(view)


# --- form views ---------------------------------------------------------------------------


_FAILED = object()


def form_error(form: BaseForm, error: ServiceError) -> None:
    """Put a service's error on the form: on its field when the form has it."""
    name = error.field if error.field in form.fields else None
    form.add_error(name, error.text if name is None else error.messages)


def run_service(form: BaseForm, perform: Callable[[dict[str, Any]], Any]) -> Any:
    """Validate ``form`` and call ``perform(data)`` (a service) with a copy of its data.

    Returns what the service returned, or :data:`FAILED` when the form is invalid or the
    service refused (its ``ServiceError`` is then on the form's field, or the form's
    top). Stale forms are refused by the service (``check_version``), shown the same way.
    A ``perform`` that checks something the form could not (a value read from the cleaned
    data) may put its own error on the form and return :data:`FAILED` itself.
    """
    if not form.is_valid():
        return _FAILED
    try:
        return perform(dict(form.cleaned_data))
    except ServiceError as e:
        form_error(form, e)
        return _FAILED


FAILED = _FAILED


def denied_on_form(perform: Callable[..., Any]) -> Callable[..., Any]:
    """``perform`` (a service call for :func:`form_page` or :func:`run_service`) with a
    refusal by the service's permission check shown like its other errors — at the form's
    top — instead of a 403 page (for forms whose choices the permission depends on)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return perform(*args, **kwargs)
        except PermissionDenied as e:
            raise ServiceError(str(e)) from e

    return wrapped


def _resolve(value, result):
    return value(result) if callable(value) else value


def form_page(
    request: HttpRequest,
    form: BaseForm,
    perform: Callable[[dict[str, Any]], Any],
    *,
    template: str,
    context: dict[str, Any] | None = None,
    success: Any = None,
    redirect_to: Any = None,
) -> HttpResponse:
    """The whole form view: GET shows ``form``; a valid POST calls ``perform`` (a service
    call) and, when it succeeds, shows ``success`` (a message, or a function of the
    result) and redirects to ``redirect_to`` (a URL, an object, or a function of the
    result; by default the result itself); otherwise the form is shown again with the
    service's error on its field."""
    if request.method == "POST":
        result = run_service(form, perform)
        if result is not _FAILED:
            message = _resolve(success, result)
            if message:
                messages.success(request, message)
            target = _resolve(redirect_to, result) if redirect_to is not None else result
            return redirect(target)
    return render(request, template, {"form": form, **(context or {})})


def editing(obj: Any, fields: Iterable[str] = (), **values: Any) -> dict[str, Any]:
    """The initial values of a form that edits ``obj``: its ``fields``, the other
    ``values`` given, and the ``version`` it is read at (a :class:`VersionedForm`'s hidden
    field, sent back so that the service can refuse a stale form)."""
    return {**{f: getattr(obj, f) for f in fields}, **values, "version": obj.version}


def edit_page(
    request: HttpRequest,
    form: BaseForm,
    save: Callable[[dict[str, Any], int | None], Any],
    *,
    template: str,
    context: dict[str, Any] | None = None,
    success: Any = None,
    redirect_to: Any = None,
) -> HttpResponse:
    """:func:`form_page` for a form that edits (or adds) a versioned record: ``save(data,
    version)`` gets the form's data without its ``version`` and the version the form was
    read at (``None`` on a new record), to hand to the service as ``expected_version``."""

    def perform(data: dict[str, Any]) -> Any:
        version = data.pop("version", None)
        return save(data, version)

    return form_page(
        request,
        form,
        perform,
        template=template,
        context=context,
        success=success,
        redirect_to=redirect_to,
    )


def creating(service: Callable[..., Any], actor: Any, **fixed: Any) -> Callable[..., Any]:
    """The ``perform`` of a :func:`form_page` (or ``save`` of an :func:`edit_page`) that
    adds a record through ``service(actor=…, **fixed, **data)``: the form's fields are the
    service's keywords (its ``version`` left out)."""

    def perform(data: dict[str, Any], version: int | None = None) -> Any:
        return service(actor=actor, **fixed, **{k: v for k, v in data.items() if k != "version"})

    return perform


def updating(service: Callable[..., Any], actor: Any, **record: Any) -> Callable[..., Any]:
    """The ``save`` of an :func:`edit_page` that edits ``record`` (``plan=plan``) through
    ``service(actor=…, plan=plan, data=…, expected_version=version)``."""

    def save(data: dict[str, Any], version: int | None) -> Any:
        return service(actor=actor, **record, data=data, expected_version=version)

    return save


def post_action(
    request: HttpRequest,
    perform: Callable[[], Any],
    *,
    success: Any = None,
    redirect_to: Any,
    denied_as_message: bool = False,
) -> HttpResponse:
    """A button's POST: call ``perform()`` (a service call); its ``ServiceError`` becomes
    an error message, success a success message; both redirect to ``redirect_to`` (a URL,
    an object, or a function of the result). With ``denied_as_message`` a refusal by the
    service's permission check is shown the same way instead of a 403 page."""
    try:
        result = perform()
    except ServiceError as e:
        messages.error(request, e.text)
        return redirect(_resolve(redirect_to, None))
    except PermissionDenied as e:
        if not denied_as_message:
            raise
        messages.error(request, str(e))
        return redirect(_resolve(redirect_to, None))
    message = _resolve(success, result)
    if message:
        messages.success(request, message)
    return redirect(_resolve(redirect_to, result))


def post_form(
    request: HttpRequest,
    form: BaseForm,
    perform: Callable[[dict[str, Any]], Any],
    *,
    success: Any = None,
    redirect_to: Any,
) -> HttpResponse:
    """A small form posted from an object's page (status, transfer, add a role …): its
    field errors and the service's error come back as messages on that page; success is a
    message (or a function of the result; a service may return its own note)."""
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(_resolve(redirect_to, None))
    return post_action(
        request,
        lambda: perform(dict(form.cleaned_data)),
        success=success,
        redirect_to=redirect_to,
    )


def post_form_view(
    get_object: Callable[[HttpRequest, int], Any],
    arg: str,
    form_class: type[BaseForm],
    service: Callable[..., Any],
    success: Any,
):
    """The view of a small form on an object's page that creates something under it: the
    object (``get_object(request, pk)``, read from ``visible_to``) is passed to
    ``service`` as ``arg``, the form's fields as the rest (:func:`creating`), through
    :func:`post_form`; POST only, signed in."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object(request, pk)
        return post_form(
            request,
            form_class(request.POST),
            creating(service, request.user, **{arg: obj}),
            success=success,
            redirect_to=obj,
        )

    return view


def attempt(perform: Callable[[], Any], *, denied: bool = False) -> tuple[Any, Exception | None]:
    """Call ``perform()`` (a service call) for a view that shows a refusal its own way — on
    one of several forms, as a line of the page, with a status code, or by going somewhere
    else than on success. Returns ``(result, None)``, or ``(FAILED, error)`` with the
    ``ServiceError`` it raised (with ``denied``, also a ``PermissionDenied``);
    :func:`refusal_text` is the error's message for users."""
    try:
        return perform(), None
    except ServiceError as e:
        return _FAILED, e
    except PermissionDenied as e:
        if not denied:
            raise
        return _FAILED, e


def refusal_text(error: Exception) -> str:
    """The message of a refusal returned by :func:`attempt`."""
    return error.text if isinstance(error, ServiceError) else str(error)
