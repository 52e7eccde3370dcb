"""Pages of outcomes (成果): the list (exportable), a new outcome and its edit, an
outcome's page (files, authors, honours, promotion records and adoptions with its reach
in a chart, history) and the small forms on it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, charts
from jiaoyan.core.imports import kinds_for
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    columns_response,
    creating,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
    wants_export,
)
from jiaoyan.core.resolve import resolve_many
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import may_on, upload
from jiaoyan.people.models import Person

from . import queries, rounds, services
from .forms import (
    AdoptionForm,
    FileForm,
    OutcomeEditForm,
    OutcomeFilter,
    OutcomeForm,
    OverviewFilter,
    PromotionForm,
)
from .models import Adoption, Outcome, OutcomeFile, Promotion
from .sheets import OutcomeSheet

DENIED = _lazy("You do not have permission to do this here.")


def _authors(user, text: str) -> list[Person]:
    """The authors typed as staff numbers (or ids), through the scoped resolver."""
    values = [v.strip() for v in (text or "").replace("，", ",").replace("、", ",").split(",")]
    return resolve_many(user, Person, [v for v in values if v], field="authors")


def _with_authors(service, user, **fixed):
    def perform(data, version=None):
        data = {k: v for k, v in data.items() if k != "version"}
        if data.get("authors"):
            data["authors"] = _authors(user, data["authors"])
        else:
            data.pop("authors", None)
        return service(actor=user, **fixed, **data)

    return perform


def _authors_text(o: Outcome) -> str:
    return "、".join(a.name for a in o.authors.all())


class OutcomeList(ListPage):
    """Every outcome the viewer sees: their units' and the units' below, and their own."""

    template = "outcomes/list.html"
    fragment = "outcomes/_outcome_table.html"
    filterset = OutcomeFilter
    sorts = [
        SortOption("created", pgettext_lazy("time", "Created"), ("created_at", "id")),
        SortOption("year", _lazy("Year"), ("year", "id")),
    ]
    default_sort = "-created"
    columns = [
        Column(pgettext_lazy("outcome", "Title"), "title", width=40),
        Column(_lazy("Kind"), "get_kind_display", width=12),
        Column(_lazy("Year"), "year"),
        Column(_lazy("Submitting unit"), "org_unit.name", width=24),
        Column(_lazy("Authors"), _authors_text, width=24),
        Column(_lazy("Community"), lambda o: o.community.name if o.community_id else "", width=20),
    ]
    export_name = _lazy("Outcomes")
    sheet = OutcomeSheet  # ?export=xlsx in the import template's columns: it re-imports

    def get_queryset(self):
        return queries.outcomes(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "community").prefetch_related("authors")

    def export_queryset(self, qs):
        return self.list_queryset(qs)

    def get_context(self):
        ids = [o.pk for o in self.page.object_list]
        honours = rounds.honours(self.user, ids)
        for o in self.page.object_list:
            o.honours = honours.get(o.pk, [])
        return {
            "may_add": units_where(self.user, "add", Outcome).exists(),
            "may_import": OutcomeSheet in kinds_for(self.user, standalone=True),
        }


outcome_list = OutcomeList.as_view()


def _outcome(request: HttpRequest, pk: int) -> Outcome:
    return get_visible_or_404(
        Outcome.objects.select_related("org_unit", "community", "project"), request.user, pk=pk
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", Outcome).exists():
        raise PermissionDenied(DENIED)
    form = OutcomeForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        _with_authors(services.create_outcome, request.user),
        template="outcomes/form.html",
        success=_("The outcome was saved. Attach its files."),
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    if not can(request.user, "change", o):
        raise PermissionDenied(DENIED)
    initial = editing(
        o,
        ("kind", "title", "summary", "year"),
        community=o.community_id,
        project=o.project_id,
        authors=", ".join(p.staff_no for p in o.authors.all()),
    )
    form = OutcomeEditForm(request.POST or None, initial=initial, user=request.user)

    def save(data, version):
        data = dict(data)
        data["authors"] = _authors(request.user, data.get("authors") or "")
        return services.update_outcome(
            actor=request.user, outcome=o, data=data, expected_version=version
        )

    return edit_page(
        request,
        form,
        save,
        template="outcomes/form.html",
        success=_("The outcome was saved."),
        redirect_to=o,
        context={"outcome": o},
    )


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    return post_action(
        request,
        lambda: services.delete_outcome(actor=request.user, outcome=o),
        success=_("The outcome was deleted."),
        redirect_to=lambda result: reverse("outcomes:list") if result is None else o,
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    user = request.user
    reach = queries.reach(user, o)
    ctx = {
        "outcome": o,
        "authors": list(o.authors.all()),
        "files": list(o.files.all()),
        "honours": rounds.honours(user, [o.pk]).get(o.pk, []),
        "promotions": reach["promotions"],
        "adoptions": reach["adoptions"],
        "reach": reach,
        "chart": reach["chart"],
        "may_change": can(user, "change", o),
        "may_promote": can(user, "add", Promotion(outcome=o, org_unit=o.org_unit)),
        "file_form": FileForm(),
        "history": audit.entries(o),
        # the project it came from, named only to those who may see the project
        "project_visible": queries.project_visible(user, o),
    }
    if ctx["may_promote"]:
        ctx["promotion_form"] = PromotionForm(user=user)
    adopt = AdoptionForm(user=user)
    if adopt.fields["org_unit"].queryset.exclude(pk=o.org_unit_id).exists():
        ctx["adoption_form"] = adopt
    return render(request, "outcomes/detail.html", ctx)


may_attach = may_on(
    Outcome,
    services.may_attach,
    message=_lazy("Only the authors and the unit's managers add files."),
)


@login_required
@require_POST
@upload("outcome", allowed=may_attach)
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    return post_form(
        request,
        FileForm(request.POST, request.FILES),
        creating(services.attach_file, request.user, outcome=o),
        success=_("The file was added."),
        redirect_to=o,
    )


file_download = file_download_view(
    OutcomeFile.objects.select_related("outcome"), content_type="content_type"
)


@login_required
@require_POST
def file_remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(OutcomeFile.objects.select_related("outcome"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.remove_file(actor=request.user, file=row),
        success=_("The file was removed."),
        redirect_to=row.outcome,
    )


@login_required
@require_POST
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    return post_form(
        request,
        PromotionForm(request.POST, user=request.user),
        creating(services.record_promotion, request.user, outcome=o),
        success=_("The promotion record was added."),
        redirect_to=o,
    )


@login_required
@require_POST
def promotion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Promotion.objects.select_related("outcome"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_promotion(actor=request.user, promotion=row),
        success=_("The promotion record was removed."),
        redirect_to=row.outcome,
    )


@login_required
@require_POST
def adopt(request: HttpRequest, pk: int) -> HttpResponse:
    o = _outcome(request, pk)
    return post_form(
        request,
        AdoptionForm(request.POST, user=request.user),
        creating(services.record_adoption, request.user, outcome=o),
        success=_("The adoption was recorded."),
        redirect_to=o,
    )


@login_required
@require_POST
def adoption_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(Adoption.objects.select_related("outcome"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_adoption(actor=request.user, adoption=row),
        success=_("The adoption was removed."),
        redirect_to=row.outcome,
    )


# --- overview ----------------------------------------------------------------------------


OVERVIEW_COLUMNS = [
    Column(_lazy("Level"), lambda r: str(r["level"]), width=16),
    Column(_lazy("Kind"), lambda r: str(r["kind"]), width=12),
    Column(_lazy("Recommendations"), lambda r: r["entries"]),
    Column(_lazy("Selected at this level"), lambda r: r["honoured"]),
]


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Outcomes of the viewer's scope by kind; one round's recommendations and results per
    level and kind (chart and table, exportable)."""
    f = OverviewFilter(request.GET or None, queryset=Outcome.objects.none(), request=request)
    clean = f.form.cleaned_data if f.form.is_valid() else {}
    chosen = clean.get("round") or rounds.rounds(request.user).order_by("-opens_on", "-id").first()
    data = queries.overview(request.user, round=chosen, within=clean.get("within"))
    if wants_export(request):
        return columns_response(
            OVERVIEW_COLUMNS,
            data["rows"],
            filename="outcomes-overview.xlsx",
            sheet_title=str(_("Overview")),
            title=str(chosen) if chosen else None,
        )
    level_chart = None
    if data["levels"]:
        labels = [str(row["label"]) for row in data["levels"]]
        level_chart = charts.bar(
            labels, [row["entries"] for row in data["levels"]], name=_("Recommendations")
        )
        level_chart["legend"] = {"bottom": 0}
        level_chart["series"].append(
            {
                "type": "bar",
                "name": _("Selected at this level"),
                "data": [row["honoured"] for row in data["levels"]],
                "barMaxWidth": 36,
                "label": {"show": True, "position": "top"},
            }
        )
    return render(
        request,
        "outcomes/overview.html",
        {
            "filter": f,
            "data": data,
            "kind_chart": charts.pie(
                [{"name": str(label), "value": n} for label, n in data["kinds"] if n]
            ),
            "level_chart": level_chart,
        },
    )
