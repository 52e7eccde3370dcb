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
import re
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


# --- what a stored file is: by its content, never by its name ------------------------------

#: The categories a sniffed file falls into (what a library of teaching resources takes).
DOCUMENT, SLIDES, SPREADSHEET, IMAGE, AUDIO, VIDEO = (
    "document",
    "slides",
    "spreadsheet",
    "image",
    "audio",
    "video",
)


@dataclass(frozen=True)
class Sniffed:
    """What a file's bytes say it is: its category, the content type it is served with
    and the extension its stored name gets."""

    category: str
    content_type: str
    ext: str


_OOXML = (
    (
        "word/document.xml",
        Sniffed(
            DOCUMENT,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
    ),
    (
        "ppt/presentation.xml",
        Sniffed(
            SLIDES,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
    ),
    (
        "xl/workbook.xml",
        Sniffed(
            SPREADSHEET, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
        ),
    ),
)
_ODF = {
    "application/vnd.oasis.opendocument.text": Sniffed(
        DOCUMENT, "application/vnd.oasis.opendocument.text", "odt"
    ),
    "application/vnd.oasis.opendocument.presentation": Sniffed(
        SLIDES, "application/vnd.oasis.opendocument.presentation", "odp"
    ),
    "application/vnd.oasis.opendocument.spreadsheet": Sniffed(
        SPREADSHEET, "application/vnd.oasis.opendocument.spreadsheet", "ods"
    ),
}
_OLE = {
    "doc": Sniffed(DOCUMENT, "application/msword", "doc"),
    "ppt": Sniffed(SLIDES, "application/vnd.ms-powerpoint", "ppt"),
    "pps": Sniffed(SLIDES, "application/vnd.ms-powerpoint", "ppt"),
    "xls": Sniffed(SPREADSHEET, "application/vnd.ms-excel", "xls"),
    "wps": Sniffed(DOCUMENT, "application/msword", "doc"),
    "dps": Sniffed(SLIDES, "application/vnd.ms-powerpoint", "ppt"),
    "et": Sniffed(SPREADSHEET, "application/vnd.ms-excel", "xls"),
}
# ISO base media brands (bytes 8–12 after "ftyp"): audio-only ones, the rest are video.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QUICKTIME = {b"qt  "}
# What a browser would run, and programs: refused whatever the name says.
_ACTIVE_STARTS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
    b"dex\n",
)
_MARKUP = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<iframe",
    b"<!--",
    b"<meta",
    b"<a ",
    b"<img",
    b"<div",
    b"<style",
    b"<object",
)


def _head(upload: Any) -> bytes:
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    return head


def _runs(head: bytes) -> bool:
    """Do a file's first bytes say it is a page, a script or a program?"""
    if head.startswith(_ACTIVE_STARTS):
        return True
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00").lower()
    return probe.startswith(_MARKUP) or b"<script" in head.lower() or b"<svg" in head.lower()


class RefusedContent(ServiceError):
    """A file whose content is a page, a script or a program, or of no type taken."""


def _zip_kind(upload: Any) -> Sniffed | None:
    import zipfile

    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return None  # macros: a program inside a document
            for marker, kind in _OOXML:
                if marker in names:
                    return kind
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype")[:100].decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return None
    finally:
        upload.seek(0)
    return None


def sniff(upload: Any, name: str = "") -> Sniffed | None:
    """What ``upload``'s bytes are (None: a page, a script, a program, an archive, or
    anything else the content does not tell). The name is read only to tell apart the
    legacy Office formats, which share one container; it never makes a file what its
    content is not."""
    head = _head(upload)
    if not head or _runs(head):
        return None
    if head.startswith(b"%PDF-"):
        return Sniffed(DOCUMENT, "application/pdf", "pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(IMAGE, "image/png", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(IMAGE, "image/jpeg", "jpg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed(IMAGE, "image/gif", "gif")
    if head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\x00\x00\x00\x00":
        return Sniffed(IMAGE, "image/bmp", "bmp")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed(IMAGE, "image/webp", "webp")
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return Sniffed(AUDIO, "audio/wav", "wav")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Sniffed(VIDEO, "video/x-msvideo", "avi")
    if head.startswith(b"ID3") or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06
    ):
        return Sniffed(AUDIO, "audio/mpeg", "mp3")
    if head.startswith(b"fLaC"):
        return Sniffed(AUDIO, "audio/flac", "flac")
    if head.startswith(b"OggS"):
        return Sniffed(AUDIO, "audio/ogg", "ogg")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return Sniffed(AUDIO, "audio/mp4", "m4a")
        if brand in _QUICKTIME:
            return Sniffed(VIDEO, "video/quicktime", "mov")
        return Sniffed(VIDEO, "video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return Sniffed(VIDEO, "video/webm", "webm")
        return Sniffed(VIDEO, "video/x-matroska", "mkv")
    if head.startswith(b"FLV\x01"):
        return Sniffed(VIDEO, "video/x-flv", "flv")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return _OLE.get(ext, _OLE["doc"])
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    return None


#: What a stored file is served as when its content is not one :func:`sniff` tells.
OCTET_STREAM = "application/octet-stream"
#: The types :func:`sniff` tells a content as: the only ones a stored file is served with.
SNIFFED_TYPES = frozenset(
    {
        *(s.content_type for _, s in _OOXML),
        *(s.content_type for s in _ODF.values()),
        *(s.content_type for s in _OLE.values()),
        *("application/pdf", "image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"),
        *("audio/wav", "audio/mpeg", "audio/flac", "audio/ogg", "audio/mp4"),
        *("video/x-msvideo", "video/quicktime", "video/mp4", "video/webm", "video/x-matroska"),
        "video/x-flv",
    }
)


def served_type(handle: Any, name: str, declared: str | None = None) -> str:
    """The content type a stored file (``handle``, open for reading) is served with: the
    type its content was sniffed as when it was stored (``declared``), or — for a file
    stored without one — what its bytes are now (:func:`sniff`). A page, a script, a
    program (whatever its name or declared type says) or anything else is served as
    :data:`OCTET_STREAM`, so no browser renders or runs it."""
    if declared:
        head = _head(handle)
        return declared if declared in SNIFFED_TYPES and not _runs(head) else OCTET_STREAM
    found = sniff(handle, name)
    return found.content_type if found is not None else OCTET_STREAM


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;%&$`\'\u202a-\u202e\u2066-\u2069]+')


def clean_name(name: str, ext: str, *, limit: int = 120) -> str:
    """A stored file's name: no folders, no control or shell characters, no bidirectional
    overrides, whitespace collapsed, at most ``limit`` characters, and ending in ``ext``
    (the extension its content has, whatever the name said)."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.split(".", 1)[0] if not base.startswith(".") else base.lstrip(".").split(".", 1)[0]
    stem = " ".join(_UNSAFE_NAME.sub(" ", stem).split()).strip(" .-") or "file"
    return f"{stem[: max(1, limit - len(ext) - 1)]}.{ext}"


def check_typed_file(
    upload: Any,
    kind: str,
    *,
    categories: Mapping[str, int],
    field: str = "file",
) -> tuple[str, Sniffed]:
    """Refuse a stored upload unless its content (sniffed, :func:`sniff`) is one of
    ``categories`` (category → most bytes it may have) and it fits ``kind``'s limit; a
    page, a script or a program is refused whatever its name. Returns the sanitised name
    (with the content's extension) and what the file is."""
    if upload is None:
        raise ServiceError(_("Choose a file."), field=field)
    raw = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    if size > limit(kind):
        raise ServiceError(too_large_message(kind), field=field)
    if size == 0:
        raise ServiceError(_("The file is empty."), field=field)
    found = sniff(upload, raw)
    if found is None:
        head = raw.replace("\\", "/").rsplit("/", 1)[-1][:100]
        raise RefusedContent(
            _(
                "%(name)s is not a document, slides, spreadsheet, image, audio or video "
                "file (by its content); web pages, scripts, programs and archives are not "
                "taken."
            )
            % {"name": head or "?"},
            field=field,
        )
    if found.category not in categories:
        raise RefusedContent(
            _("This kind of file is not taken here: %(type)s.") % {"type": found.content_type},
            field=field,
        )
    most = int(categories[found.category])
    if size > most:
        if most >= 2**20:
            text = _("The file is larger than %(mb)d MB.") % {"mb": most // 2**20}
        else:
            text = _("The file is larger than %(kb)d KB.") % {"kb": max(1, most // 1024)}
        raise ServiceError(text, field=field)
    return clean_name(raw, found.ext), found


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
