"""Annual research plans with monthly themes: drafting, publishing, nesting, coverage."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.activities import queries, services
from jiaoyan.activities.models import MonthlyTheme, ResearchPlan
from jiaoyan.core.errors import ServiceError
from jiaoyan.orgs.models import Subject

from .conftest import make_activity


@pytest.fixture
def city_plan(world):
    admin = world.users["city_admin"]
    plan = services.create_plan(
        actor=admin, org_unit=world.units["city_institute"], year=2025, title="渭南市2025年研修计划"
    )
    for month, title in [(3, "新课标下的大单元教学"), (4, "作业设计"), (5, "跨学科主题学习")]:
        services.add_theme(actor=admin, plan=plan, month=month, title=title)
    return plan


def test_a_draft_plan_is_seen_by_its_own_units_only(world, city_plan):
    assert not ResearchPlan.objects.visible_to(world.users["teacher"]).filter(pk=city_plan.pk)
    assert ResearchPlan.objects.visible_to(world.users["city_admin"]).filter(pk=city_plan.pk)


def test_lower_units_see_the_published_plan_above_and_nest_under_it(world, city_plan):
    services.publish_plan(actor=world.users["city_admin"], plan=city_plan)
    researcher, teacher, outsider = (
        world.users[k] for k in ("district_researcher", "teacher", "outsider")
    )
    for user in (researcher, teacher, outsider):
        assert ResearchPlan.objects.visible_to(user).filter(pk=city_plan.pk).exists()
        assert MonthlyTheme.objects.visible_to(user).filter(plan=city_plan).count() == 3
    district = services.create_plan(
        actor=researcher,
        org_unit=world.units["linwei_institute"],
        year=2025,
        title="临渭区初中数学研修计划",
        subject=Subject.objects.get(name="数学"),
        parent=city_plan,
    )
    services.add_theme(actor=researcher, plan=district, month=3, title="大单元教学：函数")
    services.publish_plan(actor=researcher, plan=district)
    # The city sees the district's plan (its subtree); 华州区 does not; the teacher does.
    assert ResearchPlan.objects.visible_to(world.users["city_admin"]).filter(pk=district.pk)
    assert not ResearchPlan.objects.visible_to(outsider).filter(pk=district.pk)
    assert ResearchPlan.objects.visible_to(teacher).filter(pk=district.pk)
    # Lower units cannot change the plan above.
    with pytest.raises(PermissionDenied):
        services.add_theme(actor=researcher, plan=city_plan, month=6, title="不许")


def test_publishing_needs_a_theme_and_duplicate_months_are_refused(world):
    admin = world.users["city_admin"]
    plan = services.create_plan(
        actor=admin, org_unit=world.units["city"], year=2025, title="空计划"
    )
    with pytest.raises(ServiceError, match="主题"):
        services.publish_plan(actor=admin, plan=plan)
    services.add_theme(actor=admin, plan=plan, month=9, title="九月")
    with pytest.raises(ServiceError):
        services.add_theme(actor=admin, plan=plan, month=9, title="又一个九月")
    with pytest.raises(ServiceError):
        services.add_theme(actor=admin, plan=plan, month=13, title="十三月")
    with pytest.raises(ServiceError):
        services.create_plan(actor=admin, org_unit=world.units["city"], year=2025, title="  ")
    assert plan.themes.count() == 1


def test_following_a_draft_plan_is_refused(world, city_plan):
    with pytest.raises(ServiceError):
        services.create_plan(
            actor=world.users["city_admin"],
            org_unit=world.units["linwei"],
            year=2025,
            title="跟随草稿",
            parent=city_plan,
        )


def test_coverage_shows_themes_with_and_without_activities(world, city_plan):
    services.publish_plan(actor=world.users["city_admin"], plan=city_plan)
    march = city_plan.themes.get(month=3)
    make_activity(world, theme=march)
    make_activity(world, theme=march, title="第二次")
    coverage = {
        c["theme"].month: c["activities"]
        for c in queries.theme_coverage(world.users["city_admin"], city_plan)
    }
    assert coverage == {3: 2, 4: 0, 5: 0}
    with pytest.raises(ServiceError):
        services.delete_theme(actor=world.users["city_admin"], theme=march)


def test_teachers_cannot_write_plans(world):
    with pytest.raises(PermissionDenied):
        services.create_plan(
            actor=world.users["teacher"],
            org_unit=world.schools["school_a"].org_unit,
            year=2025,
            title="我的计划",
        )
