"""Pages of using the library: the use panel on a resource's page (favourite, rating,
comments, "I used this in my lesson", the figures), its small forms, "my favourites",
and the authors' figures on the home page."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import home
from jiaoyan.core.forms import FilterForm
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import Column, ListPage, post_action, post_form_view
from jiaoyan.core.scope import can, get_visible_or_404
from jiaoyan.observations.terms import term_of

from . import queries, use
from .forms_use import CommentForm, RatingForm, UseForm
from .models import (
    Application,
    Comment,
    Favourite,
    HitKind,
    Kind,
    Rating,
    Resource,
    ResourceTermStats,
    Status,
    _is_author,
)

COMMENTS_SHOWN = 50
APPLICATIONS_SHOWN = 50


def _resource(request: HttpRequest, pk: int) -> Resource:
    return get_visible_or_404(Resource, request.user, pk=pk)


# --- on the resource's page ------------------------------------------------------------------


def detail_context(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    """What the use panel of a resource's page shows — and the view counted (one
    INSERT, at most once a day per viewer: ``use.count_hit``)."""
    if resource.status != Status.PUBLISHED:
        return {"use": None}
    user = request.user
    use.count_hit(user, resource, HitKind.VIEW)
    author = _is_author(user, resource)
    comments = list(
        Comment.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("resource__org_unit")[:COMMENTS_SHOWN]
    )
    for c in comments:
        c.may_delete = can(user, "delete", c)
    sees_uses = author or can(user, "manage", resource)
    return {
        "use": {
            "favourite": Favourite.objects.visible_to(user)
            .filter(resource=resource, user=user)
            .first(),
            "rating": Rating.objects.visible_to(user).filter(resource=resource, user=user).first(),
            "may_rate": not author,
            "comments": comments,
            "applications": (
                list(
                    Application.objects.visible_to(user).filter(resource=resource)[
                        :APPLICATIONS_SHOWN
                    ]
                )
                if sees_uses
                else None
            ),
            "my_uses": list(
                Application.objects.visible_to(user)
                .filter(resource=resource, user=user)
                .order_by("-day")[:5]
            ),
            "rating_form": RatingForm(),
            "comment_form": CommentForm(),
            "use_form": UseForm(initial={"day": timezone.localdate()}),
        }
    }


def count_download(request: HttpRequest, resource: Resource) -> None:
    use.count_hit(request.user, resource, HitKind.DOWNLOAD)


# --- the small forms -------------------------------------------------------------------------


@login_required
@require_POST
def favourite(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    return post_action(
        request,
        lambda: use.add_favourite(actor=request.user, resource=r),
        success=_("Added to your favourites."),
        redirect_to=r,
        denied_as_message=True,
    )


@login_required
@require_POST
def unfavourite(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Favourite.objects.select_related("resource"), request.user, pk=pk)
    back = request.POST.get("back") == "favourites"
    return post_action(
        request,
        lambda: use.remove_favourite(actor=request.user, favourite=row),
        success=_("Removed from your favourites."),
        redirect_to="resources:favourites" if back else row.resource,
    )


rate = post_form_view(
    _resource, "resource", RatingForm, use.rate, _lazy("Your rating was recorded.")
)


@login_required
@require_POST
def unrate(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Rating.objects.select_related("resource"), request.user, pk=pk)
    return post_action(
        request,
        lambda: use.remove_rating(actor=request.user, rating=row),
        success=_("Your rating was withdrawn."),
        redirect_to=row.resource,
    )


comment = post_form_view(
    _resource, "resource", CommentForm, use.add_comment, _lazy("Your comment was added.")
)


@login_required
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Comment.objects.select_related("resource"), request.user, pk=pk)
    return post_action(
        request,
        lambda: use.delete_comment(actor=request.user, comment=row),
        success=_("The comment was removed."),
        redirect_to=row.resource,
    )


record_use = post_form_view(
    _resource,
    "resource",
    UseForm,
    use.record_use,
    _lazy("Recorded: you used this resource in your lesson."),
)


@login_required
@require_POST
def use_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Application.objects.select_related("resource"), request.user, pk=pk)
    return post_action(
        request,
        lambda: use.delete_use(actor=request.user, application=row),
        success=_("Your record of using the resource was withdrawn."),
        redirect_to=row.resource,
    )


# --- my favourites ---------------------------------------------------------------------------


class FavouriteFilter(df.FilterSet):
    kind = df.ChoiceFilter(
        label=_lazy("Kind"),
        field_name="resource__kind",
        choices=Kind.choices,
        empty_label=_lazy("All kinds"),
    )

    class Meta:
        model = Favourite
        fields: list[str] = []
        form = FilterForm


class Favourites(ListPage):
    """The resources the viewer keeps in their favourites, newest first."""

    template = "resources/use/favourites.html"
    fragment = "resources/use/_favourite_table.html"
    filterset = FavouriteFilter
    sorts = [SortOption("added", _lazy("Added at"), ("created_at", "id"))]
    default_sort = "-added"
    columns = [
        Column(_lazy("Resource"), "resource.title", width=30),
        Column(_lazy("Kind"), "resource.get_kind_display", width=12),
        Column(_lazy("Unit"), "resource.org_unit.name", width=24),
        Column(_lazy("Subject"), "resource.subject.name", width=10),
        Column(_lazy("Added at"), "created_at"),
    ]
    export_name = _lazy("My favourites")

    def get_queryset(self):
        return Favourite.objects.visible_to(self.user).filter(user=self.user)

    def list_queryset(self, qs):
        return qs.select_related(
            "resource", "resource__org_unit", "resource__subject", "resource__stage"
        )

    def get_context(self):
        return {"tab": "favourites"}


favourites = Favourites.as_view()


# --- the authors' figures on the home page ----------------------------------------------------


def home_panel(request: HttpRequest) -> dict[str, Any] | None:
    """ "Your resources were viewed 1,234 times this term, used 56 times": the term's
    figures of the resources the viewer wrote (read from the aggregated term table, which
    the hits job refreshes every few minutes: kept for the viewer like a region's
    figures, ``home.memo``)."""
    if getattr(request.user, "person", None) is None:
        return None
    term = term_of(timezone.localdate())

    def compute() -> dict[str, int]:
        figures = (
            ResourceTermStats.objects.visible_to(request.user)
            .filter(term=term.start, resource_id__in=queries.mine(request.user).values("pk"))
            .aggregate(views=Sum("views"), downloads=Sum("downloads"), uses=Sum("uses"))
        )
        return {k: v or 0 for k, v in figures.items()}

    figures = home.memo(request, f"resources-figures-{term.code}", compute, keep=True)
    if not any(figures.values()):
        return None
    return {"term": term, **figures}
