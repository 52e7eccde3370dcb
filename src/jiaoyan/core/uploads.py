"""The one guarded path of every upload, pages and API alike.

A view or API operation that takes files declares it with :func:`upload`::

    @upload("sheet", allowed=may_upload_scores)
    def upload_scores(request, pk): ...

and :class:`UploadGuardMiddleware` (before the CSRF check, which would read the body)
then handles each POST to it in this order, before any byte of the body is read:

1. **permission**: ``allowed(request, user, url_kwargs)`` raises ``PermissionDenied``,
   ``Http404`` or ``ServiceError`` (the API's user is its bearer token's account), so a
   teacher's huge POST to an import endpoint costs a few queries, not its upload;
2. **size**: a declared ``Content-Length`` beyond the kind's limit
   (``settings.UPLOAD_LIMITS[kind]`` per file, times the files the view takes) is refused
   at once; then the body is parsed here, through an upload handler that counts each
   file's bytes as they stream in and stops at the limit (a body without a length, or
   lying about it, stops there too);
3. a malformed multipart body (no or a bad boundary, a broken part) is a 400 with a
   message, never a 500.

The view then finds ``request.FILES`` parsed. What it does with a file is the rest of
the path: spreadsheets are read only through ``core.tabular.read_table``, whose child
process (``core.sheetreader``) checks the declared and actual dimensions before any
dense read and runs under a memory and time cap.

A view that declares no upload takes no file: a file part sent to it is refused (so a
new upload endpoint cannot bypass the guard by forgetting to declare itself;
``tests/core/test_uploads.py`` also lists every API operation that takes a ``File``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .errors import ServiceError
from .scope import can, get_visible_or_404

#: Room for the form's other fields beside the files, in a declared Content-Length.
FORM_BYTES = 256 * 1024

Allowed = Callable[[HttpRequest, Any, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Guard:
    kind: str  # a key of settings.UPLOAD_LIMITS
    allowed: Allowed
    files: int = 1  # how many files one request may carry


def upload(kind: str, *, allowed: Allowed, files: int = 1):
    """Declare a page view or an API operation an upload of ``kind`` (``sheet``,
    ``attachment``, ``material`` …), checked by ``allowed(request, user, url_kwargs)``
    before its body is read. Put it under ``@router.post`` (API) or anywhere among a
    view's decorators (``functools.wraps`` carries it outward)."""
    if kind not in settings.UPLOAD_LIMITS:
        raise LookupError(f"unknown upload kind {kind!r}; see settings.UPLOAD_LIMITS")

    def decorate(fn):
        fn.upload_guard = Guard(kind, allowed, files)
        return fn

    return decorate


def limit(kind: str) -> int:
    """The most bytes one uploaded file of ``kind`` may have."""
    return int(settings.UPLOAD_LIMITS[kind])


def too_large_message(kind: str) -> str:
    size = limit(kind)
    if size >= 2**20:
        return _("The file is larger than %(mb)d MB.") % {"mb": size // 2**20}
    return _("The file is larger than %(kb)d KB.") % {"kb": max(1, size // 1024)}


#: Names a shared file may not have: pages and scripts a browser would run, and programs.
#: Files are always served as downloads (``core.pages.stored_file_response``); these are
#: refused before they are stored at all.
REFUSED_SUFFIXES = frozenset(
    {
        # pages and what a browser would run
        *("htm", "html", "shtml", "xhtml", "xht", "mht", "mhtml", "svg", "svgz", "xml"),
        *("xsl", "js", "mjs", "hta", "php", "asp", "aspx", "jsp"),
        # programs and scripts
        *("exe", "com", "bat", "cmd", "msi", "msp", "scr", "pif", "cpl", "dll", "sys"),
        *("vbs", "vbe", "jse", "wsf", "wsh", "ps1", "psm1", "sh", "bash", "jar", "apk"),
        *("app", "dmg", "deb", "rpm", "lnk", "reg"),
    }
)


def check_file(upload: Any, kind: str, *, field: str = "file") -> str:
    """Refuse a stored upload (a document shared, an attachment) that is too large for
    ``kind`` or whose name says it is a page, a script or a program (``ServiceError`` on
    ``field``); returns the file's clean name (no folders, at most 200 characters)."""
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise ServiceError(_("Choose a file."), field=field)
    if getattr(upload, "size", 0) > limit(kind):
        raise ServiceError(too_large_message(kind), field=field)
    suffixes = {p.lower() for p in name.split(".")[1:]}
    if suffixes & REFUSED_SUFFIXES:
        raise ServiceError(
            _("Web pages, scripts and programs cannot be shared: %(name)s.") % {"name": name},
            field=field,
        )
    return name[-200:]


def may_on(model: type, may: str | Callable[[Any, Any], bool], *, message: Any = None) -> Allowed:
    """An ``allowed`` for an upload into one object of ``model`` that the URL names (a
    page's ``pk``, an API path's ``<model>_id``), so a page and its API operation declare
    the same guard: the user sees the object (else 404) and ``may`` holds — an action for
    ``can``, or ``may(user, obj)`` — else ``PermissionDenied`` with ``message`` (lazy: it
    is shown in the request's language)."""
    key = f"{model._meta.model_name}_id"

    def allowed(request: HttpRequest, user, url_kwargs: Mapping[str, Any]) -> None:
        obj = get_visible_or_404(model, user, pk=url_kwargs.get("pk", url_kwargs.get(key)))
        if not (can(user, may, obj) if isinstance(may, str) else may(user, obj)):
            raise PermissionDenied(str(message or _("You do not have permission to do this here.")))

    return allowed


def may_import(user, kind: str, params: Mapping[str, Any] | None = None) -> None:
    """For ``allowed``: may ``user`` import ``kind`` (into the object ``params`` name)?
    :func:`core.imports.importable_kind`, before the file is read."""
    from .imports import importable_kind

    sheet_cls = importable_kind(user, kind)
    if params is not None:
        sheet_cls(actor=user, params=params)  # ServiceError / PermissionDenied


# --- the guard ---------------------------------------------------------------------------


class UploadRefused(RequestDataTooBig):
    """An upload stopped while it streamed in (too large, too many files, or a file sent
    where none is taken). A ``SuspiciousOperation``: outside the guard Django answers 400."""

    def __init__(self, message: str, status: int = 413) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class LimitedUpload(FileUploadHandler):
    """First of the upload handlers: counts each file's bytes as they arrive and stops
    the parse at the limit, before the next handlers store them."""

    def __init__(self, request: HttpRequest, guard: Guard | None) -> None:
        super().__init__(request)
        self.guard = guard
        self.count = 0
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.guard is None:
            raise UploadRefused(_("This address does not take files."), status=400)
        self.count += 1
        if self.count > self.guard.files:
            raise UploadRefused(
                _("Upload at most %(n)d files at once.") % {"n": self.guard.files}, status=400
            )
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.guard is not None and self.received > limit(self.guard.kind):
            raise UploadRefused(too_large_message(self.guard.kind))
        return raw_data  # on to the handler that stores it

    def file_complete(self, file_size: int) -> None:
        return None


def guard_for(view_func, request: HttpRequest) -> Guard | None:
    """The upload declared by the view (or by the API operation the request goes to)."""
    guard = getattr(view_func, "upload_guard", None)
    if guard is not None:
        return guard
    path_view = getattr(view_func, "__self__", None) or _ninja_path_view(view_func)
    for op in getattr(path_view, "operations", ()):
        if request.method in op.methods:
            return getattr(op.view_func, "upload_guard", None)
    return None


def _ninja_path_view(view_func):
    """django-ninja's view is a closure over its PathView (which lists the operations)."""
    for cell in getattr(view_func, "__closure__", None) or ():
        value = cell.cell_contents
        if hasattr(value, "operations"):
            return value
    return None


def malformed_multipart(request: HttpRequest) -> bool:
    """A multipart body Django's parser would refuse outright (no or a bad boundary, a
    bad length), judged from the headers alone."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if not content_type.lower().startswith("multipart/"):
        return False
    try:
        MultiPartParser(request.META, io.BytesIO(), [], "utf-8")
    except (MultiPartParserError, UnicodeError, ValueError):
        return True
    return False


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """The answer to a refused upload: JSON ``detail`` in the API, a page otherwise."""
    if _api(request):
        return JsonResponse({"detail": message}, status=status)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("home")
    context = {"message": message, "back": back}
    return render(request, "core/upload_refused.html", context, status=status)


def _user(request: HttpRequest):
    """Who sends the upload: the API's bearer token, else the session."""
    if _api(request):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            from jiaoyan.people.services import authenticate_token

            return authenticate_token(token.strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class UploadGuardMiddleware:
    """See the module's docstring. Must come before ``CsrfViewMiddleware`` (whose
    ``process_view`` reads the body) and after ``AuthenticationMiddleware``'s user is set
    (``process_view`` runs after every middleware's request phase)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        guard = guard_for(view_func, request)
        if malformed_multipart(request):
            return refusal(
                request,
                _(
                    "The request body is not valid multipart/form-data (no boundary); "
                    "send the file as a form upload."
                ),
                400,
            )
        # Every later parse of this body goes through the limit (or refuses files).
        request.upload_handlers.insert(0, LimitedUpload(request, guard))
        if guard is None:
            return None
        user = _user(request)
        if user is None:
            if _api(request):
                return JsonResponse(
                    {"detail": _("Authentication required: a valid bearer token or session.")},
                    status=401,
                )
            return redirect_to_login(request.get_full_path())
        try:
            guard.allowed(request, user, view_kwargs)
        except PermissionDenied as e:
            return refusal(request, str(e) or _("Permission denied."), 403)
        except Http404:
            return refusal(request, _("Not found."), 404)
        except ServiceError as e:
            return refusal(request, e.text, 400)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit(guard.kind) * guard.files + FORM_BYTES:
            return refusal(request, too_large_message(guard.kind), 413)
        try:
            request.POST  # noqa: B018 - parse now, through the limit
            request.FILES  # noqa: B018
        except UploadRefused as e:
            return refusal(request, e.message, e.status)
        except MultiPartParserError:
            return refusal(
                request, _("The upload was cut short or is damaged; send it again."), 400
            )
        return None

    def process_exception(self, request, exception):
        """A file sent where none is taken, or a broken body found by a view's own parse."""
        if isinstance(exception, UploadRefused):
            return refusal(request, exception.message, exception.status)
        if isinstance(exception, MultiPartParserError):
            return refusal(
                request, _("The upload was cut short or is damaged; send it again."), 400
            )
        return None
