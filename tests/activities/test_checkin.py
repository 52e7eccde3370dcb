"""Check-in codes: rotating, expiring, not guessable; late marks; double check-in."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.activities import codes, services
from jiaoyan.activities.models import CheckinFailure, Participation, Venue
from jiaoyan.core.errors import ServiceError

from .conftest import main_venue, wrong_code


def _sub(a):
    return a.venues.get(is_main=False)


def _distinct_secret(venue, first: dt.datetime) -> str:
    """A secret (from a seeded generator) whose codes of the window of ``first`` and the
    next one differ: any one secret has a one-in-a-million chance that they coincide."""
    rng = random.Random(20261206)
    w = codes._window(first)
    while True:
        secret = f"{rng.getrandbits(160):040x}"
        if codes.code_for(secret, venue.pk, w) != codes.code_for(secret, venue.pk, w + 1):
            return secret


def test_the_code_rotates_and_an_old_one_is_expired(world, published):
    venue = _sub(published)
    start = published.starts_at
    first = start - dt.timedelta(minutes=5)
    Venue.objects.filter(pk=venue.pk).update(checkin_secret=_distinct_secret(venue, first))
    venue.refresh_from_db()
    with time_machine.travel(first, tick=False):
        code, expires = codes.current_code(venue)
        assert codes.verify(venue, code) == codes.VALID
        assert code == codes.code_for(venue.checkin_secret, venue.pk, codes._window(first))
    # One window later the previous code still works (grace for the QR just scanned)…
    with time_machine.travel(first + dt.timedelta(seconds=codes.PERIOD), tick=False):
        assert codes.verify(venue, code) == codes.VALID
        # … while the page already shows the next window's code, a different one.
        current, later = codes.current_code(venue)
        assert current != code
        assert current == codes.code_for(venue.checkin_secret, venue.pk, codes._window(first) + 1)
        assert later == expires + dt.timedelta(seconds=codes.PERIOD)
    # …three windows later it has expired.
    with time_machine.travel(
        start - dt.timedelta(minutes=5) + dt.timedelta(seconds=3 * codes.PERIOD), tick=False
    ):
        assert codes.verify(venue, code) == codes.EXPIRED
        with pytest.raises(ServiceError, match="过期"):
            services.check_in(actor=world.users["teacher"], activity=published, code=code)
    assert CheckinFailure.objects.filter(user=world.users["teacher"]).count() == 1


def test_codes_differ_between_venues_and_windows(world, published):
    main, sub = main_venue(published), _sub(published)
    seen = {codes.code_for(sub.checkin_secret, sub.pk, w) for w in range(200)}
    assert len(seen) > 190  # practically never repeats
    assert codes.code_for(main.checkin_secret, main.pk, 5) != codes.code_for(
        sub.checkin_secret, sub.pk, 5
    )
    assert codes.normalise("１２３ ４５６") == "123456"


def test_check_in_on_time_late_and_twice(world, published):
    teacher = world.users["teacher"]
    venue = _sub(published)
    with time_machine.travel(published.starts_at + dt.timedelta(minutes=3), tick=False):
        code, _ = codes.current_code(venue)
        part, new = services.check_in(actor=teacher, activity=published, code=code)
        assert new and part.attendance == "present" and part.venue == venue
        again, new = services.check_in(actor=teacher, activity=published, code=f" {code} ")
        assert not new and again.checked_in_at == part.checked_in_at
    published.refresh_from_db()
    assert published.checked_in_count == 1
    assert published.status == "in_progress"  # the first check-in starts it


def test_late_check_in_is_marked_late(world, published):
    with time_machine.travel(published.starts_at + dt.timedelta(minutes=25), tick=False):
        code, _ = codes.current_code(main_venue(published))
        part, _new = services.check_in(actor=world.users["teacher"], activity=published, code=code)
    assert part.attendance == "late"
    assert part.venue == main_venue(published)  # checked in where they actually are


def test_wrong_codes_are_rate_limited(world, published):
    teacher = world.users["teacher"]
    with time_machine.travel(published.starts_at, tick=False):
        real, _ = codes.current_code(_sub(published))
        wrong = wrong_code(published, real)
        for _i in range(codes.MAX_FAILURES):
            with pytest.raises(ServiceError, match="错误"):
                services.check_in(actor=teacher, activity=published, code=wrong)
        with pytest.raises(ServiceError, match="次数过多"):
            services.check_in(actor=teacher, activity=published, code=real)
    with time_machine.travel(
        published.starts_at + codes.FAILURE_WINDOW + dt.timedelta(minutes=1), tick=False
    ):
        real, _ = codes.current_code(_sub(published))
        _part, new = services.check_in(actor=teacher, activity=published, code=real)
        assert new


def test_check_in_window_and_state(world, published):
    teacher = world.users["teacher"]
    venue = _sub(published)
    with time_machine.travel(published.starts_at - dt.timedelta(hours=3), tick=False):
        code, _ = codes.current_code(venue)
        with pytest.raises(ServiceError, match="开放"):
            services.check_in(actor=teacher, activity=published, code=code)
    with time_machine.travel(published.ends_at + dt.timedelta(hours=2), tick=False):
        code, _ = codes.current_code(venue)
        with pytest.raises(ServiceError, match="结束"):
            services.check_in(actor=teacher, activity=published, code=code)
    assert not Participation.objects.filter(checked_in_at__isnull=False).exists()
    assert not CheckinFailure.objects.exists()  # refusals that are not wrong codes don't count


def test_someone_not_invited_cannot_check_in(world, published):
    services.invite(
        actor=world.users["district_researcher"],
        activity=published,
        person_ids=[world.people["principal"].pk],
    )
    services.decline(actor=world.users["principal"], activity=published, reason="出差")
    # A decliner who turns up after all is welcome: checking in revives them.
    with time_machine.travel(published.starts_at, tick=False):
        code, _ = codes.current_code(main_venue(published))
        part, _new = services.check_in(
            actor=world.users["principal"], activity=published, code=code
        )
    assert part.status == "registered" and part.attended


def test_now_is_used_when_no_time_is_given(world, published):
    _code, expires = codes.current_code(main_venue(published))
    assert expires > timezone.now()


def test_an_attempt_is_counted_before_its_code_is_checked(world, published, monkeypatch):
    """Guesses sent in parallel cannot all slip under the limit: when a code is checked,
    its own attempt is already among the counted ones (insert, then count — not count,
    then insert); a successful check-in takes its attempt back."""
    from jiaoyan.activities.models import CheckinFailure

    teacher = world.users["teacher"]
    seen = []
    verify = codes.verify

    def spy(venue, code, now=None):
        seen.append(CheckinFailure.objects.filter(user=teacher).count())
        return verify(venue, code, now)

    monkeypatch.setattr(codes, "verify", spy)
    with time_machine.travel(published.starts_at, tick=False):
        real, _ = codes.current_code(_sub(published))
        wrong = wrong_code(published, real)
        seen.clear()
        with pytest.raises(ServiceError, match="错误"):
            services.check_in(actor=teacher, activity=published, code=wrong)
        assert seen and set(seen) == {1}  # the attempt being checked is counted already
        services.check_in(actor=teacher, activity=published, code=real)
    assert CheckinFailure.objects.filter(user=teacher).count() == 1  # the success is not
