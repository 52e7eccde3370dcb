"""The previews of a resource's files (see ``previews.py``): the file itself, inline when
its sniffed type is one a browser only shows (a PDF, an image, audio, video — with byte
ranges, so a video seeks), and an office document's PDF rendition. The same scope as
the file's download: ``visible_to`` the viewer. They write nothing."""

from __future__ import annotations

from functools import wraps

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from jiaoyan.core.pages import file_download_view, stored_file_response, stored_row_response
from jiaoyan.core.scope import get_visible_or_404

from . import previews
from .models import ResourceFile


def framed(view):
    """A preview shown in a frame of our own pages (a PDF): this origin may frame it."""
    return wraps(view)(xframe_options_sameorigin(csp_replace({"frame-ancestors": [SELF]})(view)))


def visible_file(request: HttpRequest, pk: int) -> ResourceFile:
    return get_visible_or_404(ResourceFile.objects.select_related("resource"), request.user, pk=pk)


def serve_file(request: HttpRequest, row: ResourceFile) -> HttpResponse:
    """``row`` inline when its type may be shown, else as its download; ranges answered."""
    return stored_row_response(request, row, content_type="content_type", inline=True)


def serve_rendition(request: HttpRequest, row: ResourceFile) -> HttpResponse:
    """The PDF rendition of an office document; 404 until it is made."""
    if row.content_type not in previews.OFFICE_TYPES:
        raise Http404
    name = previews.rendition_name(row)
    if not row.file.storage.exists(name):
        raise Http404
    field = FieldFile(row, ResourceFile._meta.get_field("file"), name)
    stem = row.name.rsplit(".", 1)[0] or "file"
    return stored_file_response(
        field, f"{stem}.pdf", "application/pdf", request=request, inline=True
    )


file_preview = framed(
    file_download_view(
        ResourceFile.objects.select_related("resource"),
        content_type="content_type",
        inline=True,
        ranges=True,
    )
)


@login_required
@framed
def file_rendition(request: HttpRequest, pk: int) -> HttpResponse:
    return serve_rendition(request, visible_file(request, pk))
