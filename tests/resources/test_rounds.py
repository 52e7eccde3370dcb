"""Recommendation rounds (评优/推荐): the chain school → county → city within quotas, what
each level sees, the rules that refuse (with nothing written), withdrawal, and the
announcement that marks honours and tells the authors."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Notification
from jiaoyan.orgs.models import Subject
from jiaoyan.resources import rounds, services
from jiaoyan.resources.models import CurriculumNode, Honour, Recommendation
from tests.conftest import make_person

from .conftest import reviewed, submitted
from .scope_cases import _hz_principal, huazhou_resource

pytestmark = pytest.mark.usefixtures("chinese")

TZ = dt.timezone(dt.timedelta(hours=8))
DURING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
BEFORE = dt.datetime(2026, 2, 20, 10, 0, tzinfo=TZ)
AFTER = dt.datetime(2026, 4, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def during():
    with time_machine.travel(DURING, tick=False) as t:
        yield t


def published(w, title="一元二次方程的解法教学设计", **kwargs):
    r, _review = reviewed(w, title=title, **kwargs)
    return services.decide(actor=w.users["principal"], resource=r, decision="publish")


def city_round(w, **kwargs):
    data = {
        "org_unit": w.units["city_bureau"],
        "title": "2026 优课",
        "kinds": ["lesson_design", "micro_lesson"],
        "opens_on": dt.date(2026, 3, 1),
        "closes_on": dt.date(2026, 3, 31),
        "school_quota": 2,
        "county_quota": 1,
        "city_quota": 1,
    }
    data.update(kwargs)
    return rounds.create_round(actor=w.users["city_admin"], **data)


def refused(code, call, **kwargs):
    before = (
        Recommendation.objects.count(),
        Recommendation.objects.filter(withdrawn_at__isnull=True).count(),
    )
    with pytest.raises(ServiceError) as e:
        call(**kwargs)
    assert e.value.rule == code, e.value.text
    after = (
        Recommendation.objects.count(),
        Recommendation.objects.filter(withdrawn_at__isnull=True).count(),
    )
    assert after == before
    return e.value.text


def test_the_chain_school_county_city_and_the_announced_honours(
    world, during, django_capture_on_commit_callbacks
):
    w = world
    r = city_round(w)
    res = published(w)
    school = rounds.recommend(actor=w.users["principal"], round=r, resource=res, note="推荐")
    assert (school.level, school.org_unit, school.to_unit) == (
        "school",
        w.schools["school_a"].org_unit,
        w.units["linwei"],
    )
    # The county sees what its school sent it; the city does not, yet.
    researcher, city = w.users["district_researcher"], w.users["city_admin"]
    assert list(rounds.received(researcher, r, rounds.round_units(researcher, r))) == [school]
    assert not Recommendation.objects.visible_to(city).filter(pk=school.pk).exists()
    county = rounds.recommend(actor=researcher, round=r, resource=res)
    assert (county.level, county.to_unit, county.source) == ("county", w.units["city"], school)
    assert list(rounds.received(city, r, rounds.round_units(city, r))) == [county]
    final = rounds.recommend(actor=city, round=r, resource=res)
    assert (final.level, final.to_unit, final.source) == ("city", None, county)
    # Announced once closed: the highest level is the honour; the author is told.
    with pytest.raises(ServiceError) as e:
        rounds.announce(actor=city, round=r)
    assert e.value.rule == "round_open"
    during.move_to(AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        rounds.announce(actor=city, round=r)
    honours = rounds.honours(w.users["teacher"], [res.pk])[res.pk]
    assert [(h.level, h.round_id) for h in honours] == [(Honour.CITY, r.pk)]
    note = Notification.objects.get(recipient=w.users["teacher"], title__contains=res.title)
    assert "市优" in note.title and r.title in note.title, note.title
    assert note.url == res.get_absolute_url()
    with pytest.raises(ServiceError):
        rounds.announce(actor=city, round=r)


def test_a_school_level_entry_only_is_a_school_honour(world, during):
    w = world
    r = city_round(w)
    res = published(w)
    rounds.recommend(actor=w.users["principal"], round=r, resource=res)
    during.move_to(AFTER)
    rounds.announce(actor=w.users["city_admin"], round=r)
    assert [h.level for h in rounds.honours(w.users["teacher"], [res.pk])[res.pk]] == ["school"]


def test_over_quota_is_refused_and_a_unit_quota_overrides(world, during):
    w = world
    r = city_round(w, school_quota=1)
    a, b = published(w, title="甲"), published(w, title="乙")
    rounds.recommend(actor=w.users["principal"], round=r, resource=a)
    text = refused("over_quota", rounds.recommend, actor=w.users["principal"], round=r, resource=b)
    assert "临渭区第一初级中学" in text and "1" in text
    rounds.set_unit_quota(
        actor=w.users["city_admin"], round=r, unit=w.schools["school_a"].org_unit, quota=2
    )
    assert rounds.recommend(actor=w.users["principal"], round=r, resource=b).level == "school"
    with pytest.raises(ServiceError):  # below what the school has used
        rounds.set_unit_quota(
            actor=w.users["city_admin"], round=r, unit=w.schools["school_a"].org_unit, quota=1
        )


def test_closed_and_not_yet_open_rounds_take_nothing(world, during):
    w = world
    r = city_round(w)
    res = published(w)
    during.move_to(BEFORE)
    refused("round_closed", rounds.recommend, actor=w.users["principal"], round=r, resource=res)
    during.move_to(AFTER)
    text = refused(
        "round_closed", rounds.recommend, actor=w.users["principal"], round=r, resource=res
    )
    assert "2026-03-31" in text


def test_unpublished_and_wrong_kind_are_refused(world, during):
    w = world
    r = city_round(w, kinds=["micro_lesson"])
    waiting = submitted(
        w, title="待评审", kind="micro_lesson", video_link="https://video.example.cn/a.mp4"
    )
    refused("unpublished", rounds.recommend, actor=w.users["principal"], round=r, resource=waiting)
    design = published(w)
    text = refused(
        "wrong_kind", rounds.recommend, actor=w.users["principal"], round=r, resource=design
    )
    assert design.title in text


def test_one_entry_per_teacher_per_chapter_when_the_rule_is_on(world, during):
    w = world
    node = CurriculumNode.objects.create(
        subject=Subject.objects.get(name="数学"), edition="人教版", name="一元二次方程"
    )
    first = published(w, title="配方法", curriculum_node=node)
    second = published(w, title="公式法", curriculum_node=node)
    strict = city_round(w, title="严格", one_per_teacher_node=True)
    rounds.recommend(actor=w.users["principal"], round=strict, resource=first)
    text = refused(
        "duplicate_teacher_chapter",
        rounds.recommend,
        actor=w.users["principal"],
        round=strict,
        resource=second,
    )
    assert "张老师" in text and "一元二次方程" in text
    loose = city_round(w, title="宽松")
    rounds.recommend(actor=w.users["principal"], round=loose, resource=first)
    assert rounds.recommend(actor=w.users["principal"], round=loose, resource=second)


def test_recommending_for_a_level_that_is_not_yours(world, during):
    w = world
    r = city_round(w)
    res = published(w)
    # A principal does not select for the county; a teacher recommends for no unit.
    refused(
        "not_your_level",
        rounds.recommend,
        actor=w.users["principal"],
        round=r,
        resource=res,
        unit=w.units["linwei"],
    )
    refused("not_your_level", rounds.recommend, actor=w.users["teacher"], round=r, resource=res)
    # The county and the city take only what was recommended to them.
    refused(
        "not_your_level",
        rounds.recommend,
        actor=w.users["district_researcher"],
        round=r,
        resource=res,
    )
    refused("not_your_level", rounds.recommend, actor=w.users["city_admin"], round=r, resource=res)
    # Twice at one level: refused.
    rounds.recommend(actor=w.users["principal"], round=r, resource=res)
    refused("duplicate", rounds.recommend, actor=w.users["principal"], round=r, resource=res)


def test_withdrawal_frees_the_place_until_the_level_above_selected_it(world, during):
    w = world
    r = city_round(w, school_quota=1)
    a, b = published(w, title="甲"), published(w, title="乙")
    entry = rounds.recommend(actor=w.users["principal"], round=r, resource=a)
    with pytest.raises(PermissionDenied):  # only the unit that recommended withdraws
        rounds.withdraw(actor=w.users["district_researcher"], recommendation=entry)
    rounds.withdraw(actor=w.users["principal"], recommendation=entry)
    assert Recommendation.objects.get(pk=entry.pk).withdrawn_at is not None
    again = rounds.recommend(actor=w.users["principal"], round=r, resource=b)
    rounds.recommend(actor=w.users["district_researcher"], round=r, resource=b)
    text = refused(
        "selected_above", rounds.withdraw, actor=w.users["principal"], recommendation=again
    )
    assert "临渭区" in text
    during.move_to(AFTER)
    county = Recommendation.objects.get(round=r, level="county")
    refused(
        "round_closed",
        rounds.withdraw,
        actor=w.users["district_researcher"],
        recommendation=county,
    )


def test_a_county_never_sees_another_countys_recommendations(world, during, api_for):
    w = world
    r = city_round(w)
    mine = rounds.recommend(actor=w.users["principal"], round=r, resource=published(w))
    theirs = rounds.recommend(
        actor=_hz_principal(w).user,
        round=r,
        resource=huazhou_resource(w),
    )
    researcher, outsider = w.users["district_researcher"], w.users["outsider"]
    assert set(Recommendation.objects.visible_to(researcher).filter(round=r)) == {mine}
    assert set(Recommendation.objects.visible_to(outsider).filter(round=r)) == {theirs}
    api = api_for(researcher)
    ids = [e["id"] for e in api.get(f"/api/v1/recommendations?round={r.pk}").json()["items"]]
    assert ids == [mine.pk]
    assert api.get(f"/api/v1/recommendations/{theirs.pk}").status_code == 404
    # Nor select it: it was not recommended to 临渭区.
    refused(
        "not_your_level",
        rounds.recommend,
        actor=researcher,
        round=r,
        resource=theirs.resource,
    )


def test_only_runners_start_and_announce_rounds(world, during):
    w = world
    with pytest.raises(PermissionDenied):
        rounds.create_round(
            actor=w.users["principal"],
            org_unit=w.units["city_bureau"],
            title="x",
            kinds=["slides"],
            opens_on=dt.date(2026, 3, 1),
            closes_on=dt.date(2026, 3, 2),
        )
    with pytest.raises(ServiceError) as e:
        city_round(w, opens_on=dt.date(2026, 3, 31), closes_on=dt.date(2026, 3, 1))
    assert e.value.field == "closes_on"
    with pytest.raises(ServiceError) as e:
        city_round(w, kinds=[])
    assert e.value.field == "kinds"
    r = city_round(w)
    during.move_to(AFTER)
    with pytest.raises(PermissionDenied):
        rounds.announce(actor=w.users["principal"], round=r)
    assert r.announced_at is None


def test_a_second_recommender_of_the_same_school_shares_its_quota(world, during):
    w = world
    make_person(
        "T009", "副校长", w.schools["school_a"].org_unit, role="principal", username="deputy"
    )
    from jiaoyan.people.models import User

    deputy = User.objects.get(username="deputy")
    r = city_round(w, school_quota=1)
    a, b = published(w, title="甲"), published(w, title="乙")
    rounds.recommend(actor=w.users["principal"], round=r, resource=a)
    refused("over_quota", rounds.recommend, actor=deputy, round=r, resource=b)
    assert timezone.localdate() == dt.date(2026, 3, 10)
