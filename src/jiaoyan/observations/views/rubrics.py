"""Rubrics: list, versions, new, edit, retire."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.pages import Column, ListPage, edit_page, editing, form_page, post_action
from jiaoyan.core.scope import can, get_visible_or_404, user_scopes

from .. import services
from ..forms import RubricForm
from ..models import Rubric, RubricVersion
from ..scoring import parse_rubric_text, structure_text
from .common import organiser_units

# --- rubrics -------------------------------------------------------------------------------


class RubricList(ListPage):
    """The rubrics in scope (the built-in ones too), in use first; one page, as few as
    they are; exported in the list's columns."""

    template = "observations/rubric_list.html"
    columns = [
        Column("名称", "name"),
        Column("所属单位", lambda r: r.org_unit.name if r.org_unit else "系统内置"),
        Column("学段", "stage.name"),
        Column("学科", "subject.name"),
        Column("当前版本", lambda r: f"v{r.current.number}" if r.current else ""),
        Column("状态", lambda r: "启用" if r.is_active else "停用"),
    ]
    export_name = "听课评价表"
    export_title = "听课评价表"

    def get_queryset(self):
        return (
            Rubric.objects.visible_to(self.user)
            .select_related("org_unit", "stage", "subject", "current")
            .order_by("-is_active", "org_unit__path", "name")
        )

    def paginate(self, rows):
        return None  # the template lists them all

    def get_context(self):
        return {
            "rubrics": self.queryset,
            "can_add": organiser_units(self.user, Rubric).exists(),
        }


rubric_list = RubricList.as_view()


def _rubric(request, pk: int) -> Rubric:
    return get_visible_or_404(
        Rubric.objects.select_related("org_unit", "stage", "subject", "current"),
        request.user,
        pk=pk,
    )


@login_required
def rubric_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    return _rubric_page(request, rubric, rubric.current)


@login_required
def rubric_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    version = get_object_or_404(RubricVersion, rubric=rubric, number=number)
    return _rubric_page(request, rubric, version)


def _rubric_page(request, rubric: Rubric, version: RubricVersion | None) -> HttpResponse:
    dims = services.version_dimensions(version) if version else []
    return render(
        request,
        "observations/rubric_detail.html",
        {
            "rubric": rubric,
            "version": version,
            "dimensions": dims,
            "versions": rubric.versions.all().order_by("-number"),
            "in_use": services.version_in_use(version) if version else False,
            "can_change": can(request.user, "change", rubric),
            "can_copy": organiser_units(request.user, Rubric).exists(),
            "history": audit.entries(rubric),
        },
    )


@login_required
def rubric_new(request: HttpRequest) -> HttpResponse:
    units = organiser_units(request.user, Rubric)
    if not units.exists():
        raise PermissionDenied(_("You may not add rubrics."))
    source = None
    if request.GET.get("from"):
        source = _rubric(request, request.GET["from"])
    else:
        source = Rubric.objects.filter(org_unit__isnull=True, is_active=True).first()
    initial = {}
    if source is not None and source.current_id:
        initial.update(
            structure=structure_text(services.version_dimensions(source.current)),
            stage=source.stage,
            subject=source.subject,
            description=source.description,
        )
        if request.GET.get("from"):
            initial["name"] = source.name
    person = getattr(request.user, "person", None)
    first = units.first()
    initial["org_unit"] = first
    if person is not None:
        scope_ids = [s.unit_id for s in user_scopes(request.user)]
        own = units.filter(pk__in=scope_ids).first()
        if own is not None:
            initial["org_unit"] = own
    form = RubricForm(request.POST or None, units=units, initial=initial)
    del form.fields["version"]
    del form.fields["note"]
    return form_page(
        request,
        form,
        lambda d: services.create_rubric(
            actor=request.user,
            org_unit=d["org_unit"],
            name=d["name"],
            structure=parse_rubric_text(d["structure"]),
            description=d["description"],
            stage=d["stage"],
            subject=d["subject"],
        ),
        template="observations/rubric_form.html",
        success=_("The rubric was created."),
    )


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    if not can(request.user, "change", rubric):
        raise PermissionDenied(_("You may not change this rubric."))
    initial = editing(
        rubric,
        ("name", "stage", "subject", "description"),
        structure=structure_text(services.version_dimensions(rubric.current))
        if rubric.current
        else "",
    )
    form = RubricForm(request.POST or None, initial=initial)
    del form.fields["org_unit"]
    return edit_page(
        request,
        form,
        lambda d, version: services.update_rubric(
            actor=request.user,
            rubric=rubric,
            name=d["name"],
            structure=parse_rubric_text(d["structure"]),
            description=d["description"],
            stage=d["stage"],
            subject=d["subject"],
            note=d["note"],
            expected_version=version,
        ),
        template="observations/rubric_form.html",
        context={
            "rubric": rubric,
            "in_use": services.version_in_use(rubric.current) if rubric.current else False,
        },
        success=_("Saved."),
        redirect_to=rubric,
    )


@login_required
@require_POST
def rubric_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    active = request.POST.get("active") == "1"
    return post_action(
        request,
        lambda: services.set_rubric_active(actor=request.user, rubric=rubric, active=active),
        success=_("The rubric is in use.") if active else _("The rubric was retired."),
        redirect_to=rubric,
        denied_as_message=True,
    )
