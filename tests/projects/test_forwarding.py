"""区县推荐: a call whose applications the counties forward. A school's application waits
for its county; the county's researcher forwards it within the county's quota (the quota
counts forwarded applications); the city cannot review an application not forwarded, nor
forward for the county; a school cannot forward its own. Each refusal has its Chinese
message and writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.projects import services

from .conftest import apply, make_call
from .test_services import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


@pytest.fixture
def fcall(world, today):
    call = make_call(world, quota=5, forwarding=True)
    services.set_call_quota(
        actor=world.users["city_admin"], call=call, unit=world.units["linwei"].pk, quota=1
    )
    return call


def test_the_county_forwards_within_its_quota(world, fcall, experts):
    w = world
    first = apply(w, fcall, title="课题一")
    second = apply(w, fcall, actor="principal", title="课题二")  # applying is not limited
    assert (first.forwarded_on, second.forwarded_on) == (None, None)
    # Not forwarded: the city cannot assign experts yet.
    text = refused(
        services.assign_experts,
        "not_forwarded",
        actor=w.users["city_admin"],
        project=first,
        experts=[experts[0].pk],
    )
    assert text == "“课题一”还没有经区县推荐。"
    # The city does not forward for the county, nor the school for itself.
    for who in ("city_admin", "principal", "outsider"):
        with pytest.raises(PermissionDenied):
            services.forward(actor=w.users[who], project=first)
    p = services.forward(actor=w.users["district_researcher"], project=first)
    assert p.forwarded_on is not None
    text = refused(
        services.forward, "forwarded", actor=w.users["district_researcher"], project=first
    )
    assert text == "“课题一”已推荐过了。"
    text = refused(
        services.forward, "over_quota", actor=w.users["district_researcher"], project=second
    )
    assert text == "临渭区的申报名额已用完（已申报 1 项，名额 1 项）。"
    # Once forwarded, the city reviews it.
    reviews = services.assign_experts(
        actor=w.users["city_admin"], project=first, experts=[experts[0].pk]
    )
    assert len(reviews) == 1


def test_a_call_without_forwarding_has_nothing_to_forward(world, call):
    p = apply(world, call)
    text = refused(
        services.forward, "no_forwarding", actor=world.users["district_researcher"], project=p
    )
    assert text == "这项申报直接报送立项单位，无需推荐。"


def test_forwarding_fixed_once_applied(world, fcall):
    apply(world, fcall)
    with pytest.raises(ServiceError) as e:
        services.update_call(
            actor=world.users["city_admin"], call=fcall, data={"forwarding": False}
        )
    assert e.value.text == "已有申报，不能再改变是否由区县推荐。"
    fcall.refresh_from_db()
    assert fcall.forwarding is True


def test_forwarding_through_the_call_page(world, client_for, fcall):
    p = apply(world, fcall)
    county = client_for(world.users["district_researcher"])
    page = county.get(f"/projects/calls/{fcall.pk}/").content.decode()
    assert f'data-testid="forward-{p.pk}"' in page
    city = client_for(world.users["city_admin"]).get(f"/projects/calls/{fcall.pk}/")
    assert f'data-testid="forward-{p.pk}"' not in city.content.decode()
    r = county.post(f"/projects/{p.pk}/forward/", follow=True)
    assert "申报已推荐" in r.content.decode()
    p.refresh_from_db()
    assert p.forwarded_on is not None
    # The school's teacher may not forward (the service refuses; nothing written).
    other = apply(world, fcall, actor="principal", title="课题二")
    r = client_for(world.users["teacher"]).post(f"/projects/{other.pk}/forward/")
    assert r.status_code == 403
    other.refresh_from_db()
    assert other.forwarded_on is None
