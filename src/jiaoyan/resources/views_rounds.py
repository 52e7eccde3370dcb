"""Pages of the recommendation rounds (评优/推荐): the rounds list and a new round; a
round's page for its viewer's level (their units' quotas used and left, the runners'
quota and announce forms); its lists — candidates from my units, my recommendations,
what was recommended to me, the announced results — each exportable to .xlsx; and the
recommend, withdraw and announce buttons."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import Column, ListPage, creating, form_page, post_action, post_form
from jiaoyan.core.scope import can, get_visible_or_404, units_where

from . import rounds
from .forms_rounds import (
    CandidateFilter,
    EntryFilter,
    QuotaForm,
    RecommendForm,
    RoundFilter,
    RoundForm,
)
from .models import Kind, Recommendation, RecommendationRound

DENIED = _lazy("You do not have permission to do this here.")


def _round(request: HttpRequest, pk: int) -> RecommendationRound:
    return get_visible_or_404(
        RecommendationRound.objects.select_related("org_unit", "org_unit__parent"),
        request.user,
        pk=pk,
    )


def _kinds(r: RecommendationRound) -> str:
    return "、".join(str(Kind(k).label) for k in r.kinds if k in Kind.values)


PHASES = {
    "upcoming": _lazy("Not open yet"),
    "open": _lazy("Open for recommendations"),
    "closed": pgettext_lazy("round", "Closed"),
    "announced": _lazy("Results announced"),
}


# --- rounds ----------------------------------------------------------------------------------


class RoundList(ListPage):
    """The rounds run by the viewer's units or the units above them."""

    template = "resources/rounds/list.html"
    fragment = "resources/rounds/_round_table.html"
    filterset = RoundFilter
    sorts = [SortOption("opens", _lazy("Recommendations open on"), ("opens_on", "id"))]
    default_sort = "-opens"
    columns = [
        Column(pgettext_lazy("round", "Title"), "title", width=30),
        Column(_lazy("Running unit"), "org_unit.name", width=20),
        Column(_lazy("Kinds of resource"), _kinds, width=30),
        Column(_lazy("Recommendations open on"), "opens_on"),
        Column(_lazy("Recommendations close on"), "closes_on"),
        Column(_lazy("Status"), lambda r: str(PHASES[r.phase()]), width=12),
    ]
    export_name = _lazy("Recommendation rounds")

    def get_queryset(self):
        return rounds.rounds(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit")

    def get_context(self):
        for r in self.page.object_list:
            r.phase_label = PHASES[r.phase()]
        may_add = units_where(self.user, "add", RecommendationRound).exists()
        return {"may_add": may_add, "tab": "rounds"}


round_list = RoundList.as_view()


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", RecommendationRound).exists():
        raise PermissionDenied(DENIED)
    form = RoundForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        creating(rounds.create_round, request.user),
        template="resources/rounds/form.html",
        success=pgettext("recommendation round", "The round was created."),
    )


def _viewer(request: HttpRequest, r: RecommendationRound) -> dict:
    """What the round's pages show of the viewer: their units in it, their quotas."""
    units = rounds.round_units(request.user, r)
    first = r.levels[0]
    return {
        "round": r,
        "phase": r.phase(),
        "phase_label": PHASES[r.phase()],
        "kinds_label": _kinds(r),
        "units": units,
        "quotas": rounds.quota_rows(r, units),
        "recommends": any(u.level == first for u in units),
        "selects": any(u.level != first for u in units),
        "may_run": can(request.user, "change", r),
        "open": r.phase() == "open",
    }


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    ctx = _viewer(request, r)
    ctx["tab"] = "round"
    ctx["quota_form"] = QuotaForm(user=request.user) if ctx["may_run"] else None
    ctx["history"] = audit.entries(r) if ctx["may_run"] else []
    ctx["levels"] = [
        (level, {"school": r.school_quota, "county": r.county_quota}.get(level, r.city_quota))
        for level in r.levels
    ]
    return render(request, "resources/rounds/detail.html", ctx)


# --- a round's lists -------------------------------------------------------------------------


class _RoundList(ListPage):
    template = "resources/rounds/entries.html"

    def setup_round(self):
        if not hasattr(self, "round"):
            self.round = _round(self.request, self.kwargs["pk"])
            self.units = rounds.round_units(self.user, self.round)
        return self.round

    def get_context(self):
        ctx = _viewer(self.request, self.setup_round())
        ctx["tab"] = self.tab
        ctx["title"] = self.title
        return ctx


ENTRY_COLUMNS = [
    Column(_lazy("Resource"), "resource.title", width=30),
    Column(_lazy("Kind"), "resource.get_kind_display", width=12),
    Column(_lazy("Unit of the resource"), "resource.org_unit.name", width=24),
    Column(_lazy("Authors"), lambda e: "、".join(p.name for p in e.resource.authors.all()), 20),
    Column(_lazy("Level"), "get_level_display", width=12),
    Column(_lazy("Recommended by"), "org_unit.name", width=20),
    Column(_lazy("Recommended to"), "to_unit.name", width=20),
    Column(_lazy("Recommended at"), "recommended_at"),
    Column(_lazy("Note"), "note", width=24),
]


class _EntryList(_RoundList):
    fragment = "resources/rounds/_entry_table.html"
    filterset = EntryFilter
    sorts = [SortOption("recommended", _lazy("Recommended at"), ("recommended_at", "id"))]
    default_sort = "-recommended"
    columns = ENTRY_COLUMNS

    def list_queryset(self, qs):
        return qs.select_related(
            "resource", "resource__org_unit", "org_unit", "to_unit"
        ).prefetch_related("resource__authors")


class RoundSent(_EntryList):
    """My units' recommendations in the round (in force), to withdraw while it is open."""

    tab = "sent"
    title = _lazy("My recommendations")
    export_name = _lazy("My recommendations")

    def get_queryset(self):
        r = self.setup_round()
        return rounds.sent(self.user, r, self.units)


round_sent = RoundSent.as_view()


class RoundReceived(_EntryList):
    """What was recommended to my units in the round, to select one level up."""

    tab = "received"
    title = _lazy("Recommended to me")
    export_name = _lazy("Recommended to me")

    def get_queryset(self):
        r = self.setup_round()
        return rounds.received(self.user, r, self.units)

    def list_queryset(self, qs):
        chosen = Recommendation.objects.filter(source=OuterRef("pk"), withdrawn_at__isnull=True)
        return super().list_queryset(qs).annotate(selected=Exists(chosen))


round_received = RoundReceived.as_view()


class RoundResults(_EntryList):
    """The announced honours of the round that the viewer sees."""

    tab = "results"
    title = _lazy("Results")
    export_name = _lazy("Results of the round")

    def get_queryset(self):
        r = self.setup_round()
        return rounds.entries(self.user).filter(round=r, honoured=True)


round_results = RoundResults.as_view()


class RoundCandidates(_RoundList):
    """The published resources of my schools that the round takes and that are not
    recommended yet."""

    tab = "candidates"
    title = _lazy("Candidates from my units")
    fragment = "resources/rounds/_candidate_table.html"
    filterset = CandidateFilter
    sorts = [SortOption("published", _lazy("Published at"), ("published_at", "id"))]
    default_sort = "-published"
    columns = [
        Column(pgettext_lazy("resource", "Title"), "title", width=30),
        Column(_lazy("Kind"), "get_kind_display", width=12),
        Column(_lazy("Unit"), "org_unit.name", width=24),
        Column(_lazy("Subject"), "subject.name", width=10),
        Column(_lazy("Chapter"), "curriculum_node.name", width=20),
        Column(_lazy("Authors"), lambda r: "、".join(p.name for p in r.authors.all()), 20),
        Column(_lazy("Published at"), "published_at"),
    ]
    export_name = _lazy("Candidates")

    def get_queryset(self):
        r = self.setup_round()
        return rounds.candidates(self.user, r, self.units)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "subject", "curriculum_node").prefetch_related(
            "authors"
        )


round_candidates = RoundCandidates.as_view()


# --- buttons ---------------------------------------------------------------------------------


@login_required
@require_POST
def recommend(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    back = request.POST.get("back") == "received"
    target = reverse(
        "resources:round_received" if back else "resources:round_candidates", args=[r.pk]
    )
    return post_form(
        request,
        RecommendForm(request.POST, user=request.user),
        creating(rounds.recommend, request.user, round=r),
        success=lambda e: (
            _("“%(title)s” was recommended to %(unit)s.")
            % {"title": e.resource.title, "unit": e.to_unit.name if e.to_unit else e.org_unit.name}
        ),
        redirect_to=target,
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_visible_or_404(
        Recommendation.objects.select_related("round", "resource"), request.user, pk=pk
    )
    return post_action(
        request,
        lambda: rounds.withdraw(actor=request.user, recommendation=entry),
        success=_("The recommendation was withdrawn."),
        redirect_to=reverse("resources:round_sent", args=[entry.round_id]),
    )


@login_required
@require_POST
def announce(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    return post_action(
        request,
        lambda: rounds.announce(actor=request.user, round=r),
        success=_("The results are announced and the authors told."),
        redirect_to=reverse("resources:round_results", args=[r.pk]),
    )


@login_required
@require_POST
def set_quota(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    if not can(request.user, "change", r):
        raise PermissionDenied(DENIED)
    return post_form(
        request,
        QuotaForm(request.POST, user=request.user),
        creating(rounds.set_unit_quota, request.user, round=r),
        success=_("The quota was set."),
        redirect_to=r,
    )
