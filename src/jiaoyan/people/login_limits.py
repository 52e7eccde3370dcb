"""Limits on log-in attempts beyond django-axes' lock-out of one username from one address.

Three fences, each counted from :class:`~jiaoyan.people.models.LoginAttempt` rows that are
written *before* the password is checked (insert, then count: parallel guesses see each
other):

- **per username and address** — django-axes: 5 failures lock that pair for 15 minutes.
- **per account, from any address** — spraying one account from rotating addresses. Past
  ``LOGIN_ACCOUNT_FREE_FAILURES`` failures in the window, each further attempt must wait
  a delay after the last checked one that doubles up to ``LOGIN_ACCOUNT_MAX_DELAY``
  seconds. An attempt refused for being early is not checked and does not lengthen the
  delay, so a stranger can slow guesses at an account to one a minute but never lock its
  owner out; and a browser that has logged in to the account before (a signed
  "known device" cookie) is not delayed at all.
- **per address, any username** — spraying many accounts from one address: more than
  ``LOGIN_ADDRESS_FAILURES`` failed or refused attempts in the window refuse that address
  until the window passes. The limit is high because a whole school may share one address.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core.middleware import client_ip

from .models import LoginAttempt

Outcome = LoginAttempt.Outcome
DEVICE_COOKIE = "jy_device"
_DEVICE_SALT = "jiaoyan.people.login-device"
_DEVICE_NAMES = 5  # accounts one browser is remembered for (a shared staff-room PC)


class LoginRefused(Exception):
    """Too many attempts: the message says how long to wait, nothing about the account."""


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_LIMIT_WINDOW)


def normalise(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def known_devices(request: HttpRequest) -> set[str]:
    """The usernames this browser has logged in as (from the signed cookie)."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return set()
    try:
        names = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return set()
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a successful log-in: this browser is known for ``username`` from now on."""
    names = [normalise(username)]
    names += [n for n in sorted(known_devices(request)) if n != names[0]]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(names[:_DEVICE_NAMES], salt=_DEVICE_SALT, compress=True),
        max_age=settings.LOGIN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def account_delay(failures: int) -> int:
    """Seconds an attempt must wait after the last checked one, given the account's
    failures in the window (this attempt included)."""
    over = failures - settings.LOGIN_ACCOUNT_FREE_FAILURES
    if over <= 0:
        return 0
    return min(2 ** (over - 1), settings.LOGIN_ACCOUNT_MAX_DELAY)


def begin(request: HttpRequest, username: str | None) -> LoginAttempt:
    """Record an attempt, then refuse it (:class:`LoginRefused`) when a limit is reached."""
    now = timezone.now()
    since = now - _window()
    name = normalise(username)
    attempt = LoginAttempt.objects.create(username=name, address=client_ip(request), at=now)

    if attempt.address:
        from_address = LoginAttempt.objects.filter(address=attempt.address, at__gte=since).exclude(
            outcome=Outcome.SUCCEEDED
        )
        if from_address.count() > settings.LOGIN_ADDRESS_FAILURES:
            _refuse(attempt)
            minutes = math.ceil(settings.LOGIN_LIMIT_WINDOW / 60)
            raise LoginRefused(
                _(
                    "Too many failed log-ins from this network. "
                    "Try again in %(minutes)d minutes, or ask your administrator."
                )
                % {"minutes": minutes}
            )

    if name and name not in known_devices(request):
        checked = LoginAttempt.objects.filter(
            username=name, at__gte=since, outcome__in=[Outcome.PENDING, Outcome.FAILED]
        )
        delay = account_delay(checked.count())
        if delay:
            last = checked.exclude(pk=attempt.pk).aggregate(last=Max("at"))["last"]
            if last is not None and (now - last).total_seconds() < delay:
                _refuse(attempt)
                raise LoginRefused(
                    _(
                        "Too many failed log-ins to this account. Wait %(seconds)d seconds "
                        "and try again; on a computer you have logged in from before "
                        "there is no wait."
                    )
                    % {"seconds": delay}
                )
    return attempt


def _refuse(attempt: LoginAttempt) -> None:
    LoginAttempt.objects.filter(pk=attempt.pk).update(outcome=Outcome.REFUSED)


def finish(attempt: LoginAttempt, *, succeeded: bool) -> None:
    outcome = Outcome.SUCCEEDED if succeeded else Outcome.FAILED
    LoginAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome)


def prune(*, now: dt.datetime | None = None) -> int:
    """Delete attempts older than a day (they matter for one window only)."""
    now = now or timezone.now()
    deleted, _rows = LoginAttempt.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return deleted
