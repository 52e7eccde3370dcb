"""The figures page (指标): every registered metric with its definition and its value for
a unit the viewer sees, over a period. Thin: the registry computes (:mod:`.metrics`)."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _lazy

from . import metrics, restricted
from .forms import StyledForm
from .pages import attempt, refusal_text
from .scope import get_visible_or_404


class MetricsForm(StyledForm):
    unit = forms.TypedChoiceField(label=_lazy("Unit"), coerce=int, required=False)
    start = forms.DateField(
        label=_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{'　' * u.depth}{u.name}") for u in units]


@login_required
@restricted.publishes(restricted.METRICS)
def metric_list(request: HttpRequest) -> HttpResponse:
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    units = metrics.unit_choices(request.user)
    raw_unit = request.GET.get("unit")
    if raw_unit:
        if not raw_unit.isdigit():
            raise Http404
        unit = get_visible_or_404(OrgUnit, request.user, pk=int(raw_unit))
        if all(u.pk != unit.pk for u in units):
            units = [*units, unit]
    else:
        unit = metrics.default_unit(request.user)
    default = metrics.Period.year_to_date()
    form = MetricsForm(
        request.GET or None,
        units=units,
        initial={"unit": unit.pk if unit else None, "start": default.start, "end": default.end},
    )
    period = default
    if form.is_bound and form.is_valid():
        period, error = attempt(
            lambda: metrics.Period(
                form.cleaned_data["start"] or default.start, form.cleaned_data["end"] or default.end
            )
        )
        if error is not None:
            form.add_error("end", refusal_text(error))
            period = default
    values = []
    if unit is not None and not form.errors:
        values = metrics.compute_many(None, unit, period, viewer=request.user)
    modules = {c.label: c.verbose_name for c in apps.get_app_configs()}
    return render(
        request,
        "core/metrics.html",
        {
            "form": form,
            "unit": unit,
            "period": period,
            "rows": [{"v": v, "module": modules.get(v.metric.module, "")} for v in values],
        },
    )
