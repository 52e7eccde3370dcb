"""The public 云课堂 page (no login), for teachers, students and parents: the published
resources their units made public, with the library's search and filters, a resource's
public page with the previews of its files, and its downloads.

Every read starts from ``visible_to(request.user)``: for a visitor without an account it
holds only the public rows (``Resource``'s and ``ResourceFile``'s ``public`` scope); a
logged-in user reads here the same public rows only (``public_q``), so the page never
shows what a unit kept internal, a draft, a review or its comments, an author's other
data, or a figure counting internal resources. Anything else is a 404, whether it
exists or not. Each address is counted against a per-minute limit (``core.ratelimit``).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import ratelimit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.middleware import client_ip
from jiaoyan.core.pages import ListPage, stored_row_response
from jiaoyan.core.scope import get_visible_or_404

from . import previews, use, views_previews
from .filters import ResourceFilter
from .models import HitKind, Resource, ResourceFile, Status, Visibility


def public_q() -> Q:
    return Q(status=Status.PUBLISHED, visibility=Visibility.PUBLIC)


def public_resources(user) -> QuerySet[Resource]:
    """The public resources, read from ``visible_to(user)`` (a visitor sees only these)."""
    return Resource.objects.visible_to(user).filter(public_q())


def public_files(user) -> QuerySet[ResourceFile]:
    return (
        ResourceFile.objects.visible_to(user)
        .filter(resource__status=Status.PUBLISHED, resource__visibility=Visibility.PUBLIC)
        .select_related("resource")
    )


def within_limit(request: HttpRequest, what: str = "page") -> bool:
    """Count one request of the client's address: False once over the minute's limit
    (``RESOURCES_PUBLIC_PER_MINUTE`` pages, ``RESOURCES_PUBLIC_FILES_PER_MINUTE`` file
    requests — a video's seeks are many small requests)."""
    if what == "file":
        limit = int(getattr(settings, "RESOURCES_PUBLIC_FILES_PER_MINUTE", 600))
    else:
        limit = int(getattr(settings, "RESOURCES_PUBLIC_PER_MINUTE", 120))
    return ratelimit.hit(f"resources-public-{what}", client_ip(request) or "-", limit=limit)


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "resources/public/limited.html", status=429)


class PublicFilter(ResourceFilter):
    """The library's search and filters, without the status (everything here is
    published)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("status", None)


class PublicLibrary(ListPage):
    """云课堂: the public resources, searched and filtered like the library."""

    public = True
    template = "resources/public/library.html"
    fragment = "resources/public/_table.html"
    filterset = PublicFilter
    sorts = [SortOption("published", _lazy("Published at"), ("published_at", "id"))]
    default_sort = "-published"

    def get_queryset(self):
        return public_resources(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "stage", "subject").prefetch_related("authors")

    def dispatch(self) -> HttpResponse:
        if not within_limit(self.request):
            return too_many(self.request)
        return super().dispatch()


library = PublicLibrary.as_view()


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A public resource's page: what it is, its authors' names and its files' previews;
    counted as a view like the library's page (one INSERT)."""
    if not within_limit(request):
        return too_many(request)
    r = get_visible_or_404(
        public_resources(request.user).select_related(
            "org_unit", "stage", "subject", "curriculum_node"
        ),
        request.user,
        pk=pk,
    )
    files = list(public_files(request.user).filter(resource=r))
    use.count_hit(request.user, r, HitKind.VIEW)
    return render(
        request,
        "resources/public/detail.html",
        {
            "resource": r,
            "authors": [p.name for p in r.authors.all()],
            "previews": previews.previews_of(files),
            "preview_route": "resources:public_preview",
            "rendition_route": "resources:public_rendition",
            "download_route": "resources:public_file",
        },
    )


def _file(request: HttpRequest, pk: int) -> ResourceFile:
    return get_visible_or_404(public_files(request.user), request.user, pk=pk)


def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A public resource's file as a download (counted like the library's)."""
    if not within_limit(request, "file"):
        return too_many(request)
    row = _file(request, pk)
    use.count_hit(request.user, row.resource, HitKind.DOWNLOAD)
    return stored_row_response(request, row, content_type="content_type")


@views_previews.framed
def file_preview(request: HttpRequest, pk: int) -> HttpResponse:
    if not within_limit(request, "file"):
        return too_many(request)
    return views_previews.serve_file(request, _file(request, pk))


@views_previews.framed
def file_rendition(request: HttpRequest, pk: int) -> HttpResponse:
    if not within_limit(request, "file"):
        return too_many(request)
    return views_previews.serve_rendition(request, _file(request, pk))
