"""A teacher's growth, coverage of observations, distributions of scores."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jiaoyan.core.dbrouter import replica_reads
from jiaoyan.core.lists import querystring_without
from jiaoyan.core.pages import Column, columns_response, wants_export
from jiaoyan.core.scope import get_visible_or_404, user_scopes
from jiaoyan.orgs.models import OrgUnit, Subject
from jiaoyan.people.models import Person

from .. import charts, queries
from ..models import OBSERVERS
from .common import requested_term, term_context

# --- growth --------------------------------------------------------------------------------


@login_required
def growth(request: HttpRequest, person_pk: int) -> HttpResponse:
    user = request.user
    teacher = get_visible_or_404(Person.objects.select_related("org_unit"), user, pk=person_pk)
    data = queries.growth(user, teacher)
    ctx = {"teacher": teacher, "data": data}
    if data["count"]:
        ctx["total_chart"] = charts.trend(
            data["labels"], {str(_("Total score")): data["totals"]}, title=_("Total score")
        )
        ctx["trend_chart"] = charts.trend(
            data["labels"], data["series"], title=_("Dimensions over time (%)")
        )
        ctx["radar"] = charts.radar(
            [d.name for d in data["dimensions"]],
            [(str(_("Mean")), [d.mean for d in data["dimensions"]])],
        )
    return render(request, "observations/growth.html", ctx)


@login_required
def my_growth(request: HttpRequest) -> HttpResponse:
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404(_("Your account is not linked to a staff record."))
    return redirect("observations:growth", person_pk=person.pk)


# --- coverage and distributions ------------------------------------------------------------


def _coverage_unit(request: HttpRequest, pk: int | None) -> OrgUnit:
    user = request.user
    if pk is None:
        unit = queries.default_coverage_unit(user)
        if unit is None:
            raise PermissionDenied(_("Coverage is for admins, researchers and principals."))
    else:
        unit = get_object_or_404(queries.coverage_units(user), pk=pk)
    if unit.kind in (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE) and unit.parent_id:
        unit = unit.parent
    if not queries.may_see_coverage(user, unit):
        raise Http404(_("The requested object does not exist."))
    return unit


def _breadcrumbs(user, unit: OrgUnit) -> list[OrgUnit]:
    tops = [s.path for s in user_scopes(user) if s.role in OBSERVERS]
    return [
        a for a in unit.ancestors() if user.is_superuser or any(a.path.startswith(p) for p in tops)
    ]


def _blank_none(key: str):
    return lambda r: r[key] if r[key] is not None else ""


SCHOOL_COVERAGE_COLUMNS = [
    Column("工号", "teacher.staff_no"),
    Column("姓名", "teacher.name"),
    Column("学科", "subjects"),
    Column("听课次数", "observations"),
    Column("最近听课", "last_date"),
    Column("平均分", _blank_none("mean_total")),
    Column("听课人", lambda r: "、".join(f"{n}×{c}" for n, c in r["observers"])),
]
UNIT_COVERAGE_COLUMNS = [
    Column("单位代码", "unit.code"),
    Column("单位", "unit.name"),
    Column("教师数", "teachers"),
    Column("已听课教师", "observed"),
    Column("未听课教师", "never"),
    Column("覆盖率(%)", _blank_none("coverage")),
    Column("听课次数", "observations"),
    Column("平均分", _blank_none("mean_total")),
]


def _coverage_xlsx(unit, term, columns, rows) -> HttpResponse:
    return columns_response(
        columns,
        rows,
        filename=f"{unit.name}听课覆盖",
        sheet_title="听课覆盖",
        title=f"{unit.name} {term.label} 听课覆盖",
    )


@replica_reads
@login_required
def coverage(request: HttpRequest, unit_pk: int | None = None) -> HttpResponse:
    user = request.user
    unit = _coverage_unit(request, unit_pk)
    term = requested_term(request)
    ctx = {"unit": unit, "ancestors": _breadcrumbs(user, unit), **term_context(request, term)}
    if unit.kind == OrgUnit.Kind.SCHOOL:
        data = queries.school_coverage(user, unit, term)
        if wants_export(request):
            return _coverage_xlsx(unit, term, SCHOOL_COVERAGE_COLUMNS, data["rows"])
        ctx.update(data=data, can_add=queries.can_add_somewhere(user))
        return render(request, "observations/coverage_school.html", ctx)
    data = queries.unit_coverage(user, unit, term)
    if wants_export(request):
        return _coverage_xlsx(unit, term, UNIT_COVERAGE_COLUMNS, data["rows"])
    ctx["data"] = data
    if unit.level in (OrgUnit.Level.COUNTY, OrgUnit.Level.TOWN):
        ctx["observers"] = queries.top_observers(user, unit, term)
    ctx["liaisons"] = list(queries.liaison_schools(user))
    return render(request, "observations/coverage_unit.html", ctx)


@replica_reads
@login_required
def analysis(request: HttpRequest, unit_pk: int | None = None) -> HttpResponse:
    user = request.user
    unit = _coverage_unit(request, unit_pk)
    term = requested_term(request)
    subject = None
    if request.GET.get("subject"):
        subject = (
            Subject.objects.filter(pk=request.GET["subject"]).first()
            if request.GET["subject"].isdigit()
            else None
        )
    data = queries.distribution(user, unit, term, subject)
    ctx = {
        "unit": unit,
        "ancestors": _breadcrumbs(user, unit),
        "data": data,
        "subject": subject,
        "subjects": Subject.objects.all(),
        **term_context(request, term),
        "base_query_nosubject": querystring_without(request, "subject"),
    }
    if data["dimensions"]:
        ctx["bucket_chart"] = charts.buckets(
            [d["name"] for d in data["dimensions"]]
            + ([str(_("Total score"))] if data["total"] else []),
            data["bucket_labels"],
            [d["buckets"] for d in data["dimensions"]]
            + ([data["total"]["buckets"]] if data["total"] else []),
        )
        ctx["mean_chart"] = charts.radar(
            [d["name"] for d in data["dimensions"]],
            [(unit.name, [d["mean"] for d in data["dimensions"]])],
        )
    return render(request, "observations/analysis.html", ctx)
