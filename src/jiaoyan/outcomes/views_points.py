"""Pages of points (积分): the ranking of persons, schools (units) and communities for a
year in the viewer's scope, each figure with the rules it came from (exportable), and the
bureau's point table with its form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.communities.models import Community
from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR
from jiaoyan.core.lists import paginate
from jiaoyan.core.pages import (
    Column,
    columns_response,
    creating,
    post_action,
    post_form,
    wants_export,
)
from jiaoyan.core.scope import get_visible_or_404, scope_paths, units_where
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import points, services
from .forms import PointRuleForm
from .models import PointRule

TABS = {
    "persons": _lazy("Persons"),
    "units": _lazy("Schools and units"),
    "communities": _lazy("Communities"),
}


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    return year if MIN_YEAR <= year <= MAX_YEAR else timezone.localdate().year


def _explain(total: points.Total) -> str:
    return "；".join(
        f"{r['label']}（{r['level'] or _('any level')}）×{r['count']} = {r['points']:g}"
        for r in total.by_rule()
    )


def _names(tab: str, ids: list[int]) -> dict[int, str]:
    model = {"persons": Person, "units": OrgUnit, "communities": Community}[tab]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


COLUMNS = [
    Column(_lazy("Rank"), "rank"),
    Column(pgettext_lazy("ranking", "Name"), "name", width=30),
    Column(_lazy("Points"), "points"),
    Column(_lazy("How they were earned"), "explain", width=80),
]


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """The points ranking of a year: one tab each for persons, units and communities."""
    user = request.user
    year = _year(request)
    tab = request.GET.get("tab", "persons")
    if tab not in TABS:
        tab = "persons"
    computed = points.kept(year)
    paths = None if user.is_superuser else scope_paths(user)
    rows = computed.within(getattr(computed, tab), paths)
    for n, t in enumerate(rows, 1):
        t.rank = n
    if wants_export(request):
        names = _names(tab, [t.key for t in rows])
        out = [
            {
                "rank": t.rank,
                "name": names.get(t.key, ""),
                "points": float(t.points),
                "explain": _explain(t),
            }
            for t in rows
        ]
        name = f"{_('Points ranking')} {year} {TABS[tab]}"
        return columns_response(COLUMNS, out, filename=name, sheet_title=str(TABS[tab]))
    page = paginate(request, rows)
    names = _names(tab, [t.key for t in page.object_list])
    for t in page.object_list:
        t.name = names.get(t.key, "")
        t.explained = t.by_rule()
    ctx = {
        "year": year,
        "tab": tab,
        "tabs": TABS.items(),
        "page": page,
        "unpriced": computed.unpriced,
        "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
    }
    return render(request, "outcomes/points/ranking.html", ctx)


@login_required
def point_table(request: HttpRequest) -> HttpResponse:
    rules = (
        PointRule.objects.visible_to(request.user)
        .select_related("org_unit")
        .order_by("org_unit__path", "code", "level")
    )
    may_set = units_where(request.user, "add", PointRule).filter(kind="bureau").exists()
    return render(
        request,
        "outcomes/points/table.html",
        {
            "rules": list(rules[:500]),
            "labels": points.RULES,
            "form": PointRuleForm(user=request.user) if may_set else None,
            "may_set": may_set,
        },
    )


@login_required
@require_POST
def point_rule_set(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", PointRule).exists():
        raise PermissionDenied(_("You do not have permission to do this here."))
    return post_form(
        request,
        PointRuleForm(request.POST, user=request.user),
        creating(services.set_point_rule, request.user),
        success=_("The point table was saved."),
        redirect_to="outcomes:point_table",
    )


@login_required
@require_POST
def point_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(PointRule.objects.select_related("org_unit"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_point_rule(actor=request.user, rule=row),
        success=_("The rule was removed."),
        redirect_to="outcomes:point_table",
    )
