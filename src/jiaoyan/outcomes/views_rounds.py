"""Pages of the outcomes' selection rounds (成果遴选): the rounds list and a new round; a
round's page for its viewer's level (quotas used and left, candidates to recommend, the
results per level once announced); its selection table (what was sent to the viewer's
units, best score first, exportable) with the recommend-on, expert and withdraw buttons;
an expert's scores; the announce button."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import Column, ListPage, creating, form_page, post_action, post_form
from jiaoyan.core.scope import can, get_visible_or_404, units_where

from . import rounds
from .forms import ExpertForm, RecommendForm, RoundFilter, RoundForm, ScoreForm
from .models import Entry, ExpertScore, Kind, SelectionRound

DENIED = _lazy("You do not have permission to do this here.")
PHASES = {
    "upcoming": _lazy("Not open yet"),
    "open": _lazy("Open for recommendations"),
    "closed": pgettext_lazy("round", "Closed"),
    "announced": _lazy("Results announced"),
}


def _round(request: HttpRequest, pk: int) -> SelectionRound:
    return get_visible_or_404(
        SelectionRound.objects.select_related("org_unit", "org_unit__parent"),
        request.user,
        pk=pk,
    )


def _kinds(r: SelectionRound) -> str:
    return "、".join(str(Kind(k).label) for k in r.kinds if k in Kind.values)


class RoundList(ListPage):
    """The selection rounds run by the viewer's units or the units above them."""

    template = "outcomes/rounds/list.html"
    fragment = "outcomes/rounds/_round_table.html"
    filterset = RoundFilter
    sorts = [SortOption("opens", _lazy("Recommendations open on"), ("opens_on", "id"))]
    default_sort = "-opens"
    columns = [
        Column(pgettext_lazy("round", "Title"), "title", width=30),
        Column(_lazy("Year"), "year"),
        Column(_lazy("Running unit"), "org_unit.name", width=20),
        Column(_lazy("Kinds of outcome"), _kinds, width=30),
        Column(_lazy("Recommendations open on"), "opens_on"),
        Column(_lazy("Recommendations close on"), "closes_on"),
        Column(_lazy("Status"), lambda r: str(PHASES[r.phase()]), width=12),
    ]
    export_name = _lazy("Selection rounds")

    def get_queryset(self):
        return rounds.rounds(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit")

    def get_context(self):
        for r in self.page.object_list:
            r.phase_label = PHASES[r.phase()]
        return {"may_add": units_where(self.user, "add", SelectionRound).exists()}


round_list = RoundList.as_view()


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", SelectionRound).exists():
        raise PermissionDenied(DENIED)
    form = RoundForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        creating(rounds.create_round, request.user),
        template="outcomes/rounds/form.html",
        success=_("The selection round was created."),
    )


def _viewer(request: HttpRequest, r: SelectionRound) -> dict:
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
        "may_run": can(request.user, "change", r),
        "open": r.phase() == "open",
        "levels": [(level, r.level_quota(level)) for level in r.levels],
    }


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    ctx = _viewer(request, r)
    if ctx["recommends"] and ctx["open"]:
        candidates = rounds.candidates(request.user, r, ctx["units"])
        ctx["candidates"] = list(candidates.select_related("org_unit").order_by("-id")[:30])
        ctx["recommend_form"] = RecommendForm(user=request.user, outcomes=candidates)
    ctx["results"] = rounds.results(request.user, r)
    ctx["history"] = audit.entries(r) if ctx["may_run"] else []
    return render(request, "outcomes/rounds/detail.html", ctx)


class SelectionTable(ListPage):
    """A level's selection table: the entries sent to the viewer's units in the round,
    best expert score first; each shows whether their unit chose it."""

    template = "outcomes/rounds/table.html"
    fragment = "outcomes/rounds/_entry_table.html"
    columns = [
        Column(pgettext_lazy("outcome", "Title"), "outcome.title", width=40),
        Column(_lazy("Kind"), "outcome.get_kind_display", width=12),
        Column(_lazy("Submitting unit"), "outcome.org_unit.name", width=24),
        Column(_lazy("Recommended by"), "org_unit.name", width=20),
        Column(_lazy("Expert score"), "score"),
        Column(_lazy("Experts"), "experts"),
        Column(_lazy("Chosen"), lambda e: _("yes") if e.chosen else ""),
    ]
    export_name = _lazy("Selection table")

    def get_queryset(self):
        self.round = _round(self.request, self.kwargs["pk"])
        return rounds.selection_table(self.user, self.round)

    def get_context(self):
        ctx = _viewer(self.request, self.round)
        ctx["top"] = self.round.region
        ctx["expert_form"] = ExpertForm(user=self.user) if ctx["may_run"] else None
        return ctx


selection_table = SelectionTable.as_view()


@login_required
@require_POST
def recommend(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    units = rounds.round_units(request.user, r)
    form = RecommendForm(
        request.POST, user=request.user, outcomes=rounds.candidates(request.user, r, units)
    )
    return post_form(
        request,
        form,
        creating(rounds.recommend, request.user, round=r),
        success=_("The outcome was recommended."),
        redirect_to=r,
    )


@login_required
@require_POST
def recommend_on(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an entry received by the viewer's unit one level up (or select it at the
    top)."""
    entry = get_visible_or_404(
        Entry.objects.select_related("round", "outcome"), request.user, pk=pk
    )
    return post_action(
        request,
        lambda: rounds.recommend(
            actor=request.user, round=entry.round, outcome=entry.outcome, unit=entry.to_unit
        ),
        success=_("The outcome was recommended."),
        redirect_to=lambda _r: f"{entry.round.get_absolute_url()}table/",
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_visible_or_404(Entry.objects.select_related("round"), request.user, pk=pk)
    return post_action(
        request,
        lambda: rounds.withdraw(actor=request.user, entry=entry),
        success=_("The recommendation was withdrawn."),
        redirect_to=entry.round,
    )


@login_required
@require_POST
def assign_expert(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_visible_or_404(Entry.objects.select_related("round"), request.user, pk=pk)
    return post_form(
        request,
        ExpertForm(request.POST, user=request.user),
        creating(rounds.assign_expert, request.user, entry=entry),
        success=_("The expert was assigned."),
        redirect_to=f"{entry.round.get_absolute_url()}table/",
    )


@login_required
@require_POST
def announce(request: HttpRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    return post_action(
        request,
        lambda: rounds.announce(actor=request.user, round=r),
        success=_("The results were announced."),
        redirect_to=r,
    )


class MyScores(ListPage):
    """The entries the viewer scores as an expert, with the score form of each."""

    template = "outcomes/rounds/scores.html"
    fragment = "outcomes/rounds/_score_table.html"
    columns = [
        Column(pgettext_lazy("outcome", "Title"), "entry.outcome.title", width=40),
        Column(_lazy("Selection round"), "entry.round.title", width=24),
        Column(_lazy("Score"), "score"),
        Column(_lazy("Comment"), "comment", width=40),
    ]
    export_name = _lazy("My expert scores")

    def get_queryset(self):
        return rounds.my_scores(self.user).order_by("-assigned_at", "-id")

    def get_context(self):
        return {"score_form": ScoreForm()}


my_scores = MyScores.as_view()


@login_required
@require_POST
def score(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(ExpertScore.objects.all(), request.user, pk=pk)
    return post_form(
        request,
        ScoreForm(request.POST),
        creating(rounds.score, request.user, expert_score=row),
        success=_("The score was saved."),
        redirect_to="outcomes:my_scores",
    )
