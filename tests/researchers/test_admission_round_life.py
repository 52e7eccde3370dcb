"""Admission, the rest of a round's life: a draft round is deleted (only a draft, only by
who may change it, POST only); an exited researcher who applies again and is appointed
serves on the same profile, her history kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.roles import Role
from jiaoyan.people.models import RoleAssignment
from jiaoyan.researchers import services as researcher_services
from jiaoyan.researchers import services_admission as services
from jiaoyan.researchers.models import (
    AdmissionApplication,
    AdmissionRound,
    ResearcherProfile,
    RoleChange,
)
from tests.researchers.admission_helpers import make_round, qualify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def test_a_draft_round_is_deleted_by_its_bureau_only(world, client_for):
    draft = make_round(world, publish=False)
    # Another district's admin cannot (its round is out of sight: 404, nothing deleted).
    outsider = client_for(world.users["outsider"])
    assert outsider.post(f"/researchers/admission/{draft.pk}/delete/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.delete_round(actor=world.users["outsider"], round=draft)
    admin = client_for(world.users["city_admin"])
    body = admin.get(f"/researchers/admission/{draft.pk}/").content.decode()
    assert 'data-testid="delete-round"' in body
    assert admin.get(f"/researchers/admission/{draft.pk}/delete/").status_code == 405
    assert AdmissionRound.objects.filter(pk=draft.pk).exists()
    r = admin.post(f"/researchers/admission/{draft.pk}/delete/")
    assert r.status_code == 302
    assert not AdmissionRound.objects.filter(pk=draft.pk).exists()


def test_a_published_round_is_not_deleted(world, client_for):
    rnd = make_round(world)
    with pytest.raises(ServiceError) as e:
        services.delete_round(actor=world.users["city_admin"], round=rnd)
    assert e.value.text == "只能删除草稿状态的准入轮次；已发布的请改为截止报名。"
    admin = client_for(world.users["city_admin"])
    body = admin.get(f"/researchers/admission/{rnd.pk}/").content.decode()
    assert 'data-testid="delete-round"' not in body
    r = admin.post(f"/researchers/admission/{rnd.pk}/delete/", follow=True)
    assert "只能删除草稿状态的准入轮次" in r.content.decode()
    assert AdmissionRound.objects.filter(pk=rnd.pk).exists()


def test_an_exited_researcher_reappointed_keeps_her_profile(world):
    admin = world.users["city_admin"]
    her = world.people["district_researcher"]
    profile = researcher_services.create_profile(
        actor=admin, person=her, org_unit=world.units["linwei_institute"], since=dt.date(2019, 9, 1)
    )
    researcher_services.exit_researcher(
        actor=admin, profile=profile, reason="request", date=dt.date(2025, 6, 1)
    )
    assert not RoleAssignment.objects.filter(person=her, role=Role.RESEARCHER, is_active=True)

    rnd = make_round(world)
    qualify(her)
    app = services.apply(actor=world.users["district_researcher"], round=rnd, statement="再次申请")
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=90)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    app = services.decide_application(
        actor=admin,
        application=app,
        appoint=True,
        reasons="符合条件",
        start_date=dt.date(2025, 6, 20),
    )
    assert app.status == AdmissionApplication.Status.APPOINTED
    # One profile: the same row, serving again from the new start; the exit stays on it.
    assert ResearcherProfile.objects.filter(person=her).count() == 1
    again = ResearcherProfile.objects.get(person=her)
    assert again.pk == profile.pk
    assert again.status == ResearcherProfile.Status.ACTIVE
    assert again.since == dt.date(2025, 6, 20)
    assert again.exited_on is None
    assert [s.name for s in again.subjects.all()] == ["数学"]
    assert list(RoleChange.objects.filter(profile=again).values_list("kind", flat=True)) == [
        RoleChange.Kind.EXIT
    ]
    assert RoleAssignment.objects.filter(person=her, role=Role.RESEARCHER, is_active=True).exists()


def test_a_serving_researcher_is_not_appointed_twice(world):
    admin = world.users["city_admin"]
    her = world.people["district_researcher"]
    profile = researcher_services.create_profile(
        actor=admin, person=her, org_unit=world.units["linwei_institute"]
    )
    with pytest.raises(ServiceError) as e:
        researcher_services.reactivate_profile(
            actor=admin, profile=profile, org_unit=world.units["linwei_institute"]
        )
    assert "已有教研员档案" in e.value.text
