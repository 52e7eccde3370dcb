"""Pages of the org tree and schools. Thin: parse, call a query or service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import ListPage, creating, edit_page, editing, form_page, updating
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, get_visible_or_404

from . import queries, services
from .filters import SchoolFilter, UnitFilter
from .forms import SchoolForm, UnitForm
from .models import OrgUnit, School, Stage
from .sheets import OrgUnitSheet, SchoolSheet


def _visible_ancestors(user, unit: OrgUnit) -> list[OrgUnit]:
    ids = unit.ancestor_ids[:-1]
    return list(OrgUnit.objects.visible_to(user).filter(pk__in=ids).order_by("depth"))


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = queries.tree_roots(request.user)
    nodes = [
        {"unit": r, "children": queries.children_with_counts(request.user, r)} for r in roots[:5]
    ]
    return render(request, "orgs/tree.html", {"nodes": nodes})


@login_required
def tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_visible_or_404(OrgUnit, request.user, pk=pk)
    children = queries.children_with_counts(request.user, unit)
    return render(request, "orgs/_tree_children.html", {"children": children, "parent": unit})


UNIT_SORTS = [
    SortOption("path", _lazy("Tree order"), ("path",)),
    SortOption("code", _lazy("Code"), ("code",)),
    SortOption("name", _lazy("Name"), ("name",)),
    SortOption("level", _lazy("Level"), ("depth", "path")),
]


class UnitList(ListPage):
    """Units in scope (schools among them); exports the units other than schools, which
    re-import as the units kind."""

    template = "orgs/unit_list.html"
    fragment = "orgs/_unit_table.html"
    filterset = UnitFilter
    sorts = UNIT_SORTS
    default_sort = "path"
    sheet = OrgUnitSheet
    export_name = _lazy("Unit list")

    def get_queryset(self):
        return OrgUnit.objects.visible_to(self.user).select_related("parent")


unit_list = UnitList.as_view()


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_visible_or_404(OrgUnit.objects.select_related("parent"), request.user, pk=pk)
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return redirect("orgs:school_detail", pk=unit.pk)
    children = queries.children_with_counts(request.user, unit)
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "unit": unit,
            "ancestors": _visible_ancestors(request.user, unit),
            "children": children,
            "totals": {
                "schools": sum(c["schools"] for c in children),
                "people": sum(c["people"] for c in children),
            },
            "can_change": can(request.user, "change", unit),
            "can_add": can(request.user, "add", OrgUnit(parent=unit)),
            "history": audit.entries(unit),
        },
    )


def _new_unit_parent(request: HttpRequest, refusal: str) -> OrgUnit:
    """The unit a new unit or school goes under (``?parent=``): one the user sees and may
    add units to (``refusal`` is the message when they may not)."""
    parent = get_visible_or_404(OrgUnit, request.user, pk=request.GET.get("parent") or 0)
    if not can(request.user, "add", OrgUnit(parent=parent)):
        raise PermissionDenied(refusal)
    return parent


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    parent = _new_unit_parent(request, _("You may not add units here."))
    form = UnitForm(request.POST or None)

    def create(d):
        return services.create_unit(
            actor=request.user,
            parent=parent,
            code=d["code"],
            name=d["name"],
            level=d["level"],
            kind=d["kind"],
        )

    return form_page(
        request,
        form,
        create,
        template="orgs/unit_form.html",
        context={"parent": parent},
        success=lambda unit: _("Unit “%(name)s” created.") % {"name": unit.name},
    )


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_visible_or_404(OrgUnit, request.user, pk=pk)
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return redirect("orgs:school_edit", pk=unit.pk)
    if not can(request.user, "change", unit):
        raise PermissionDenied(_("You may not change this unit."))
    initial = editing(unit, ("code", "name", "level", "kind", "is_active"))
    form = UnitForm(request.POST or None, initial=initial)
    return edit_page(
        request,
        form,
        updating(services.update_unit, request.user, unit=unit),
        template="orgs/unit_form.html",
        context={"unit": unit},
        success=_("Saved."),
        redirect_to=unit,
    )


SCHOOL_SORTS = [
    SortOption("path", _lazy("Region"), ("org_unit__path",)),
    SortOption("code", _lazy("Code"), ("org_unit__code",)),
    SortOption("name", _lazy("Name"), ("org_unit__name",)),
    SortOption("students", _lazy("Students"), ("student_count",)),
    SortOption("teachers", _lazy("Teachers"), ("teacher_count",)),
]


class SchoolList(ListPage):
    """Schools in scope; exports re-import as the schools kind."""

    template = "orgs/school_list.html"
    fragment = "orgs/_school_table.html"
    filterset = SchoolFilter
    sorts = SCHOOL_SORTS
    default_sort = "path"
    sheet = SchoolSheet
    export_name = _lazy("School list")

    def get_queryset(self):
        return School.objects.visible_to(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "org_unit__parent").prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("order"))
        )

    def get_context(self):
        return {"parent_for_new": None}


school_list = SchoolList.as_view()


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_visible_or_404(
        School.objects.select_related("org_unit", "org_unit__parent").prefetch_related("stages"),
        request.user,
        pk=pk,
    )
    from jiaoyan.people.models import Person, RoleAssignment

    staff = Person.objects.visible_to(request.user).filter(
        org_unit=school.org_unit, status=Person.Status.ACTIVE
    )
    counts = dict(
        RoleAssignment.objects.filter(is_active=True, person__in=staff.values("pk"))
        .values("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    by_role = {str(role.label): counts[role.value] for role in Role if role.value in counts}
    return render(
        request,
        "orgs/school_detail.html",
        {
            "school": school,
            "unit": school.org_unit,
            "ancestors": _visible_ancestors(request.user, school.org_unit),
            "staff_count": staff.count(),
            "by_role": by_role,
            "can_change": can(request.user, "change", school),
            "history": audit.entries(school),
        },
    )


@login_required
def school_create(request: HttpRequest) -> HttpResponse:
    parent = _new_unit_parent(request, _("You may not add schools here."))
    form = SchoolForm(request.POST or None)

    return form_page(
        request,
        form,
        creating(services.create_school, request.user, parent=parent),
        template="orgs/school_form.html",
        context={"parent": parent},
        success=lambda school: _("School “%(name)s” created.") % {"name": school.name},
    )


@login_required
def school_edit(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_visible_or_404(School.objects.select_related("org_unit"), request.user, pk=pk)
    if not can(request.user, "change", school):
        raise PermissionDenied(_("You may not change this school."))
    principal_only = not can(request.user, "change", school.org_unit)
    initial = editing(
        school,
        (
            "code",
            "name",
            "kind",
            "location",
            "is_weak",
            "student_count",
            "teacher_count",
            "address",
        ),
        stages=list(school.stages.all()),
    )
    form = SchoolForm(request.POST or None, initial=initial, principal_only=principal_only)

    save = updating(services.update_school, request.user, school=school)

    def update(d, version):
        if principal_only:
            d.pop("code", None)
            d.pop("name", None)
        save(d, version)

    return edit_page(
        request,
        form,
        update,
        template="orgs/school_form.html",
        context={"school": school},
        success=_("Saved."),
        redirect_to=school,
    )
