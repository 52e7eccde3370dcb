"""Log-in limits beyond the username+address lock-out: per account from any address
(a doubling delay that never locks the owner out), per address across accounts, and
attempts recorded before they are checked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from jiaoyan.core.jobs import execute, start_job
from jiaoyan.people import login_limits
from jiaoyan.people.models import LoginAttempt
from jiaoyan.people.tasks import PRUNE_LOGIN_ATTEMPTS

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
ACCOUNT_WAIT = "该账号登录失败次数过多"
NETWORK_WAIT = "此网络登录失败次数过多"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.BEHIND_PROXY, settings.PROXY_COUNT = True, 1
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 10
    settings.LOGIN_ACCOUNT_MAX_DELAY = 60
    settings.LOGIN_ADDRESS_FAILURES = 100


def _login(client, username, password, address):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        HTTP_X_FORWARDED_FOR=address,
    )


def _spray(username, n, *, start=0):
    """``n`` wrong passwords for ``username``, each from an address of its own (so the
    username+address lock-out never triggers)."""
    for i in range(start, start + n):
        resp = _login(Client(), username, "wrong-password", f"198.51.{i // 250}.{i % 250 + 1}")
        assert resp.status_code == 200


def _text(resp) -> str:
    return resp.content.decode()


def test_spraying_one_account_from_many_addresses_is_slowed(world):
    with time_machine.travel(T0, tick=False) as clock:
        _spray("teacher", 10)
        # The eleventh attempt at the same instant waits a second: refused unchecked,
        # even with the right password, and told how long to wait (nothing about the
        # account itself).
        early = _login(Client(), "teacher", "jiaoyan-demo", "203.0.113.50")
        assert early.status_code == 200 and ACCOUNT_WAIT in _text(early)
        assert LoginAttempt.objects.filter(outcome="refused").count() == 1
        clock.shift(1)
        ok = _login(Client(), "teacher", "jiaoyan-demo", "203.0.113.51")
        assert ok.status_code == 302


def test_the_delay_doubles_to_a_minute_and_never_locks_the_owner_out(world):
    with time_machine.travel(T0, tick=False) as clock:
        _spray("teacher", 10)
        waits = []
        for i in range(10):
            # Each checked failure doubles the wait: find it by stepping a second at a time.
            waited = 0
            while ACCOUNT_WAIT in _text(
                _login(Client(), "teacher", "wrong-password", f"192.0.2.{i + 1}")
            ):
                clock.shift(1)
                waited += 1
            waits.append(waited)
        assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
        # A stranger hammering refused attempts does not lengthen the wait …
        for i in range(200):
            _login(Client(), "teacher", "wrong-password", f"192.0.3.{i % 250 + 1}")
        clock.shift(60)
        # … so a minute after the last checked guess the owner gets in.
        assert _login(Client(), "teacher", "jiaoyan-demo", "203.0.113.9").status_code == 302


def test_a_browser_that_logged_in_before_is_not_delayed(world):
    with time_machine.travel(T0, tick=False):
        owner = Client()
        assert _login(owner, "teacher", "jiaoyan-demo", "203.0.113.5").status_code == 302
        assert owner.cookies[login_limits.DEVICE_COOKIE]["httponly"]
        owner.post("/accounts/logout/")
        _spray("teacher", 30)
        stranger = _login(Client(), "teacher", "jiaoyan-demo", "203.0.113.6")
        assert ACCOUNT_WAIT in _text(stranger)
        assert _login(owner, "teacher", "jiaoyan-demo", "203.0.113.5").status_code == 302
        # A forged or another account's cookie is worth nothing.
        forged = Client()
        forged.cookies[login_limits.DEVICE_COOKIE] = "teacher"
        assert ACCOUNT_WAIT in _text(_login(forged, "teacher", "jiaoyan-demo", "203.0.113.7"))


def test_spraying_many_accounts_from_one_address_is_refused(world, settings):
    settings.LOGIN_ADDRESS_FAILURES = 8
    with time_machine.travel(T0, tick=False) as clock:
        for i in range(8):
            resp = _login(Client(), f"guess{i}", "123456", "203.0.113.77")
            assert NETWORK_WAIT not in _text(resp)
        refused = _login(Client(), "principal", "jiaoyan-demo", "203.0.113.77")
        assert NETWORK_WAIT in _text(refused) and "_auth_user_id" not in Client().session
        # Other addresses are not affected, and the address is free after the window.
        assert _login(Client(), "principal", "jiaoyan-demo", "203.0.113.78").status_code == 302
        clock.shift(settings.LOGIN_LIMIT_WINDOW + 1)
        assert _login(Client(), "principal", "jiaoyan-demo", "203.0.113.77").status_code == 302


def test_attempts_being_checked_count_before_they_finish(world, rf, settings):
    """Insert, then count: two guesses in flight at once see each other."""
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 2
    with time_machine.travel(T0, tick=False) as clock:
        _spray("teacher", 2)
        clock.shift(5)
        first = login_limits.begin(rf.post("/accounts/login/"), "teacher")  # still pending
        with pytest.raises(login_limits.LoginRefused):
            login_limits.begin(rf.post("/accounts/login/"), "Teacher ")
        login_limits.finish(first, succeeded=False)
    assert list(LoginAttempt.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "failed",
        "failed",
        "failed",
        "refused",
    ]


def test_old_attempts_are_pruned_by_the_hourly_job(world):
    with time_machine.travel(T0, tick=False):
        _spray("teacher", 3)
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        _spray("principal", 1)
    with time_machine.travel(T0 + dt.timedelta(days=1, minutes=30), tick=False):
        job = start_job(PRUNE_LOGIN_ATTEMPTS)
        execute(job.pk)  # a no-op where the test backend already ran it
        job.refresh_from_db()
        assert job.result == {"deleted": 3}
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["principal"]
