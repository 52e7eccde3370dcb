"""The points research projects earn (projects/points.py): an approval earns the PI and the
host school the table's figure for the project's level, an excellent conclusion the bonus;
the kept ranking follows each decision at once; an outcome names the project it came from,
and only someone who may see the project is shown it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.outcomes import points
from jiaoyan.outcomes import services as outcome_services
from jiaoyan.outcomes.models import Outcome
from jiaoyan.projects import services
from tests.outcomes.conftest import set_table
from tests.projects.conftest import apply, approve, pdf

TABLE = [
    ("project_approved", "school", 5),
    ("project_approved", "county", 8),
    ("project_approved", "city", 15),
    ("project_excellent", "", 10),
]


def _conclude_excellent(w, p, experts):
    teacher, admin = w.users["teacher"], w.users["city_admin"]
    for stage in ("opening", "midterm"):
        services.file_stage(actor=teacher, project=p, stage=stage, report=pdf(f"{stage}.pdf"))
        services.accept_stage(actor=admin, project=p, stage=stage)
    services.file_stage(actor=teacher, project=p, stage="conclusion", report=pdf("结题报告.pdf"))
    for r in services.assign_experts(actor=admin, project=p, experts=[e.pk for e in experts]):
        services.submit_review(actor=r.expert.user, review=r, score=92, grade="excellent")
    return services.conclude(actor=admin, project=p, grade="excellent")


@pytest.mark.django_db
def test_approval_and_excellent_conclusion_earn_the_tables_points(world, call, experts):
    set_table(world, TABLE)
    teacher = world.people["teacher"].pk
    school = world.schools["school_a"].org_unit_id
    before = points.kept(2025)
    assert teacher not in before.persons

    p = approve(world, apply(world, call), experts)  # a city call: a city-level project
    assert p.level == "city"
    after = points.kept(2025)  # the kept ranking was recomputed: the decision bumped it
    assert after.persons[teacher].points == Decimal(15)
    assert after.units[school].points == Decimal(15)
    assert [
        (r["rule"].code, r["count"], r["points"]) for r in after.persons[teacher].by_rule()
    ] == [("project_approved", 1, Decimal(15))]

    _conclude_excellent(world, p, experts)
    done = points.compute(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    # independent: 15 for a city approval + 10 for 优秀, from the project row itself
    p.refresh_from_db()
    assert (p.level, p.grade, p.pi_id) == ("city", "excellent", teacher)
    assert done.persons[teacher].points == Decimal(15 + 10)
    assert done.units[school].points == Decimal(15 + 10)


@pytest.mark.django_db
def test_a_rejected_project_earns_nothing(world, call, experts):
    set_table(world, TABLE)
    p = apply(world, call)
    admin = world.users["city_admin"]
    for r in services.assign_experts(actor=admin, project=p, experts=[e.pk for e in experts]):
        services.submit_review(
            actor=r.expert.user, review=r, score=40, verdict="reject", opinion="选题过大"
        )
    services.decide(actor=admin, projects=[p.pk], decision="reject", opinion="选题过大")
    assert world.people["teacher"].pk not in points.kept(2025).persons


@pytest.mark.django_db
def test_an_outcome_names_its_project_only_to_those_who_see_it(world, call, experts, client):
    p = approve(world, apply(world, call), experts)
    o = outcome_services.create_outcome(
        actor=world.users["teacher"],
        org_unit=world.schools["school_a"].org_unit,
        kind="case",
        title="分层作业典型案例",
        project=p,
    )
    assert o.project_id == p.pk
    client.force_login(world.users["teacher"])  # a member of the project
    page = client.get(f"/outcomes/{o.pk}/").content.decode()
    assert p.title in page and f"/projects/{p.pk}/" in page
    # another district's staff: the outcome is out of scope, and so is the project
    client.force_login(world.users["outsider"])
    assert client.get(f"/outcomes/{o.pk}/").status_code == 404
    # an outcome names no project its submitter cannot see
    with pytest.raises(PermissionDenied):
        outcome_services.create_outcome(
            actor=world.users["outsider"],
            org_unit=world.units["huazhou_bureau"],
            kind="case",
            title="华州区案例",
            project=p,
        )
    assert not Outcome.objects.filter(title="华州区案例").exists()
