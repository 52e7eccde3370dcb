"""Pages of the self-review (专业标准自评) and the annual appraisal (年度考核): the
standards, a researcher's self-review of a year, the institute's distribution chart and a
researcher's development over the years; the schemes with their indicators, the
appraisal table (a core list, .xlsx) with its grade chart, one appraisal through its
steps, and the panel of results on the researcher's profile."""

from __future__ import annotations

import django_filters as df
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import charts
from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.core.pages import (
    Column,
    ListPage,
    creating,
    denied_on_form,
    form_page,
    post_action,
    post_form,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where

from . import queries, queries_appraisal, services_appraisal
from .forms import ExitForm
from .forms_appraisal import (
    IndicatorForm,
    ReviewForm,
    SchemeForm,
    SelfAssessForm,
    SelfReviewForm,
    StandardForm,
)
from .models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    Grade,
    Rating,
    ResearcherProfile,
    SelfReview,
)

# --- standards ----------------------------------------------------------------------------------


@login_required
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    standard = get_visible_or_404(
        queries_appraisal.standards_for(request.user), request.user, pk=pk
    )
    return render(request, "researchers/appraisal/standard_detail.html", {"standard": standard})


@login_required
def standard_new(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", AppraisalScheme).exists():
        raise PermissionDenied(_("Only a bureau admin keeps the professional standard."))
    form = StandardForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        denied_on_form(creating(services_appraisal.create_standard, request.user)),
        template="researchers/appraisal/form.html",
        context={"title": _("New professional standard")},
        success=_("The professional standard was saved."),
    )


# --- self-reviews -------------------------------------------------------------------------------


def _year(request: HttpRequest, default: int) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else default


@login_required
def self_review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A researcher's self-review of a year (``?year=``, this year by default): the form
    while a draft, read-only once submitted."""
    profile = get_visible_or_404(queries.profiles_for(request.user), request.user, pk=pk)
    year = _year(request, timezone.localdate().year)
    review = queries_appraisal.self_reviews_for(request.user).filter(profile=profile, year=year)
    review = review.first()
    if review is not None and review.status == SelfReview.Status.SUBMITTED:
        return redirect(review)
    if profile.person.user_id != request.user.pk:
        raise PermissionDenied(_("A self-review is written by the researcher."))
    standard = review.standard if review else queries_appraisal.standard_for(profile)
    if standard is None:
        raise PermissionDenied(_("No professional standard is in use."))
    form = SelfReviewForm(
        request.POST or None,
        standard=standard,
        evidence_choices=services_appraisal.evidence_choices(profile, year),
        review=review,
    )

    def perform(data):
        return services_appraisal.save_self_review(
            actor=request.user,
            profile=profile,
            year=year,
            submit="submit" in request.POST,
            **form.service_data(),
        )

    return form_page(
        request,
        form,
        denied_on_form(perform),
        template="researchers/appraisal/self_review_form.html",
        context={"profile": profile, "year": year, "standard": standard},
        success=_("The self-review was saved."),
        redirect_to=lambda r: (
            r if r.status == SelfReview.Status.SUBMITTED else f"{request.path}?year={year}"
        ),
    )


@login_required
def self_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_visible_or_404(
        queries_appraisal.self_reviews_for(request.user), request.user, pk=pk
    )
    labels = dict(Rating.choices)
    links = queries_appraisal.evidence_links(
        request.user, [ref for refs in review.evidence.values() for ref in refs]
    )
    rows = []
    for d in review.standard.dimensions:
        rows.append(
            {
                "name": d["name"],
                "statements": [
                    (s["text"], labels.get(review.ratings.get(s["code"]), "—"))
                    for s in d["statements"]
                ],
                "evidence": [links[ref] for ref in review.evidence.get(d["code"], [])],
            }
        )
    return render(
        request,
        "researchers/appraisal/self_review_detail.html",
        {"review": review, "rows": rows},
    )


@login_required
def self_review_overview(request: HttpRequest) -> HttpResponse:
    """The institute's view: how the year's submitted self-reviews spread over the
    levels, dimension by dimension."""
    user = request.user
    year = _year(request, timezone.localdate().year - 1)
    dist = queries_appraisal.self_review_distribution(user, year)
    chart = charts.bar(dist.dimensions, dist.counts.get(Rating.MET, []))
    chart["series"] = [
        {"type": "bar", "stack": "all", "name": str(label), "data": dist.counts[level]}
        for level, label in Rating.choices
    ]
    chart["legend"] = {"bottom": 0}
    chart["title"] = {"text": _("Self-ratings by dimension"), "left": "center"}
    reviews = (
        SelfReview.objects.visible_to(user)
        .filter(year=year)
        .select_related("profile__person", "org_unit")
        .only("year", "status", "profile__person__name", "org_unit__name")
        .order_by("org_unit_id", "profile_id")[:200]
    )
    return render(
        request,
        "researchers/appraisal/self_review_overview.html",
        {
            "dist": dist,
            "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
            "chart": chart,
            "reviews": reviews,
            "averages": list(zip(dist.dimensions, dist.averages, strict=True)),
        },
    )


# --- schemes ------------------------------------------------------------------------------------


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    schemes = list(queries_appraisal.schemes_for(user).order_by("-year", "org_unit_id")[:100])
    may_add = units_where(user, "add", AppraisalScheme).exists()
    form = SchemeForm(user=user, initial={"year": timezone.localdate().year}) if may_add else None
    return render(
        request,
        "researchers/appraisal/scheme_list.html",
        {"schemes": schemes, "form": form, "standards": queries_appraisal.standards_for(user)},
    )


@login_required
@require_POST
def scheme_new(request: HttpRequest) -> HttpResponse:
    form = SchemeForm(request.POST, user=request.user)
    return post_form(
        request,
        form,
        denied_on_form(creating(services_appraisal.create_scheme, request.user)),
        success=_("The appraisal scheme was saved."),
        redirect_to=lambda s: s if s is not None else "researchers:schemes",
    )


def _scheme(request: HttpRequest, pk: int) -> AppraisalScheme:
    return get_visible_or_404(queries_appraisal.schemes_for(request.user), request.user, pk=pk)


@login_required
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    may_change = can(request.user, "change", scheme)
    indicators = list(scheme.indicators.all())
    mine = Appraisal.objects.visible_to(request.user).filter(scheme=scheme)
    counts = queries_appraisal.grade_counts(mine)
    return render(
        request,
        "researchers/appraisal/scheme_detail.html",
        {
            "scheme": scheme,
            "indicators": indicators,
            "may_change": may_change,
            "indicator_form": IndicatorForm()
            if may_change and scheme.status == AppraisalScheme.Status.DRAFT
            else None,
            "edit_forms": [
                (i, IndicatorForm(initial=_indicator_initial(i), prefix=f"i{i.pk}"))
                for i in indicators
            ]
            if may_change and scheme.status == AppraisalScheme.Status.DRAFT
            else [(i, None) for i in indicators],
            "may_close": can(request.user, "close", scheme),
            "counts": [(label, counts[g]) for g, label in Grade.choices],
            "excellent_used": queries_appraisal.excellent_used(scheme),
            "appraisals": mine.count(),
        },
    )


@login_required
@require_POST
def indicator_new(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    return post_form(
        request,
        IndicatorForm(request.POST),
        denied_on_form(creating(services_appraisal.save_indicator, request.user, scheme=scheme)),
        success=_("The indicator was saved."),
        redirect_to=scheme,
    )


def _indicator_initial(i: AppraisalIndicator) -> dict:
    return {
        "name": i.name,
        "kind": i.kind,
        "measure": i.measure,
        "target": i.target,
        "max_score": i.max_score,
    }


def _indicator(request: HttpRequest, scheme: AppraisalScheme, pk: int) -> AppraisalIndicator:
    return get_visible_or_404(
        AppraisalIndicator.objects.filter(scheme=scheme).select_related("scheme"),
        request.user,
        pk=pk,
    )


@login_required
@require_POST
def indicator_edit(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    indicator = _indicator(request, scheme, indicator_pk)
    return post_form(
        request,
        IndicatorForm(request.POST, prefix=f"i{indicator.pk}"),
        denied_on_form(
            creating(
                services_appraisal.save_indicator,
                request.user,
                scheme=scheme,
                indicator=indicator,
            )
        ),
        success=_("The indicator was saved."),
        redirect_to=scheme,
    )


@login_required
@require_POST
def indicator_delete(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    indicator = _indicator(request, scheme, indicator_pk)
    return post_action(
        request,
        lambda: services_appraisal.delete_indicator(actor=request.user, indicator=indicator),
        success=_("The indicator was removed."),
        redirect_to=scheme,
        denied_as_message=True,
    )


@login_required
@require_POST
def scheme_close(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    return post_action(
        request,
        lambda: services_appraisal.close_scheme(actor=request.user, scheme=scheme),
        success=_("The scheme is closed: no more self-assessments or reviews."),
        redirect_to=scheme,
        denied_as_message=True,
    )


@login_required
@require_POST
def scheme_open(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    return post_action(
        request,
        lambda: services_appraisal.open_scheme(actor=request.user, scheme=scheme),
        success=lambda n: _("The scheme is open: %(n)d appraisals added.") % {"n": n},
        redirect_to=scheme,
        denied_as_message=True,
    )


# --- the appraisal table ------------------------------------------------------------------------


class AppraisalListFilter(df.FilterSet):
    q = search_filter(
        _lazy("researcher or institute"),
        "profile__person__name__icontains",
        "org_unit__name__icontains",
    )
    year = df.NumberFilter(label=_lazy("Year"))
    grade = df.ChoiceFilter(
        label=_lazy("Appraisal grade"), choices=Grade.choices, empty_label=_lazy("All grades")
    )
    status = df.ChoiceFilter(
        label=_lazy("Status"), choices=Appraisal.Status.choices, empty_label=_lazy("All statuses")
    )

    class Meta:
        model = Appraisal
        fields: list[str] = []
        form = FilterForm


class AppraisalList(ListPage):
    """The appraisals the viewer sees (a bureau: its region's; a researcher: their own)."""

    template = "researchers/appraisal/appraisal_list.html"
    fragment = "researchers/appraisal/_appraisal_table.html"
    filterset = AppraisalListFilter
    default_sort = ""
    columns = [
        Column(_lazy("Year"), "year"),
        Column(_lazy("Researcher"), "profile.person.name", width=12),
        Column(_lazy("Institute"), "org_unit.name", width=24),
        Column(_lazy("Status"), "get_status_display", width=14),
        Column(_lazy("Total"), lambda a: float(a.total) if a.total is not None else None),
        Column(_lazy("Appraisal grade"), "get_grade_display"),
        Column(_lazy("Exit review"), lambda a: _("Yes") if a.exit_review else ""),
    ]
    export_name = _lazy("Annual appraisals")

    def get_queryset(self):
        # The table shows no scores or texts: their JSON and text stay in the database.
        return (
            queries_appraisal.appraisals_for(self.user)
            .defer("scores", "self_summary", "review_comment", "scheme__exit_grades")
            .order_by("-year", "org_unit_id", "id")
        )

    def get_context(self):
        year = self.request.GET.get("year", "")
        qs = queries_appraisal.appraisals_for(self.user)
        if year.isdigit():
            qs = qs.filter(year=int(year))
        counts = queries_appraisal.grade_counts(qs)
        chart = charts.pie(
            [{"name": str(label), "value": counts[g]} for g, label in Grade.choices],
            title=_("Grade distribution"),
        )
        return {"grade_chart": chart, "grade_counts": counts}


appraisal_list = AppraisalList.as_view()


# --- one appraisal ------------------------------------------------------------------------------


def _appraisal(request: HttpRequest, pk: int) -> Appraisal:
    return get_visible_or_404(queries_appraisal.appraisals_for(request.user), request.user, pk=pk)


@login_required
def appraisal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    a = _appraisal(request, pk)
    scheme = a.scheme
    S = Appraisal.Status
    rows = []
    for i in scheme.indicators.all():
        got = a.scores.get(i.code, {})
        rows.append({"indicator": i, **got})
    open_ = scheme.status == AppraisalScheme.Status.OPEN
    ctx = {"appraisal": a, "scheme": scheme, "rows": rows}
    if open_ and a.status in (S.PENDING, S.SELF_ASSESSED) and can(user, "self_assess", a):
        ctx["self_form"] = SelfAssessForm(
            initial={"summary": a.self_summary, "self_grade": a.self_grade}
        )
    if open_ and a.status in (S.SELF_ASSESSED, S.REVIEWED) and can(user, "review", a):
        initial = {"grade": a.grade, "comment": a.review_comment}
        for code, got in a.scores.items():
            initial[f"score_{code}"] = got.get("score")
            initial[f"comment_{code}"] = got.get("comment", "")
        ctx["review_form"] = ReviewForm(scheme=scheme, initial=initial)
    if open_ and a.status == S.REVIEWED and can(user, "confirm", scheme):
        ctx["may_confirm"] = True
    return render(request, "researchers/appraisal/appraisal_detail.html", ctx)


@login_required
@require_POST
def appraisal_self_assess(request: HttpRequest, pk: int) -> HttpResponse:
    a = _appraisal(request, pk)
    return post_form(
        request,
        SelfAssessForm(request.POST),
        denied_on_form(creating(services_appraisal.self_assess, request.user, appraisal=a)),
        success=_("Your self-assessment was submitted."),
        redirect_to=a,
    )


@login_required
@require_POST
def appraisal_review(request: HttpRequest, pk: int) -> HttpResponse:
    a = _appraisal(request, pk)
    form = ReviewForm(request.POST, scheme=a.scheme)
    return post_form(
        request,
        form,
        denied_on_form(
            lambda data: services_appraisal.review_appraisal(
                actor=request.user, appraisal=a, **form.service_data()
            )
        ),
        success=_("The review was saved."),
        redirect_to=a,
    )


@login_required
@require_POST
def appraisal_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    a = _appraisal(request, pk)
    return post_action(
        request,
        lambda: services_appraisal.confirm_appraisal(actor=request.user, appraisal=a),
        success=_("The appraisal was confirmed."),
        redirect_to=a,
        denied_as_message=True,
    )


# --- the panel on the profile -------------------------------------------------------------------


def profile_panel(request: HttpRequest, profile: ResearcherProfile, ctx: dict) -> dict:
    """What the profile page shows of the appraisal: the results (newest first), the
    self-reviews and the development chart; a result calling for an exit review links to
    the exit form, its reason set to the appraisal."""
    user = request.user
    results = list(
        queries_appraisal.appraisals_for(user)
        .filter(profile=profile)
        .defer("scores", "self_summary", "review_comment")
        .order_by("-year")[:10]
    )
    reviews = list(
        queries_appraisal.self_reviews_for(user).filter(profile=profile).order_by("-year")[:20]
    )
    years, series = queries_appraisal.development_of(reviews)
    out: dict = {
        "appraisals": results,
        "self_reviews": reviews,
        "may_self_review": profile.person.user_id == user.pk
        and profile.status == ResearcherProfile.Status.ACTIVE,
        "this_year": timezone.localdate().year,
    }
    confirmed = [a for a in results if a.status == Appraisal.Status.CONFIRMED]
    out["latest_result"] = confirmed[0] if confirmed else None
    if out["latest_result"] and out["latest_result"].exit_review and ctx.get("exit_form"):
        out["exit_form"] = ExitForm(initial={"reason": "appraisal"})
        out["exit_review_due"] = True
    if len(years) > 0:
        chart = charts.bar([str(y) for y in years], [], title=_("Self-ratings over the years"))
        chart["series"] = [
            {"type": "line", "name": name, "data": values, "connectNulls": True}
            for name, values in series.items()
        ]
        chart["yAxis"] = {"type": "value", "min": 1, "max": 4}
        chart["legend"] = {"bottom": 0}
        chart["tooltip"] = {"trigger": "axis"}
        out["development_chart"] = chart
    return out
