"""Recording observations: draft → submitted, immutability and audited corrections,
replies, the activity link, and bad input (a clear Chinese error, nothing saved)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.audit import history
from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.models import Notification
from jiaoyan.core.scope import can
from jiaoyan.observations import services
from jiaoyan.observations.models import (
    Observation,
    ObservationReply,
    ObservationScore,
    TeacherTermStat,
    UnitTermStat,
)
from jiaoyan.observations.queries import observations_for

from .conftest import DAY, observe, scores_at


def test_a_draft_then_submitted(world, rubric):
    obs = observe(world, rubric, submit=False, share=0.8)
    assert obs.status == Observation.Status.DRAFT
    assert obs.org_unit == world.schools["school_a"].org_unit  # the teacher's school
    assert obs.observer == world.users["principal"]
    assert obs.observer_unit == world.schools["school_a"].org_unit
    assert obs.rubric_version == rubric.current
    assert ObservationScore.objects.filter(observation=obs).count() == 14
    # 0.8 of every highest score: 8/10 and 4/5 → 80 points.
    assert obs.total == Decimal("80.00")
    assert all(d["percent"] == 80.0 for d in obs.dimension_results)
    assert not TeacherTermStat.objects.exists()
    services.submit_observation(actor=world.users["principal"], observation=obs)
    obs.refresh_from_db()
    assert obs.status == Observation.Status.SUBMITTED and obs.submitted_at
    stat = TeacherTermStat.objects.get(teacher=world.people["teacher"])
    assert (stat.observations, stat.last_date, stat.total_sum) == (1, DAY, 80.0)
    note = Notification.objects.get(recipient=world.users["teacher"])
    assert note.title == "李校长 听了您的课“一元一次方程”"
    assert note.url == f"/observations/{obs.pk}/"


def test_the_total_is_never_typed(world, rubric):
    obs = observe(world, rubric, submit=False)
    services.update_observation(
        actor=world.users["principal"],
        observation=obs,
        data={"total": Decimal("99")},
        scores=scores_at(rubric, 0.5),
    )
    obs.refresh_from_db()
    assert obs.total == Decimal("50.00")


def test_submitting_needs_every_score(world, rubric):
    obs = observe(world, rubric, submit=False)
    crit = list(
        ObservationScore.objects.filter(observation=obs).values_list("criterion_id", flat=True)
    )
    partial = dict.fromkeys(crit[:2], "")
    services.update_observation(
        actor=world.users["principal"],
        observation=obs,
        data={},
        scores={**dict.fromkeys(crit[2:], "4"), **partial},
    )
    obs.refresh_from_db()
    assert obs.total is None
    with pytest.raises(ServiceError) as e:
        services.submit_observation(actor=world.users["principal"], observation=obs)
    assert "还有 2 个评价要点还没有打分" in e.value.text
    obs.refresh_from_db()
    assert obs.status == Observation.Status.DRAFT


def test_only_the_observer_edits_a_draft_and_nobody_else_sees_it(world, rubric):
    obs = observe(world, rubric, submit=False)
    for name in ("district_researcher", "city_admin", "teacher"):
        assert not can(world.users[name], "change", obs)
        assert not observations_for(world.users[name]).filter(pk=obs.pk).exists()
    assert observations_for(world.users["principal"]).filter(pk=obs.pk).exists()
    with pytest.raises(PermissionDenied):
        services.update_observation(
            actor=world.users["district_researcher"], observation=obs, data={"topic": "x"}
        )


def test_submitted_observation_is_immutable(world, rubric):
    obs = observe(world, rubric)
    for action in ("change", "delete", "submit"):
        assert not can(world.users["principal"], action, obs)
    with pytest.raises(PermissionDenied):
        services.update_observation(
            actor=world.users["principal"], observation=obs, data={"topic": "改"}
        )
    with pytest.raises(PermissionDenied):
        services.delete_draft(actor=world.users["principal"], observation=obs)
    obs.refresh_from_db()
    assert obs.topic == "一元一次方程"


def test_audited_correction(world, rubric):
    obs = observe(world, rubric, share=0.8)
    new_scores = scores_at(rubric, 0.8)
    first = next(iter(new_scores))
    new_scores[first] = "10"  # 教学目标 8 → 10
    services.correct_observation(
        actor=world.users["principal"],
        observation=obs,
        reason="教学目标一项录入有误",
        data={"topic": "一元一次方程（第1课时）"},
        scores=new_scores,
    )
    obs.refresh_from_db()
    assert obs.total == Decimal("82.00")
    assert obs.corrections == 1
    assert obs.topic == "一元一次方程（第1课时）"
    log = history(obs)[0]
    assert log.message == "更正：教学目标一项录入有误"
    assert log.changes["total"] == ["80.00", "82.00"]
    assert log.changes["topic"] == ["一元一次方程", "一元一次方程（第1课时）"]
    assert any(k.startswith("评分：") for k in log.changes)
    # The statistics follow the correction.
    stat = TeacherTermStat.objects.get(teacher=world.people["teacher"])
    assert (stat.observations, stat.total_sum) == (1, 82.0)
    school = UnitTermStat.objects.get(unit=world.schools["school_a"].org_unit)
    assert (school.observations, school.observed_teachers, school.total_sum) == (1, 1, 82.0)
    assert Notification.objects.filter(
        recipient=world.users["teacher"], title__contains="已更正"
    ).exists()


def test_correction_rules(world, rubric):
    obs = observe(world, rubric, observer="district_researcher")
    # The observer, the principal over the school and admins may correct; the teacher not.
    assert can(world.users["district_researcher"], "correct", obs)
    assert can(world.users["principal"], "correct", obs)
    assert can(world.users["city_admin"], "correct", obs)
    assert not can(world.users["teacher"], "correct", obs)
    assert not can(world.users["outsider"], "correct", obs)
    with pytest.raises(ServiceError) as e:
        services.correct_observation(
            actor=world.users["principal"], observation=obs, reason=" ", data={}
        )
    assert "请说明更正原因" in e.value.text
    with pytest.raises(ServiceError) as e:
        services.correct_observation(
            actor=world.users["principal"], observation=obs, reason="无", data={}
        )
    assert "没有任何改动" in e.value.text
    bad = scores_at(rubric, 0.8)
    bad[next(iter(bad))] = "12"
    with pytest.raises(ServiceError) as e:
        services.correct_observation(
            actor=world.users["principal"], observation=obs, reason="改分", data={}, scores=bad
        )
    assert "超出分值范围" in e.value.text
    obs.refresh_from_db()
    assert obs.corrections == 0 and obs.total == Decimal("80.00")
    with pytest.raises(StaleObject):
        services.correct_observation(
            actor=world.users["principal"],
            observation=obs,
            reason="改课题",
            data={"topic": "新课题"},
            expected_version=obs.version - 1,
        )


def test_reply(world, rubric, give_teacher_account):
    obs = observe(world, rubric, observer="district_researcher")
    assert can(world.users["teacher"], "reply", obs)
    assert not can(world.users["principal"], "reply", obs)
    r = services.reply(actor=world.users["teacher"], observation=obs, text="谢谢指导！")
    assert r.author_name == "张老师"
    assert Notification.objects.filter(
        recipient=world.users["district_researcher"],
        title="张老师 回复了您对“一元一次方程”的听课评价",
    ).exists()
    with pytest.raises(ServiceError) as e:
        services.reply(actor=world.users["teacher"], observation=obs, text="  ")
    assert "请先填写回复内容" in e.value.text
    with pytest.raises(PermissionDenied):
        services.reply(actor=world.users["principal"], observation=obs, text="我也说两句")
    draft = observe(world, rubric, submit=False)
    with pytest.raises(PermissionDenied):
        services.reply(actor=world.users["teacher"], observation=draft, text="?")
    assert ObservationReply.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"st_sequence": "TTSXS"}, "第 4 个采样的符号“X”无效", "st_sequence"),
        ({"topic": ""}, "请填写课题", "topic"),
        ({"date": DAY.replace(year=2099)}, "不能晚于今天", "date"),
        ({"period": 13}, "节次必须在 1 到 12 之间", "period"),
        ({"stage": "primary"}, "临渭区第一初级中学没有小学学段", "stage"),
        ({"kind": "same_lesson"}, "请选择轮次", "round"),
    ],
)
def test_bad_input_saves_nothing(world, rubric, change, message, field):
    from jiaoyan.orgs.models import Stage, Subject

    args = {
        "actor": world.users["principal"],
        "teacher": world.people["teacher"],
        "rubric": rubric,
        "kind": Observation.Kind.DROP_IN,
        "subject": Subject.objects.get(name="数学"),
        "stage": Stage.objects.get(code="junior"),
        "topic": "勾股定理",
        "date": DAY,
        "scores": scores_at(rubric, 0.9),
        "strengths": "好",
        "submit": True,
    }
    if "stage" in change:
        change = {"stage": Stage.objects.get(code=change["stage"])}
    args.update(change)
    with pytest.raises(ServiceError) as e:
        services.create_observation(**args)
    assert message in e.value.text
    assert e.value.field == field
    assert not Observation.objects.exists()
    assert not ObservationScore.objects.exists()
    assert not TeacherTermStat.objects.exists()


def test_score_outside_band_saves_nothing(world, rubric):
    bad = scores_at(rubric, 0.8)
    bad[next(iter(bad))] = "10.5"
    with pytest.raises(ServiceError) as e:
        services.create_observation(
            actor=world.users["principal"],
            teacher=world.people["teacher"],
            rubric=rubric,
            kind=Observation.Kind.DROP_IN,
            subject=world.people["teacher"].roles.get().subjects.get(),
            stage=world.people["teacher"].roles.get().stages.get(),
            topic="x",
            date=DAY,
            scores=bad,
        )
    assert "得分 10.5 超出分值范围 0–10" in e.value.text
    assert not Observation.objects.exists()


def test_draft_bad_sequence_keeps_the_old_one(world, rubric):
    obs = observe(world, rubric, submit=False, st_sequence="TTSS")
    with pytest.raises(ServiceError):
        services.update_observation(
            actor=world.users["principal"], observation=obs, data={}, st_sequence="TTSSQ"
        )
    obs.refresh_from_db()
    assert obs.st_sequence == "TTSS"
    assert obs.st_rt == Decimal("0.5000") and obs.st_mode == "mixed"


def test_who_may_observe_where(world, rubric):
    # The principal: their own school only.
    with pytest.raises(PermissionDenied):
        observe(world, rubric, teacher="teacher_b", subject="语文", stage="primary")
    # The district researcher: any school of the district.
    obs = observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="teacher_b",
        subject="语文",
        stage="primary",
    )
    assert obs.org_unit == world.schools["school_b"].org_unit
    # …but not the other district.
    with pytest.raises(PermissionDenied):
        observe(world, rubric, observer="district_researcher", teacher="teacher_c", stage="primary")
    # A counsellor observes nobody; nobody observes themselves.
    with pytest.raises(PermissionDenied):
        observe(world, rubric, observer="counsellor")
    with pytest.raises(ServiceError) as e:
        observe(world, rubric, observer="teacher", teacher="teacher")
    assert "不能听自己的课" in e.value.text


def test_peer_observation_by_a_teacher(world, rubric):
    from tests.conftest import make_person

    peer = make_person(
        "T004",
        "王老师",
        world.schools["school_a"].org_unit,
        role="teacher",
        username="peer",
        subjects=["数学"],
        stages=["junior"],
    )
    obs = observe(world, rubric, observer=peer.user)
    # The peer sees what they wrote; the observed teacher sees it once submitted.
    assert observations_for(peer.user).filter(pk=obs.pk).exists()
    assert observations_for(world.users["teacher"]).filter(pk=obs.pk).exists()


def test_delete_draft(world, rubric):
    obs = observe(world, rubric, submit=False)
    services.delete_draft(actor=world.users["principal"], observation=obs)
    assert not Observation.objects.exists()
