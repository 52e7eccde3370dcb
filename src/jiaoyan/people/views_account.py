"""My account: who I am, my API tokens (served at /me/, see ``urls_account.py``)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaoyan.core.pages import FAILED, run_service
from jiaoyan.core.scope import get_visible_or_404

from . import login_limits, services
from .forms import LoginForm, TokenForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    """Django's log-in with the attempt limits of :mod:`.login_limits`; a successful
    log-in remembers the browser for the account (it is then never delayed)."""

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        login_limits.remember_device(self.request, response, form.get_user().get_username())
        return response


@login_required
def me(request: HttpRequest) -> HttpResponse:
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST":

        def create(d):
            expires = d["expires_on"]
            expires_at = (
                timezone.make_aware(dt.datetime.combine(expires, dt.time(23, 59)))
                if expires
                else None
            )
            return services.create_token(actor=request.user, name=d["name"], expires_at=expires_at)

        created = run_service(form, create)
        if created is not FAILED:
            _token, new_token = created
            form = TokenForm()
    tokens = ApiToken.objects.visible_to(request.user).filter(user=request.user)
    return render(
        request,
        "people/me.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "person": getattr(request.user, "person", None),
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(ApiToken, request.user, pk=pk)
    services.revoke_token(actor=request.user, token=token)
    messages.success(request, _("The token was revoked; it no longer works."))
    return redirect("account:me")
