"""Pages of people: list, profile, and the actions an admin takes on a person."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    ListPage,
    creating,
    edit_page,
    editing,
    form_page,
    post_action,
    post_form,
    updating,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.orgs.models import OrgUnit

from . import services
from .filters import PersonFilter
from .forms import (
    AccountForm,
    HomeroomForm,
    HonourForm,
    NewPersonForm,
    PasswordResetForm,
    PersonForm,
    RoleForm,
    StatusForm,
    TransferForm,
)
from .models import HomeroomAssignment, Honour, Person, RoleAssignment
from .queries import people_for_list
from .sheets import PersonSheet

SORTS = [
    SortOption("unit", _lazy("Unit"), ("org_unit__path", "staff_no")),
    SortOption("staff_no", _lazy("Staff number"), ("staff_no",)),
    SortOption("name", pgettext_lazy("person", "Name"), ("name",)),
]


class PersonList(ListPage):
    """People in scope, active ones unless a status is chosen; exports re-import."""

    template = "people/person_list.html"
    fragment = "people/_person_table.html"
    filterset = PersonFilter
    filter_defaults = {"status": Person.Status.ACTIVE}
    sorts = SORTS
    default_sort = "unit"
    sheet = PersonSheet
    export_name = _lazy("People list")

    def get_queryset(self):
        return Person.objects.visible_to(self.user)

    def list_queryset(self, qs):
        return people_for_list(qs)

    def get_context(self):
        user = self.user
        rows = [
            {"person": p, "phone": p.phone if can(user, "view_phone", p) else p.masked_phone}
            for p in self.page
        ]
        return {"rows": rows}


person_list = PersonList.as_view()


def _person(request, pk: int) -> Person:
    return get_visible_or_404(
        Person.objects.select_related("org_unit", "user"), request.user, pk=pk
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    roles = (
        RoleAssignment.objects.filter(person=person)
        .select_related("org_unit")
        .prefetch_related("subjects", "stages")
        .order_by("-is_active", "-created_at")
    )
    can_change = can(request.user, "change", person)
    can_account = can(request.user, "manage_account", person)
    ctx = {
        "person": person,
        "phone": person.phone if can(request.user, "view_phone", person) else person.masked_phone,
        "roles": roles,
        "honours": person.honours.all(),
        "can_change": can_change,
        "can_account": can_account,
        "history": audit.entries(person),
    }
    if person.org_unit.level == OrgUnit.Level.SCHOOL:
        may_homeroom = can(
            request.user, "add", HomeroomAssignment(person=person, school=person.org_unit)
        )
        ctx.update(
            homerooms=person.homerooms.filter(is_active=True),
            may_homeroom=may_homeroom,
            homeroom_form=HomeroomForm() if may_homeroom else None,
        )
    if can_change:
        ctx.update(
            status_form=StatusForm(initial={"status": person.status}),
            transfer_form=TransferForm(units=_employing_units(request.user)),
            role_form=RoleForm(),
            honour_form=HonourForm(),
        )
    if can_account:
        ctx.update(
            account_form=AccountForm(initial={"username": person.staff_no}),
            reset_form=PasswordResetForm(),
        )
    return render(request, "people/person_detail.html", ctx)


def _employing_units(user):
    return units_where(user, "add", Person).filter(is_active=True).order_by("path")


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    units = _employing_units(request.user)
    if not units.exists():
        raise PermissionDenied(_("You may not add people."))
    initial = {}
    if request.GET.get("org_unit"):
        initial["org_unit"] = request.GET["org_unit"]
    form = NewPersonForm(request.POST or None, units=units, initial=initial)

    return form_page(
        request,
        form,
        creating(services.create_person, request.user),
        template="people/person_form.html",
        success=lambda person: _("%(name)s was added.") % {"name": person.name},
    )


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if not can(request.user, "change", person):
        raise PermissionDenied(_("You may not change this person."))
    initial = editing(
        person, ("staff_no", "name", "gender", "phone", "professional_title", "teaching_since")
    )
    form = PersonForm(request.POST or None, initial=initial)
    form.fields["staff_no"].disabled = True

    save = updating(services.update_person, request.user, person=person)

    def update(d, version):
        d.pop("staff_no", None)
        save(d, version)

    return edit_page(
        request,
        form,
        update,
        template="people/person_form.html",
        context={"person": person},
        success=_("Saved."),
        redirect_to=person,
    )


def _action(request, pk: int, form_class, perform, *, permission: str = "change", **form_kwargs):
    """Shared handling of the small POST forms on a person's page."""
    person = _person(request, pk)
    if not can(request.user, permission, person):
        raise PermissionDenied(_("You may not change this person."))
    form = form_class(request.POST, **form_kwargs)
    return post_form(
        request,
        form,
        lambda d: perform(person, d),
        success=lambda note: note or _("Saved."),
        redirect_to=person,
    )


@login_required
@require_POST
def person_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        StatusForm,
        lambda p, d: (
            services.change_status(actor=request.user, person=p, status=d["status"], note=d["note"])
            and _("Status changed.")
        ),
    )


@login_required
@require_POST
def person_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        TransferForm,
        lambda p, d: (
            services.transfer_person(
                actor=request.user, person=p, to_unit=d["to_unit"], note=d["note"]
            )
            and _("Transferred.")
        ),
        units=_employing_units(request.user),
    )


@login_required
@require_POST
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        RoleForm,
        lambda p, d: (
            services.assign_role(
                actor=request.user,
                person=p,
                role=d["role"],
                subjects=d["subjects"],
                stages=d["stages"],
            )
            and _("Role added.")
        ),
    )


@login_required
@require_POST
def role_end(request: HttpRequest, pk: int, role_pk: int) -> HttpResponse:
    person = _person(request, pk)
    ra = get_visible_or_404(RoleAssignment, request.user, pk=role_pk, person=person)
    return post_action(
        request,
        lambda: services.end_role(actor=request.user, assignment=ra),
        success=_("Role ended."),
        redirect_to=person,
        denied_as_message=True,
    )


@login_required
@require_POST
def homeroom_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a school's staff member the class teacher of a class (the school's principal
    or an admin above it)."""
    person = _person(request, pk)
    return post_form(
        request,
        HomeroomForm(request.POST),
        lambda d: services.assign_homeroom(actor=request.user, person=person, **d),
        success=_("Class teacher assignment added."),
        redirect_to=person,
    )


@login_required
@require_POST
def homeroom_end(request: HttpRequest, pk: int, homeroom_pk: int) -> HttpResponse:
    person = _person(request, pk)
    row = get_visible_or_404(HomeroomAssignment, request.user, pk=homeroom_pk, person=person)
    return post_action(
        request,
        lambda: services.end_homeroom(actor=request.user, assignment=row),
        success=_("Class teacher assignment ended."),
        redirect_to=person,
        denied_as_message=True,
    )


@login_required
@require_POST
def honour_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        HonourForm,
        lambda p, d: (
            services.add_honour(
                actor=request.user,
                person=p,
                title=d["title"],
                level=d["level"],
                year=d["year"],
                title_text=d["title_text"],
            )
            and _("Honour added.")
        ),
    )


@login_required
@require_POST
def honour_remove(request: HttpRequest, pk: int, honour_pk: int) -> HttpResponse:
    person = _person(request, pk)
    honour = get_visible_or_404(Honour, request.user, pk=honour_pk, person=person)
    if not can(request.user, "delete", honour):
        raise PermissionDenied(_("You may not change this person."))
    services.remove_honour(actor=request.user, honour=honour)
    messages.success(request, _("Honour removed."))
    return redirect(person)


@login_required
@require_POST
def account_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        AccountForm,
        lambda p, d: (
            services.create_account(
                actor=request.user, person=p, username=d["username"], password=d["password"]
            )
            and _("Account created.")
        ),
        permission="manage_account",
    )


@login_required
@require_POST
def account_reset(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(p, d):
        services.reset_password(actor=request.user, person=p, password=d["password"])
        return _("Password reset.")

    return _action(request, pk, PasswordResetForm, perform, permission="manage_account")


@login_required
@require_POST
def account_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if not can(request.user, "manage_account", person):
        raise PermissionDenied(_("You may not change this person."))
    active = request.POST.get("active") == "1"
    return post_action(
        request,
        lambda: services.set_account_active(actor=request.user, person=person, active=active),
        success=_("Account enabled.") if active else _("Account disabled."),
        redirect_to=person,
    )
