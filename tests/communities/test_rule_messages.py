"""Every rule of issue 12's "Rules and bad input", one by one: the violation is refused
with the Chinese message naming the rule, and nothing at all is written (no community,
membership, task, pairing row, nor audit row). Where the bureau may relax a rule, the
relaxed rule lets the same write through."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from jiaoyan.communities import services
from jiaoyan.communities.models import Kind
from jiaoyan.core.errors import ServiceError
from jiaoyan.pairing import services as pairing_services
from jiaoyan.pairing.models import PersonSent
from tests.support import CJK, zh

from .conftest import END, START, YEAR, make_studio

pytestmark = pytest.mark.usefixtures("chinese")

APPS = {"communities", "pairing", "core"}


def _rows() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in APPS
        and m._meta.label not in ("core.Notification", "core.Job")  # not written either way
    }


def refused(message: str, fn, **kw) -> ServiceError:
    """``fn(**kw)`` is refused with ``message`` (in Chinese) and writes nothing."""
    before = _rows()
    with pytest.raises(ServiceError) as e:
        fn(**kw)
    assert CJK.search(e.value.text), e.value.text
    assert e.value.text == message
    assert _rows() == before
    return e.value


def _consortium(w, code, leading, **kw):
    return services.create_community(
        actor=w.users["district_researcher"],
        kind=Kind.CONSORTIUM,
        org_unit=w.units["linwei_institute"],
        name=f"{leading.name}教育联合体",
        code=code,
        start_on=START,
        end_on=END,
        leading_school=leading,
        **kw,
    )


# --- communities ----------------------------------------------------------------------------


def test_a_communitys_period_is_valid(world, studio):
    message = zh("The period is invalid: a community's period must end after it starts.")
    refused(message, make_studio, w=world, code="MS-X", start_on=END, end_on=START)
    refused(
        message,
        services.update_community,
        actor=world.users["district_researcher"],
        community=studio,
        data={"end_on": START - dt.timedelta(days=1)},
    )


def test_a_person_leads_at_most_one_studio_at_a_level(world, studio):
    message = zh(
        "A person leads at most one teacher studio at a level: %(name)s already leads "
        "one at this level.",
        name="张老师",
    )
    refused(message, make_studio, w=world, code="MS-LW-002")
    # A studio of another level is no violation: one studio led per level.
    city = make_studio(
        world, code="MS-CITY", unit="city_institute", actor=world.users["city_admin"]
    )
    assert city.level == "city"


def test_membership_dates_fit_the_period(world, studio):
    message = zh(
        "Membership dates must fit the community's period (%(start)s to %(end)s), "
        "and a member leaves after joining.",
        start=START,
        end=END,
    )
    for day in (START - dt.timedelta(days=1), END + dt.timedelta(days=1)):
        refused(
            message,
            services.add_member,
            actor=world.users["district_researcher"],
            community=studio,
            person=world.people["teacher_b"],
            joined_on=day,
        )
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START + dt.timedelta(days=10),
    )
    refused(
        zh(
            "Membership dates must fit the community's period: some members joined or "
            "left outside the new period."
        ),
        services.update_community,
        actor=world.users["district_researcher"],
        community=studio,
        data={"start_on": START + dt.timedelta(days=20)},
    )


def test_a_school_is_in_one_consortium_of_a_level_unless_the_bureau_relaxes_it(world):
    a, b = world.schools["school_a"].org_unit, world.schools["school_b"].org_unit
    first = _consortium(world, "MX-LW-001", a)
    services.add_member(actor=world.users["district_researcher"], community=first, school=b)
    message = zh(
        "A school is in at most one school consortium of a level at once: %(name)s "
        "already belongs to one at this level.",
        name=b.name,
    )
    refused(
        message,
        _consortium,
        w=world,
        code="MX-LW-002",
        leading=b,
    )
    services.save_policy(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        kind=Kind.CONSORTIUM,
        target_share=40,
        max_per_person=1,
        allow_several_consortia=True,
    )
    assert _consortium(world, "MX-LW-002", b).member_count == 1


def test_a_member_comes_from_the_owning_units_area(world, studio):
    message = zh(
        "A member must come from the owning unit's area (%(unit)s); only the bureau "
        "can invite from beyond it.",
        unit="临渭区",
    )
    refused(
        message,
        services.add_member,
        actor=world.users["city_admin"],
        community=studio,
        person=world.people["teacher_c"],
    )
    refused(
        zh("Only a bureau admin of the owning unit can invite a member from beyond it."),
        services.add_member,
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_c"],
        across=True,
    )
    # The bureau invites across explicitly (audited).
    m = services.add_member(
        actor=world.users["city_admin"],
        community=studio,
        person=world.people["teacher_c"],
        across=True,
    )
    assert m.across


# --- pairing ----------------------------------------------------------------------------------


def _pairing(w, **kw):
    args = {
        "actor": w.users["city_admin"],
        "title": "临渭一中帮扶华州一小",
        "helping": w.schools["school_a"].org_unit.code,
        "helped": w.schools["school_c"].org_unit.code,
        "start_date": dt.date(YEAR - 1, 9, 1),
        "end_date": dt.date(YEAR + 1, 8, 31),
    }
    return pairing_services.create_pairing(**{**args, **kw})


def test_a_pairings_two_sides_differ(world):
    refused(
        zh("A pairing needs two different sides: the helping and the helped unit are the same."),
        _pairing,
        w=world,
        helped=world.schools["school_a"].org_unit.code,
    )


def test_a_pairings_period_is_valid(world):
    refused(
        zh("Invalid period: the end date is before the start date."),
        _pairing,
        w=world,
        start_date=dt.date(YEAR, 9, 1),
        end_date=dt.date(YEAR, 8, 31),
    )


def test_funds_are_positive_amounts(world):
    p = _pairing(world)
    fund = pairing_services.add_fund(
        actor=world.users["city_admin"], pairing=p, amount="100", date=p.start_date, purpose="书"
    )
    message = zh("The amount of a fund must be positive.")
    for bad in ("0", "-20"):
        refused(
            message,
            pairing_services.add_fund,
            actor=world.users["city_admin"],
            pairing=p,
            amount=bad,
            date=p.start_date,
            purpose="图书",
        )
        refused(
            message,
            pairing_services.update_fund,
            actor=world.users["city_admin"],
            fund=fund,
            data={"amount": bad},
        )


def test_people_sent_fit_the_pairings_period(world):
    p = _pairing(world)
    refused(
        zh("The dates of a person sent lie within the pairing's period."),
        pairing_services.add_person_sent,
        actor=world.users["city_admin"],
        pairing=p,
        person="T002",
        role=PersonSent.Role.SUPPORT_TEACHING,
        start_date=p.start_date - dt.timedelta(days=1),
        end_date=p.end_date,
    )
