"""Every rule of issue 15, refused with its exact Chinese message and nothing written:
the PI's limit of ongoing projects at a level, an expert of the host unit or a member of
the project, a skipped stage, a conclusion without its final report, a unit's quota in a
call (applying, and forwarding by the county), an application not forwarded yet, and a
school's quota in an outcomes selection round."""

from __future__ import annotations

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.outcomes import rounds
from jiaoyan.outcomes.models import Entry
from jiaoyan.projects import services
from tests.outcomes.conftest import make_outcome, make_round

from .conftest import apply, approve, make_call, pdf
from .test_services import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def test_pi_limit(world):
    services.set_policy(actor=world.users["city_admin"], org_unit=world.units["city"].pk, max_led=1)
    apply(world, None, level="school", title="校本课题一")
    text = refused(apply, "too_many_led", w=world, call=None, level="school", title="二")
    assert text == "张老师已主持 1 项在研校级课题，已达每人上限。"


def test_expert_of_the_host_unit_or_a_member(world, call, experts):
    p = apply(
        world,
        call,
        members=[{"person": experts[0].pk}],
        actor="city_admin",
        pi="T002",
        org_unit=world.schools["school_a"].org_unit_id,
    )
    admin = world.users["city_admin"]
    text = refused(services.assign_experts, "own_unit", actor=admin, project=p, experts=["T001"])
    assert text == "李校长在课题承担单位临渭区第一初级中学任职，请另选专家。"
    text = refused(
        services.assign_experts, "member", actor=admin, project=p, experts=[experts[0].pk]
    )
    assert text == "郑专家是课题组成员，请另选专家。"


def test_a_stage_cannot_be_skipped(world, call, experts):
    p = approve(world, apply(world, call), experts)
    text = refused(
        services.file_stage,
        "skipped",
        actor=world.users["teacher"],
        project=p,
        stage="midterm",
        report=pdf(),
    )
    assert text == "课题当前处于开题报告环节，不能跳过它提交中期检查。"


def test_the_conclusion_needs_the_final_report(world, call, experts):
    p = approve(world, apply(world, call), experts)
    admin, teacher = world.users["city_admin"], world.users["teacher"]
    for stage in ("opening", "midterm"):
        services.file_stage(actor=teacher, project=p, stage=stage, report=pdf())
        services.accept_stage(actor=admin, project=p, stage=stage)
    text = refused(services.file_stage, "no_report", actor=teacher, project=p, stage="conclusion")
    assert text == "结题须提交结题报告。"
    text = refused(services.conclude, "no_report", actor=admin, project=p, grade="good")
    assert text == "结题须提交结题报告。"


def test_a_units_quota_in_a_call(world, today):
    call = make_call(world, quota=1)
    apply(world, call, title="课题一")
    text = refused(apply, "over_quota", w=world, call=call, actor="principal", title="课题二")
    assert text == "临渭区第一初级中学的申报名额已用完（已申报 1 项，名额 1 项）。"


def test_a_schools_quota_in_a_selection_round(world):
    r = make_round(world, school_quota=1)
    first, second = make_outcome(world, title="案例一"), make_outcome(world, title="案例二")
    rounds.recommend(actor=world.users["principal"], round=r, outcome=first)
    with pytest.raises(ServiceError) as e:
        rounds.recommend(actor=world.users["principal"], round=r, outcome=second)
    assert e.value.text == "临渭区第一初级中学的名额已用完（已推荐 1 项，名额 1 项）。"
    assert Entry.objects.count() == 1
