"""Selection rounds of outcomes: a school recommends to its county within its quota, the
county to the city, the city selects with experts' scores (never of the outcome's own
unit), announces, and the authors are told; every rule's refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Notification
from jiaoyan.outcomes import rounds
from jiaoyan.outcomes.models import Entry, ExpertScore, Outcome
from tests.outcomes.conftest import make_outcome, make_round

pytestmark = [pytest.mark.django_db(transaction=False)]


def _chain(w, r, o):
    """School → county → (city receives)."""
    school = rounds.recommend(actor=w.users["principal"], round=r, outcome=o)
    county = rounds.recommend(actor=w.users["district_researcher"], round=r, outcome=o)
    return school, county


def test_the_chain_goes_school_county_city(world, outcome, open_round):
    school, county = _chain(world, open_round, outcome)
    assert school.level == "school" and school.to_unit == world.units["linwei"]
    assert county.level == "county" and county.to_unit == world.units["city"]
    assert county.source == school
    city = rounds.recommend(actor=world.users["city_admin"], round=open_round, outcome=outcome)
    assert city.level == "city" and city.to_unit is None


def test_the_school_quota_holds(world, open_round):
    outcomes = [make_outcome(world, title=f"案例{n}") for n in range(3)]
    for o in outcomes[:2]:
        rounds.recommend(actor=world.users["principal"], round=open_round, outcome=o)
    with pytest.raises(ServiceError) as e:
        rounds.recommend(actor=world.users["principal"], round=open_round, outcome=outcomes[2])
    assert e.value.rule == "over_quota"
    assert Entry.objects.count() == 2


def test_wrong_kind_and_not_sent_here_are_refused(world, open_round):
    paper = make_outcome(world, kind="paper", title="论文")
    with pytest.raises(ServiceError) as e:
        rounds.recommend(actor=world.users["principal"], round=open_round, outcome=paper)
    assert e.value.rule == "wrong_kind"
    case = make_outcome(world, title="未推荐的案例")
    with pytest.raises(ServiceError) as e:
        rounds.recommend(actor=world.users["district_researcher"], round=open_round, outcome=case)
    assert e.value.rule == "not_your_level"
    assert Entry.objects.count() == 0


def test_a_teacher_does_not_recommend(world, outcome, open_round):
    with pytest.raises(ServiceError):
        rounds.recommend(actor=world.users["teacher"], round=open_round, outcome=outcome)
    with pytest.raises((ServiceError, PermissionDenied)):
        rounds.recommend(actor=world.users["outsider"], round=open_round, outcome=outcome)
    assert Entry.objects.count() == 0


def test_the_city_does_not_see_what_schools_sent_their_county(world, outcome, open_round):
    school = rounds.recommend(actor=world.users["principal"], round=open_round, outcome=outcome)
    assert (
        Entry.objects.visible_to(world.users["district_researcher"]).filter(pk=school.pk).exists()
    )
    assert not Entry.objects.visible_to(world.users["city_admin"]).filter(pk=school.pk).exists()


def test_withdraw_only_until_selected_above(world, outcome, open_round):
    school, county = _chain(world, open_round, outcome)
    with pytest.raises(ServiceError) as e:
        rounds.withdraw(actor=world.users["principal"], entry=school)
    assert e.value.rule == "selected_above"
    rounds.withdraw(actor=world.users["district_researcher"], entry=county)
    rounds.withdraw(actor=world.users["principal"], entry=school)
    assert Entry.objects.filter(withdrawn_at__isnull=True).count() == 0


def test_experts_score_and_the_rules_hold(world, outcome, open_round):
    _school, county = _chain(world, open_round, outcome)
    admin = world.users["city_admin"]
    for key in ("teacher", "principal"):  # an author; of the outcome's own unit
        with pytest.raises(ServiceError) as e:
            rounds.assign_expert(actor=admin, entry=county, expert=world.people[key])
        assert e.value.rule in ("author", "own_unit")
    a = rounds.assign_expert(actor=admin, entry=county, expert=world.people["outsider"])
    b = rounds.assign_expert(actor=admin, entry=county, expert=world.people["district_researcher"])
    with pytest.raises(ServiceError) as e:
        rounds.assign_expert(actor=admin, entry=county, expert=world.people["outsider"])
    assert e.value.rule == "duplicate"
    assert ExpertScore.objects.count() == 2
    rounds.score(actor=world.users["outsider"], expert_score=a, score="90", comment="好")
    rounds.score(actor=world.users["district_researcher"], expert_score=b, score=81)
    county.refresh_from_db()
    assert county.score == Decimal("85.50")
    with pytest.raises(PermissionDenied):
        rounds.score(actor=world.users["outsider"], expert_score=b, score=10)
    with pytest.raises(ServiceError) as e:
        rounds.score(actor=world.users["outsider"], expert_score=a, score=101)
    assert e.value.field == "score"
    assert ExpertScore.objects.get(pk=b.pk).score == Decimal("81.00")
    # the outsider sees the entry through their score only, not the entry
    assert ExpertScore.objects.visible_to(world.users["outsider"]).filter(pk=a.pk).exists()
    assert not ExpertScore.objects.visible_to(world.users["outsider"]).filter(pk=b.pk).exists()


def test_announce_after_closing_honours_and_tells_the_authors(
    world, outcome, open_round, django_capture_on_commit_callbacks
):
    _chain(world, open_round, outcome)
    with pytest.raises(ServiceError) as e:
        rounds.announce(actor=world.users["city_admin"], round=open_round)
    assert e.value.rule == "round_open"
    later = timezone.now() + dt.timedelta(days=20)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            rounds.announce(actor=world.users["city_admin"], round=open_round)
        honoured = Entry.objects.get(honoured=True)
        assert honoured.level == "county"
        assert Notification.objects.filter(recipient=world.users["teacher"]).exists()
        open_round.refresh_from_db()
        results = rounds.results(world.users["teacher"], open_round)
        assert list(results) == ["county"]
        with pytest.raises(ServiceError):
            rounds.recommend(actor=world.users["principal"], round=open_round, outcome=outcome)


def test_a_round_is_run_by_a_county_city_or_province(world):
    with pytest.raises(ServiceError):
        make_round(world, org_unit=world.schools["school_a"].org_unit)
    with pytest.raises(ServiceError) as e:
        make_round(
            world,
            opens_on=timezone.localdate(),
            closes_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert e.value.field == "closes_on"


def test_a_selected_outcome_is_seen_throughout_the_region(world, outcome, open_round):
    from tests.conftest import make_person

    other = make_person(
        "T103",
        "邻校校长",
        world.schools["school_b"].org_unit,
        role="principal",
        username="principal_b",
    ).user
    outside = world.users["outsider"]
    _chain(world, open_round, outcome)
    assert not Outcome.objects.visible_to(other).filter(pk=outcome.pk).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=20), tick=False):
        rounds.announce(actor=world.users["city_admin"], round=open_round)
    # honoured at county level: 临渭区 sees it, 华州区 does not
    assert Outcome.objects.visible_to(other).filter(pk=outcome.pk).exists()
    assert not Outcome.objects.visible_to(outside).filter(pk=outcome.pk).exists()
