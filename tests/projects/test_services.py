"""The project lifecycle and every rule of the issue: each refusal is a Chinese message
and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Notification
from jiaoyan.projects import services
from jiaoyan.projects.models import Project, ProjectMember, Review, StageDocument, StageRecord
from jiaoyan.projects.queries import approved_projects

from .conftest import apply, approve, make_call, pdf

pytestmark = pytest.mark.django_db


def counts():
    return (
        Project.objects.count(),
        ProjectMember.objects.count(),
        StageRecord.objects.count(),
        StageDocument.objects.count(),
        Review.objects.count(),
        AuditLog.objects.count(),
    )


def refused(fn, code=None, **kwargs):
    before = counts()
    with pytest.raises(ServiceError) as e:
        fn(**kwargs)
    assert counts() == before
    text = e.value.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    if code:
        assert e.value.rule == code, (e.value.rule, text)
    return text


def test_lifecycle_from_call_to_conclusion(
    world, call, experts, chinese, django_capture_on_commit_callbacks
):
    w = world
    p = apply(w, call, members=[{"person": "T001", "role": "core", "task": "组织实施"}])
    assert (p.status, p.stage, p.level) == ("applied", "application", "city")
    assert p.approving_unit == w.units["city_bureau"]
    assert set(p.members.values_list("person__staff_no", "role")) == {
        ("T002", "pi"),
        ("T001", "core"),
    }
    call.refresh_from_db()
    assert call.application_count == 1
    p = approve(w, p, experts)
    assert p.status == "ongoing" and p.stage == "opening"
    assert p.number == "610500901-2025-0001"
    assert p.due_on == dt.date(2025, 6, 30)
    teacher = w.users["teacher"]
    services.file_stage(actor=teacher, project=p, stage="opening", report=pdf("开题报告.pdf"))
    services.accept_stage(actor=w.users["city_admin"], project=p, stage="opening")
    p.refresh_from_db()
    assert p.stage == "midterm" and p.due_on == dt.date(2026, 1, 15)
    services.file_stage(actor=teacher, project=p, stage="midterm", report=pdf("中期报告.pdf"))
    services.accept_stage(actor=w.users["city_admin"], project=p, stage="midterm")
    rec = services.file_stage(
        actor=teacher,
        project=p,
        stage="conclusion",
        report=pdf("结题报告.pdf"),
        files=[pdf("作业案例集.pdf")],
    )
    assert set(rec.documents.values_list("kind", flat=True)) == {"final_report", "outcome"}
    reviews = services.assign_experts(
        actor=w.users["city_admin"], project=p, experts=[e.pk for e in experts]
    )
    assert {r.stage for r in reviews} == {"conclusion"}
    for r in reviews:
        services.submit_review(actor=r.expert.user, review=r, score=92, grade="excellent")
    with django_capture_on_commit_callbacks(execute=True):
        p = services.conclude(actor=w.users["city_admin"], project=p, grade="excellent")
    assert (p.status, p.grade) == ("concluded", "excellent")
    rows = approved_projects(w.users["city_admin"])
    assert [(r.project_id, r.level, r.pi_id, r.host_unit_id, r.grade) for r in rows] == [
        (p.pk, "city", w.people["teacher"].pk, w.schools["school_a"].org_unit_id, "excellent")
    ]
    assert Notification.objects.filter(recipient=teacher).exists()
    assert AuditLog.objects.filter(object_id=p.pk, action="update").count() >= 3


def test_numbers_follow_each_other_in_a_batch(world, call, experts):
    w = world
    a = apply(w, call, title="课题甲")
    b = apply(w, call, actor="principal", title="课题乙")
    for p in (a, b):
        services.assign_experts(actor=w.users["city_admin"], project=p, experts=[experts[0].pk])
    for r in Review.objects.all():
        services.submit_review(actor=r.expert.user, review=r, score=80, verdict="approve")
    done = services.decide(actor=w.users["city_admin"], projects=[a.pk, b.pk], decision="approve")
    assert sorted(p.number for p in done) == ["610500901-2025-0001", "610500901-2025-0002"]


def test_batch_reject(world, call, experts):
    w = world
    p = apply(w, call)
    services.assign_experts(actor=w.users["city_admin"], project=p, experts=[experts[0].pk])
    r = Review.objects.get()
    services.submit_review(actor=r.expert.user, review=r, score=40, verdict="reject")
    (p,) = services.decide(
        actor=w.users["city_admin"], projects=[p.pk], decision="reject", opinion="选题重复"
    )
    assert (p.status, p.number, p.end_reason) == ("rejected", None, "选题重复")


def test_quota_per_unit(world, call, chinese):
    w = world
    apply(w, call, title="课题一")
    apply(w, call, actor="principal", title="课题二")
    text = refused(apply, "over_quota", w=w, call=call, title="课题三", pi="T003")
    assert "名额" in text


def test_county_quota_covers_its_schools(world, call, chinese):
    w = world
    services.set_call_quota(
        actor=w.users["city_admin"], call=call, unit=w.units["linwei"].pk, quota=1
    )
    apply(w, call, title="课题一")
    refused(apply, "over_quota", w=w, call=call, actor="principal", title="课题二")


def test_pi_limit_per_level(world, chinese):
    w = world
    services.set_policy(actor=w.users["city_admin"], org_unit=w.units["city"].pk, max_led=1)
    apply(w, None, level="school", title="校本课题一")
    text = refused(apply, "too_many_led", w=w, call=None, level="school", title="校本课题二")
    assert "张老师" in text
    # Another level is counted apart.
    apply(
        w,
        None,
        level="county",
        approving_unit=w.units["linwei_institute"].pk,
        actor="district_researcher",
        pi="T002",
        title="区级课题",
    )


def test_default_pi_limit_is_two(world):
    w = world
    apply(w, None, level="school", title="一")
    apply(w, None, level="school", title="二")
    refused(apply, "too_many_led", w=w, call=None, level="school", title="三")


def test_expert_of_the_host_unit_or_a_member_is_refused(world, call, experts, chinese):
    w = world
    p = apply(
        w,
        call,
        members=[{"person": experts[0].pk}],
        actor="city_admin",
        pi="T002",
        org_unit=w.schools["school_a"].org_unit_id,
    )
    admin = w.users["city_admin"]
    text = refused(services.assign_experts, "own_unit", actor=admin, project=p, experts=["T001"])
    assert "承担单位" in text
    refused(services.assign_experts, "member", actor=admin, project=p, experts=[experts[0].pk])
    assert p.status == "applied"


def test_stage_cannot_be_skipped(world, call, experts, chinese):
    w = world
    p = approve(w, apply(w, call), experts)
    text = refused(
        services.file_stage,
        "skipped",
        actor=w.users["teacher"],
        project=p,
        stage="midterm",
        report=pdf(),
    )
    assert "开题" in text


def test_conclusion_requires_the_final_report(world, call, experts, chinese):
    w = world
    p = approve(w, apply(w, call), experts)
    admin, teacher = w.users["city_admin"], w.users["teacher"]
    for stage in ("opening", "midterm"):
        services.file_stage(actor=teacher, project=p, stage=stage, report=pdf())
        services.accept_stage(actor=admin, project=p, stage=stage)
    text = refused(services.file_stage, "no_report", actor=teacher, project=p, stage="conclusion")
    assert "结题报告" in text
    refused(services.conclude, "no_report", actor=admin, project=p, grade="good")


def test_decide_needs_every_review(world, call, experts):
    w = world
    p = apply(w, call)
    services.assign_experts(actor=w.users["city_admin"], project=p, experts=[experts[0].pk])
    refused(
        services.decide,
        "reviews_pending",
        actor=w.users["city_admin"],
        projects=[p.pk],
        decision="approve",
    )


def test_only_the_expert_scores_and_in_range(world, call, experts, chinese):
    from jiaoyan.core.scope import can

    w = world
    p = apply(w, call)
    (r,) = services.assign_experts(actor=w.users["city_admin"], project=p, experts=[experts[0].pk])
    # Scoring is the core permission "score": the assigned expert's alone.
    assert can(experts[0].user, "score", r)
    for who in ("city_admin", "superuser", "teacher"):
        assert not can(w.users[who], "score", r), who
    assert not can(experts[1].user, "score", r)
    with pytest.raises(PermissionDenied):
        services.submit_review(actor=w.users["teacher"], review=r, score=80, verdict="approve")
    # The approving unit's managers (and a superuser) are told why.
    for who in ("city_admin", "superuser"):
        text = refused(
            services.submit_review, actor=w.users[who], review=r, score=80, verdict="approve"
        )
        assert text == "只有指定的专家才能提交此评审。"
    refused(services.submit_review, actor=experts[0].user, review=r, score=101, verdict="approve")
    refused(services.submit_review, actor=experts[0].user, review=r, score=80, verdict="maybe")
    r.refresh_from_db()
    assert r.status == "assigned"


def test_call_closed_and_bad_dates(world, today, chinese):
    w = world
    call = make_call(w, status="draft")
    refused(apply, w=w, call=call)
    text = refused(
        services.create_call,
        actor=w.users["city_admin"],
        org_unit=w.units["city_bureau"].pk,
        title="指南",
        level="city",
        year=2025,
        opens_on="2025-04-01",
        closes_on="2025-03-01",
    )
    assert text == "申报截止日期不能早于开始日期。"


def test_bad_input_on_apply(world, call):
    w = world
    refused(apply, w=w, call=call, title="")
    refused(apply, w=w, call=call, application_form=None)
    refused(apply, w=w, call=call, budget="很多")
    refused(apply, w=w, call=call, opening_due="2026-01-01", midterm_due="2025-06-01")
    refused(apply, w=w, call=None, level="galaxy")
    refused(apply, w=w, call=None, level="school", approving_unit="610503901")  # out of scope


def test_extension_and_termination(world, call, experts):
    w = world
    p = approve(w, apply(w, call), experts)
    admin = w.users["city_admin"]
    refused(services.extend, actor=admin, project=p, due_on="2025-07-30", reason="")
    rec = services.extend(actor=admin, project=p, due_on="2025-07-30", reason="疫情")
    assert rec.due_on == dt.date(2025, 7, 30)
    p.refresh_from_db()
    assert p.due_on == dt.date(2025, 7, 30)
    p = services.terminate(actor=admin, project=p, reason="负责人调离")
    assert p.status == "terminated"
    refused(services.terminate, actor=admin, project=p, reason="再次")


def test_school_cannot_decide(world, call, experts):
    w = world
    p = apply(w, call)
    with pytest.raises(PermissionDenied):
        services.assign_experts(actor=w.users["principal"], project=p, experts=[experts[0].pk])


def test_overdue_stage_is_reminded_once(
    world, call, experts, chinese, django_capture_on_commit_callbacks
):
    from jiaoyan.core import jobs
    from jiaoyan.projects.tasks import REMIND_OVERDUE

    w = world
    p = approve(w, apply(w, call), experts)
    teacher = w.users["teacher"]
    with time_machine.travel(dt.datetime(2025, 6, 30, 12, 0), tick=False):
        assert services.remind_overdue() == {"overdue": 0, "notified": 0}
    with time_machine.travel(dt.datetime(2025, 7, 2, 12, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert REMIND_OVERDUE in jobs.schedule_due()
        assert Notification.objects.filter(recipient=teacher, title__contains="开题").count() == 1
        assert services.remind_overdue() == {"overdue": 0, "notified": 0}
    services.extend(actor=w.users["city_admin"], project=p, due_on="2025-08-01", reason="延期")
    with time_machine.travel(dt.datetime(2025, 8, 3, 12, 0), tick=False):
        assert services.remind_overdue()["notified"] == 1
