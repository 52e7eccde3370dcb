"""Outcomes: creating, editing, files through the guarded path, promotion and adoption,
and every refusal with its Chinese message and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.outcomes import services
from jiaoyan.outcomes.models import Adoption, Outcome, OutcomeFile, Promotion
from tests.outcomes.conftest import PDF, make_outcome

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def test_teacher_submits_an_outcome_authored_by_themselves(world):
    o = make_outcome(world)
    assert list(o.authors.all()) == [world.people["teacher"]]
    assert Outcome.objects.visible_to(world.users["teacher"]).filter(pk=o.pk).exists()
    assert Outcome.objects.visible_to(world.users["city_admin"]).filter(pk=o.pk).exists()
    assert not Outcome.objects.visible_to(world.users["outsider"]).filter(pk=o.pk).exists()


def test_an_author_elsewhere_sees_their_outcome(world):
    o = make_outcome(world, actor="principal", authors=[world.people["teacher_c"]])
    from jiaoyan.people.models import User

    u = User.objects.create_user(username="chen", password="x-x-x-x-1")
    world.people["teacher_c"].user = u
    world.people["teacher_c"].save()
    assert Outcome.objects.visible_to(u).filter(pk=o.pk).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "poem", "请选择成果类型。"),
        ("title", "  ", "标题不能为空。"),
        ("year", 1800, "年份应为 2000 至 2100 之间的年份。"),
    ],
)
def test_bad_input_is_refused_with_its_message(world, field, value, message):
    data = {"kind": "case", "title": "案例", "year": 2025, field: value}
    with pytest.raises(ServiceError) as e:
        services.create_outcome(
            actor=world.users["teacher"], org_unit=world.schools["school_a"].org_unit, **data
        )
    assert e.value.field == field
    assert message in e.value.text
    assert Outcome.objects.count() == 0


def test_outside_its_scope_nothing_is_created(world):
    with pytest.raises(PermissionDenied):
        make_outcome(world, unit=world.schools["school_c"].org_unit)
    assert Outcome.objects.count() == 0


def test_file_is_typed_by_content_and_a_script_is_refused(world, outcome):
    row = services.attach_file(
        actor=world.users["teacher"], outcome=outcome, file=SimpleUploadedFile("案例.pdf", PDF)
    )
    assert row.content_type == "application/pdf"
    with pytest.raises(ServiceError):
        services.attach_file(
            actor=world.users["teacher"],
            outcome=outcome,
            file=SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script></html>"),
        )
    assert OutcomeFile.objects.count() == 1


def test_edit_keeps_the_version(world, outcome):
    services.update_outcome(
        actor=world.users["teacher"],
        outcome=outcome,
        data={"title": "新标题"},
        expected_version=outcome.version,
    )
    with pytest.raises(ServiceError):
        services.update_outcome(
            actor=world.users["teacher"],
            outcome=outcome,
            data={"title": "旧表单"},
            expected_version=outcome.version,
        )
    assert Outcome.objects.get(pk=outcome.pk).title == "新标题"


def test_promotion_and_adoption(world, outcome):
    today = timezone.localdate()
    p = services.record_promotion(
        actor=world.users["district_researcher"],
        outcome=outcome,
        org_unit=world.schools["school_b"].org_unit,
        date=today,
        event="临渭区分层作业现场会",
        participants=80,
        demonstration=True,
    )
    assert p.participants == 80
    a = services.record_adoption(
        actor=world.users["city_admin"],
        outcome=outcome,
        org_unit=world.schools["school_b"].org_unit,
        adopted_on=today,
        feedback="学生作业时间明显下降",
        rating=5,
    )
    assert a.rating == 5


def test_adoption_rules(world, outcome):
    today = timezone.localdate()
    with pytest.raises(ServiceError) as e:
        services.record_adoption(
            actor=world.users["principal"],
            outcome=outcome,
            org_unit=world.schools["school_a"].org_unit,
            adopted_on=today,
        )
    assert e.value.rule == "own_unit"
    assert "不能由本单位" in e.value.text
    b = world.schools["school_b"].org_unit
    services.record_adoption(
        actor=world.users["city_admin"], outcome=outcome, org_unit=b, adopted_on=today
    )
    with pytest.raises(ServiceError) as e:
        services.record_adoption(
            actor=world.users["city_admin"], outcome=outcome, org_unit=b, adopted_on=today
        )
    assert e.value.rule == "duplicate"
    with pytest.raises(ServiceError) as e:
        services.record_adoption(
            actor=world.users["city_admin"],
            outcome=outcome,
            org_unit=world.schools["school_c"].org_unit,
            adopted_on=today + dt.timedelta(days=3),
        )
    assert e.value.field == "adopted_on"
    assert Adoption.objects.count() == 1


def test_promotion_needs_an_event_or_activity(world, outcome):
    with pytest.raises(ServiceError) as e:
        services.record_promotion(
            actor=world.users["district_researcher"],
            outcome=outcome,
            org_unit=world.schools["school_b"].org_unit,
            date=timezone.localdate(),
        )
    assert e.value.field == "event"
    assert Promotion.objects.count() == 0


def test_outsider_cannot_promote(world, outcome):
    with pytest.raises(PermissionDenied):
        services.record_promotion(
            actor=world.users["outsider"],
            outcome=outcome,
            org_unit=world.schools["school_c"].org_unit,
            date=timezone.localdate(),
            event="x",
        )
    assert Promotion.objects.count() == 0


def test_a_recommended_outcome_cannot_be_deleted(world, outcome, open_round):
    from jiaoyan.outcomes import rounds

    rounds.recommend(actor=world.users["principal"], round=open_round, outcome=outcome)
    with pytest.raises(ServiceError) as e:
        services.delete_outcome(actor=world.users["teacher"], outcome=outcome)
    assert e.value.rule == "recommended"
    assert Outcome.objects.filter(pk=outcome.pk).exists()
