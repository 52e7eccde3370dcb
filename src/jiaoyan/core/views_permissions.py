"""The permission-grants page of every restricted-data kind (``/permissions/<kind>/``).

One page for all kinds registered with :func:`jiaoyan.core.restricted.register` (quality's
student-level data, wellbeing's screening data, …): the grants the viewer sees (those on
units they administer, and their own), filterable, sortable and exportable; an admin grants
the kind to an account of their scope on a unit of their scope, and revokes it. Grants and
revocations go through :func:`restricted.grant` / :func:`restricted.revoke` (audited).
Who may grant is the kind's grants model's ``add`` rule (admins of the unit); the grant is
given on a region or a school, never on a bureau or institute (their data live below)."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from . import restricted
from .forms import FilterForm, StyledForm, search_filter
from .lists import SortOption
from .pages import FAILED, Column, ListPage, post_action, run_service
from .scope import can, get_visible_or_404, units_where


class GrantForm(StyledForm):
    username = forms.CharField(label=_lazy("Account (user name)"), max_length=150)
    unit_code = forms.CharField(
        label=_lazy("On unit (unit or school code)"),
        max_length=20,
        help_text=_lazy("The permission covers the unit and everything below it."),
    )
    reason = forms.CharField(label=_lazy("Reason"), max_length=200)
    expires_on = forms.DateField(
        label=_lazy("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_unit_code(self) -> str:
        return self.cleaned_data["unit_code"].strip()


def _filter_for(model):
    """The filters of a kind's grants list (account, name or reason; region; status)."""
    from jiaoyan.orgs.filters import region_filter

    class GrantFilter(df.FilterSet):
        q = search_filter(
            _lazy("Account, name or reason"),
            "user__username__startswith",
            "user__person__name__icontains",
            "reason__icontains",
        )
        within = region_filter()
        state = df.ChoiceFilter(
            label=_lazy("Status"),
            choices=[
                ("active", pgettext_lazy("permission", "active")),
                ("revoked", _lazy("revoked")),
                ("expired", _lazy("expired")),
            ],
            method="by_state",
            empty_label=_lazy("Any status"),
        )

        class Meta:
            fields: list[str] = []
            form = FilterForm

        def by_state(self, qs, name, value):
            now = timezone.now()
            unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            if value == "active":
                return qs.filter(unexpired, revoked_at__isnull=True)
            if value == "revoked":
                return qs.filter(revoked_at__isnull=False)
            if value == "expired":
                return qs.filter(revoked_at__isnull=True, expires_at__lte=now)
            return qs

    GrantFilter._meta.model = model
    return GrantFilter


_filters: dict[str, type] = {}


def _active_text(p) -> str:
    return "有效" if p.is_active else ("已撤销" if p.revoked_at else "已过期")


class GrantList(ListPage):
    """The grants of one kind the viewer sees, newest first; beside them the grant form."""

    template = "core/permissions.html"
    fragment = "core/_permission_table.html"
    sorts = [
        SortOption("granted", _lazy("Granted"), ("created_at",)),
        SortOption("unit", _lazy("On unit"), ("org_unit__path",)),
    ]
    default_sort = "-granted"
    columns = [
        Column("账号", "user.username"),
        Column("姓名", "user.display_name"),
        Column("授权单位", "org_unit.name"),
        Column("理由", "reason"),
        Column("授权时间", "created_at"),
        Column("有效期至", lambda p: p.expires_at.date() if p.expires_at else ""),
        Column("状态", _active_text),
    ]

    def __init__(self, request: HttpRequest, *, kind, form=None, can_grant=False, **kw) -> None:
        super().__init__(request, **kw)
        self.kind, self.form, self.can_grant = kind, form, can_grant
        if kind.key not in _filters:
            _filters[kind.key] = _filter_for(kind.grant_model)
        self.filterset = _filters[kind.key]
        self.export_name = self.export_title = str(kind.title)

    def get_queryset(self):
        return restricted.grants_visible_to(self.user, self.kind.key).select_related(
            "user", "org_unit", "granted_by", "user__person"
        )

    def get_context(self):
        for p in self.page.object_list:
            p.can_revoke = p.is_active and can(self.user, "change", p)
        return {
            "form": self.form,
            "can_grant": self.can_grant,
            "kind": self.kind,
            "nav_template": self.kind.nav_template,
        }


def grantable_units(user, kind):
    """The units on which ``user`` may grant ``kind`` (regions and schools of their scope)."""
    from jiaoyan.orgs.models import OrgUnit

    return units_where(user, "add", kind.grant_model).exclude(
        kind__in=[OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE]
    )


def _grantee(request, grantable, form):
    """The account and unit the form names, looked up in the granter's scope; what is not
    found is an error on its field (absent and out of scope look the same)."""
    from jiaoyan.people.models import Person, User

    d = form.cleaned_data
    user = User.objects.filter(
        username=d["username"].strip(),
        person__in=Person.objects.visible_to(request.user),
    ).first()
    unit = grantable.filter(code=d["unit_code"]).first()
    if unit is None:
        form.add_error("unit_code", _("No unit with this code in your scope."))
    if user is None:
        form.add_error("username", _("No account with this user name in your scope."))
    return user, unit


def _kind(key: str):
    try:
        return restricted.kind_of(key)
    except LookupError:
        raise Http404 from None


def grants_page(request: HttpRequest, kind: str, *, redirect_to: str | None = None):
    """The page of one kind's grants (also served under an app's own address)."""
    k = _kind(kind)
    grantable = grantable_units(request.user, k)
    can_grant = grantable.exists()
    form = GrantForm(request.POST or None)
    if request.method == "POST":
        if not can_grant:
            raise PermissionDenied(_("You may not grant this permission."))
        if form.is_valid():
            user, unit = _grantee(request, grantable, form)

            def perform(d):
                expires = (
                    timezone.make_aware(dt.datetime.combine(d["expires_on"], dt.time(23, 59)))
                    if d["expires_on"]
                    else None
                )
                return restricted.grant(
                    actor=request.user,
                    kind=k.key,
                    user=user,
                    org_unit=unit,
                    reason=d["reason"],
                    expires_at=expires,
                )

            if run_service(form, perform) is not FAILED:
                messages.success(request, _("Permission granted."))
                if redirect_to:
                    return redirect(redirect_to)
                return redirect("core:permissions", data_kind=k.key)
    return GrantList(request, kind=k, form=form, can_grant=can_grant).dispatch()


@login_required
def permissions(request: HttpRequest, data_kind: str) -> HttpResponse:
    return grants_page(request, data_kind)


def revoke_grant(request: HttpRequest, kind: str, perm_id: int, *, redirect_to: str | None = None):
    k = _kind(kind)
    perm = get_visible_or_404(k.grant_model, request.user, pk=perm_id)
    return post_action(
        request,
        lambda: restricted.revoke(actor=request.user, kind=k.key, permission=perm),
        success=_("Permission revoked."),
        redirect_to=redirect_to or f"/permissions/{k.key}/",
    )


@login_required
@require_POST
def permission_revoke(request: HttpRequest, data_kind: str, perm_id: int) -> HttpResponse:
    return revoke_grant(request, data_kind, perm_id)
