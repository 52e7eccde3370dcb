"""Every reference an API write takes (a unit, person, plan, theme, activity, venue,
rubric, round … by id or code) goes through the one scoped resolver: an object outside the
caller's scope and one that does not exist get byte-identical answers (422, the same
``detail`` and ``field``), and nothing changes.

The caller is the outsider (bureau admin of 华州区); the hidden objects are 临渭区's, and
the objects named in the URL are the outsider's own, so the reference is what fails.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from jiaoyan.activities import services as activity_services
from jiaoyan.communities import services as community_services
from jiaoyan.ledger import services as ledger_services
from jiaoyan.observations import services as observation_services
from jiaoyan.observations.models import Rubric
from jiaoyan.observations.scoring import structure_from_data
from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.outcomes import services as outcome_services
from jiaoyan.pairing import services as pairing_services
from tests.activities.conftest import main_venue, make_activity
from tests.conftest import make_school
from tests.observations.conftest import DAY, observe

JSON = "application/json"
MISSING_ID = 10**9
OUR_APPS = {
    "core",
    "orgs",
    "people",
    "hours",
    "activities",
    "quality",
    "observations",
    "ledger",
    "pairing",
    "communities",
    "training",
    "resources",
    "projects",
    "outcomes",
    "researchers",
    "wellbeing",
}


@pytest.fixture
def scene(world):
    su = world.users["superuser"]
    u = world.units
    math, junior = Subject.objects.get(name="数学"), Stage.objects.get(code="junior")
    plan = activity_services.create_plan(
        actor=su, org_unit=u["linwei_institute"], year=2025, title="临渭区年度教研计划"
    )
    theme = activity_services.add_theme(actor=su, plan=plan, month=3, title="三月主题")
    hidden_activity = make_activity(world, actor=su)
    rubric = observation_services.create_rubric(
        actor=su,
        org_unit=u["linwei_institute"],
        name="临渭区评价表",
        structure=structure_from_data(
            [{"name": "目标", "weight": 100, "criteria": [{"text": "目标", "max_score": 10}]}]
        ),
    )
    rnd = observation_services.create_round(
        actor=su,
        org_unit=u["linwei_institute"],
        topic="同课异构",
        subject=math,
        stage=junior,
        date=DAY,
    )
    own_activity = make_activity(world, actor=su, unit=u["huazhou_bureau"], title="华州区教研")
    builtin = Rubric.objects.get(org_unit__isnull=True)
    own_obs = observe(  # the outsider's own draft (a draft is its observer's only)
        world, builtin, observer="outsider", teacher="teacher_c", stage="primary", submit=False
    )
    hidden_obs = observe(world, builtin, observer="principal", teacher="teacher")  # 临渭区's
    own_item = ledger_services.create_item(
        actor=su,
        title="华州区事项",
        org_unit=u["huazhou_bureau"],
        responsible_unit=world.schools["school_c"].org_unit,
        due_on=timezone.localdate() + dt.timedelta(days=10),
    )
    pairing = pairing_services.create_pairing(
        actor=world.users["outsider"],
        title="华州区校际结对",
        helping=world.schools["school_c"].org_unit.code,
        helped=make_school("6105030009", "华州区结对小学", u["huazhou"]).org_unit.code,
        start_date=DAY,
        end_date=DAY + dt.timedelta(days=365),
    )
    from tests.training.scope_cases import huazhou_programme

    own_programme = huazhou_programme(world)
    from tests.resources.scope_cases import submitted_resource

    own_resource = submitted_resource(world)
    from tests.resources.conftest import draft
    from tests.resources.scope_cases import huazhou_resource, huazhou_round

    hidden_resource = draft(world, with_file=False)  # 临渭区's draft: its authors' only
    own_round = huazhou_round(world)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiaoyan.projects import services as project_services
    from tests.projects.scope_cases import huazhou_call, huazhou_project

    hidden_project = project_services.apply(  # 临渭区第一初级中学's project
        actor=su,
        level="school",
        pi=world.people["teacher"].pk,
        title="临渭区校本课题",
        theme="作业设计",
        application_form=SimpleUploadedFile("申报书.pdf", b"%PDF-1.4 x"),
    )
    from tests.outcomes.scope_cases import huazhou_entry, huazhou_outcome
    from tests.outcomes.scope_cases import huazhou_round as huazhou_selection_round

    own_outcome = huazhou_outcome(world)
    own_selection = huazhou_selection_round(world)
    own_entry = huazhou_entry(world)  # sent to the city: the city's runners assign experts
    hidden_outcome = outcome_services.create_outcome(
        actor=su, org_unit=world.schools["school_a"].org_unit, kind="case", title="临渭区案例"
    )
    published = huazhou_resource(world)
    period = {"start_on": dt.date(2025, 1, 1), "end_on": dt.date(2028, 12, 31)}
    hidden_community = community_services.create_community(
        actor=su,
        kind="studio",
        org_unit=u["linwei_institute"],
        name="临渭区工作室",
        code="MS-LW-REF",
        leader=world.people["teacher"],
        **period,
    )
    own_community = community_services.create_community(
        actor=su,
        kind="studio",
        org_unit=u["huazhou_bureau"],
        name="华州区工作室",
        code="MS-HZ-REF",
        leader=world.people["teacher_c"],
        **period,
    )
    own_consortium = community_services.create_community(
        actor=su,
        kind="consortium",
        org_unit=u["huazhou_bureau"],
        name="华州区联合体",
        code="MX-HZ-REF",
        leading_school=world.schools["school_c"].org_unit,
        **period,
    )
    from tests.researchers.scope_cases import _residency, huazhou_profile

    own_profile = huazhou_profile(world)
    own_residency = _residency(world)
    from tests.wellbeing.helpers import permit

    permit(world.users["outsider"], u["huazhou"])  # asks for exports of its district
    hidden = {
        "community": hidden_community.pk,
        "school_unit": world.schools["school_b"].org_unit.pk,
        "unit": u["linwei_institute"].pk,
        "unit_code": u["linwei_institute"].code,
        "person": world.people["teacher"].pk,
        "staff_no": world.people["teacher"].staff_no,
        "plan": plan.pk,
        "theme": theme.pk,
        "activity": hidden_activity.pk,
        "venue": main_venue(hidden_activity).pk,
        "rubric": rubric.pk,
        "round": rnd.pk,
        "resource": hidden_resource.pk,
        "project": hidden_project.pk,
        "outcome": hidden_outcome.pk,
        "observation": hidden_obs.pk,
    }
    missing = dict.fromkeys(hidden, MISSING_ID) | {"unit_code": "999999999", "staff_no": "NOPE999"}
    own = {
        "unit": u["huazhou_bureau"].pk,
        "school": world.schools["school_c"].org_unit.pk,
        "person": world.people["teacher_c"].pk,
        "activity": own_activity.pk,
        "observation": own_obs.pk,
        "item": own_item.pk,
        "rubric": builtin.pk,
        "pairing": pairing.pk,
        "community": own_community.pk,
        "consortium": own_consortium.pk,
        "programme": own_programme.pk,
        "resource": own_resource.pk,
        "rec_round": own_round.pk,
        "published": published.pk,
        "project_call": huazhou_call(world).pk,
        "project": huazhou_project(world).pk,
        "outcome": own_outcome.pk,
        "selection": own_selection.pk,
        "entry": own_entry.pk,
        "researcher": own_profile.pk,
        "residency": own_residency.pk,
    }
    return {"hidden": hidden, "missing": missing, "own": own}


def _start() -> str:
    return (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0).isoformat()


def _activity(own, **over):
    start = timezone.now() + dt.timedelta(days=3)
    body = {
        "org_unit": own["unit"],
        "title": "华州区集体备课",
        "kind": "lesson_prep",
        "starts_at": start.replace(microsecond=0).isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).replace(microsecond=0).isoformat(),
        "main_venue": {"name": "报告厅"},
    }
    return {**body, **over}


def _community(own, **over):
    body = {
        "kind": "studio",
        "org_unit": own["unit"],
        "name": "新工作室",
        "code": "MS-HZ-NEW",
        "start_on": "2025-01-01",
        "end_on": "2028-12-31",
        "leader": own["person"],
    }
    return {**body, **over}


def _observation(own, **over):
    body = {
        "teacher": own["person"],
        "rubric": own["rubric"],
        "kind": "drop_in",
        "subject": "数学",
        "stage": "primary",
        "topic": "分数",
        "date": DAY.isoformat(),
    }
    return {**body, **over}


def _item(own, **over):
    body = {
        "org_unit": own["unit"],
        "title": "新事项",
        "responsible_unit": own["school"],
        "due_on": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
    }
    return {**body, **over}


EXAM = {
    "name": "2025年中考",
    "kind": "zhongkao",
    "date": "2025-06-20",
    "grade": 9,
    "stage": "junior",
    "subjects": [{"name": "数学", "full_marks": 120}],
}
DIMENSIONS = [{"name": "目标", "weight": 100, "criteria": [{"text": "目标", "max_score": 10}]}]

# (name, method, url(own), kind of the reference, field named, body(own, ref))
PAIRING = {"title": "结对", "start_date": "2025-03-01", "end_date": "2026-03-01"}

_CAMPAIGN = {
    "name": "华州区心理筛查",
    "scales": ["phq9"],
    "starts_at": "2026-09-01T08:00:00+08:00",
    "ends_at": "2026-09-08T18:00:00+08:00",
}

CASES = [
    (
        "hours category bureau",
        "post",
        lambda o: "/api/v1/hours-categories",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "code": "ZZ", "name": "自主研修"},
    ),
    (
        "org unit parent",
        "post",
        lambda o: "/api/v1/org-units",
        "unit",
        "parent",
        lambda o, r: {"parent": r, "code": "61059999", "name": "新单位", "level": "town"},
    ),
    (
        "school parent",
        "post",
        lambda o: "/api/v1/schools",
        "unit",
        "parent",
        lambda o, r: {
            "parent": r,
            "code": "6105039999",
            "name": "新学校",
            "kind": "primary",
            "location": "rural",
        },
    ),
    (
        "person unit",
        "post",
        lambda o: "/api/v1/people",
        "unit",
        "org_unit",
        lambda o, r: {"staff_no": "X999", "name": "新人", "org_unit": r},
    ),
    (
        "plan unit",
        "post",
        lambda o: "/api/v1/plans",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "year": 2025, "title": "计划"},
    ),
    (
        "plan parent",
        "post",
        lambda o: "/api/v1/plans",
        "plan",
        "parent",
        lambda o, r: {"org_unit": o["unit"], "year": 2025, "title": "计划", "parent": r},
    ),
    (
        "activity unit",
        "post",
        lambda o: "/api/v1/activities",
        "unit",
        "org_unit",
        lambda o, r: _activity(o, org_unit=r),
    ),
    (
        "activity host",
        "post",
        lambda o: "/api/v1/activities",
        "person",
        "host",
        lambda o, r: _activity(o, host=r),
    ),
    (
        "activity theme",
        "post",
        lambda o: "/api/v1/activities",
        "theme",
        "theme",
        lambda o, r: _activity(o, theme=r),
    ),
    (
        "activity venue unit",
        "post",
        lambda o: "/api/v1/activities",
        "unit",
        "main_venue.unit",
        lambda o, r: _activity(o, main_venue={"name": "报告厅", "unit": r}),
    ),
    (
        "activity patch theme",
        "patch",
        lambda o: f"/api/v1/activities/{o['activity']}",
        "theme",
        "theme",
        lambda o, r: {"theme": r},
    ),
    (
        "venue unit",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/venues",
        "unit",
        "unit",
        lambda o, r: {"name": "分会场", "unit": r},
    ),
    (
        "invite units",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/invitations",
        "unit",
        "units",
        lambda o, r: {"units": [r]},
    ),
    (
        "invite unit codes",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/invitations",
        "unit_code",
        "unit_codes",
        lambda o, r: {"unit_codes": [r]},
    ),
    (
        "invite staff numbers",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/invitations",
        "staff_no",
        "staff_numbers",
        lambda o, r: {"staff_numbers": [r]},
    ),
    (
        "registration venue",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/registration",
        "venue",
        "venue",
        lambda o, r: {"venue": r},
    ),
    (
        "check-in venue",
        "post",
        lambda o: f"/api/v1/activities/{o['activity']}/check-in",
        "venue",
        "venue",
        lambda o, r: {"code": "123456", "venue": r},
    ),
    (
        "rubric unit",
        "post",
        lambda o: "/api/v1/observation-rubrics",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "name": "评价表", "dimensions": DIMENSIONS},
    ),
    (
        "observation teacher",
        "post",
        lambda o: "/api/v1/observations",
        "person",
        "teacher",
        lambda o, r: _observation(o, teacher=r),
    ),
    (
        "observation rubric",
        "post",
        lambda o: "/api/v1/observations",
        "rubric",
        "rubric",
        lambda o, r: _observation(o, rubric=r),
    ),
    (
        "observation round",
        "post",
        lambda o: "/api/v1/observations",
        "round",
        "round",
        lambda o, r: _observation(o, round=r),
    ),
    (
        "observation activity",
        "post",
        lambda o: "/api/v1/observations",
        "activity",
        "activity",
        lambda o, r: _observation(o, kind="activity", activity=r),
    ),
    (
        "observation patch activity",
        "patch",
        lambda o: f"/api/v1/observations/{o['observation']}",
        "activity",
        "activity",
        lambda o, r: {"activity": r},
    ),
    (
        "observation link activity",
        "post",
        lambda o: f"/api/v1/observations/{o['observation']}/activity",
        "activity",
        "activity",
        lambda o, r: {"activity": r},
    ),
    (
        "round activity",
        "post",
        lambda o: "/api/v1/observation-rounds",
        "activity",
        "activity",
        lambda o, r: {"activity": r, "topic": "同课异构"},
    ),
    (
        "round unit",
        "post",
        lambda o: "/api/v1/observation-rounds",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "topic": "同课异构",
            "subject": "数学",
            "stage": "junior",
            "date": DAY.isoformat(),
        },
    ),
    (
        "liaison researcher",
        "post",
        lambda o: "/api/v1/liaison-assignments",
        "person",
        "researcher",
        lambda o, r: {"researcher": r, "school": o["school"]},
    ),
    (
        "liaison school",
        "post",
        lambda o: "/api/v1/liaison-assignments",
        "unit",
        "school",
        lambda o, r: {"researcher": o["person"], "school": r},
    ),
    (
        "item unit",
        "post",
        lambda o: "/api/v1/ledger/items",
        "unit",
        "org_unit",
        lambda o, r: _item(o, org_unit=r),
    ),
    (
        "item responsible unit",
        "post",
        lambda o: "/api/v1/ledger/items",
        "unit",
        "responsible_unit",
        lambda o, r: _item(o, responsible_unit=r),
    ),
    (
        "item responsible person",
        "post",
        lambda o: "/api/v1/ledger/items",
        "person",
        "responsible_person",
        lambda o, r: _item(o, responsible_person=r),
    ),
    (
        "item collaborators",
        "post",
        lambda o: "/api/v1/ledger/items",
        "unit",
        "collaborators",
        lambda o, r: _item(o, collaborators=[o["school"], r]),
    ),
    (
        "item patch responsible unit",
        "patch",
        lambda o: f"/api/v1/ledger/items/{o['item']}",
        "unit",
        "responsible_unit",
        lambda o, r: {"responsible_unit": r},
    ),
    (
        "item patch responsible person",
        "patch",
        lambda o: f"/api/v1/ledger/items/{o['item']}",
        "person",
        "responsible_person",
        lambda o, r: {"responsible_person": r},
    ),
    (
        "item patch collaborators",
        "patch",
        lambda o: f"/api/v1/ledger/items/{o['item']}",
        "unit",
        "collaborators",
        lambda o, r: {"collaborators": [r]},
    ),
    (
        "activity community",
        "post",
        lambda o: "/api/v1/activities",
        "community",
        "community",
        lambda o, r: _activity(o, community=r),
    ),
    (
        "community unit",
        "post",
        lambda o: "/api/v1/communities",
        "unit",
        "org_unit",
        lambda o, r: _community(o, org_unit=r),
    ),
    (
        "community leader",
        "post",
        lambda o: "/api/v1/communities",
        "person",
        "leader",
        lambda o, r: _community(o, leader=r),
    ),
    (
        "community leading school",
        "post",
        lambda o: "/api/v1/communities",
        "school_unit",
        "leading_school",
        lambda o, r: _community(o, kind="consortium", leader=None, leading_school=r),
    ),
    (
        "member person",
        "post",
        lambda o: f"/api/v1/communities/{o['community']}/members",
        "person",
        "person",
        lambda o, r: {"person": r},
    ),
    (
        "member school",
        "post",
        lambda o: f"/api/v1/communities/{o['consortium']}/members",
        "school_unit",
        "school",
        lambda o, r: {"school": r},
    ),
    (
        "exam unit",
        "post",
        lambda o: "/api/v1/exams",
        "unit",
        "org_unit",
        lambda o, r: {**EXAM, "org_unit": r},
    ),
    (
        "training programme organiser",
        "post",
        lambda o: "/api/v1/programmes",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "title": "华州区研修",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
        },
    ),
    (
        "training nomination",
        "post",
        lambda o: f"/api/v1/programmes/{o['programme']}/nominations",
        "person",
        "person",
        lambda o, r: {"person": r},
    ),
    (
        "pairing helping unit",
        "post",
        lambda o: "/api/v1/pairings",
        "unit",
        "helping",
        lambda o, r: {**PAIRING, "helping": r, "helped": o["school"]},
    ),
    (
        "pairing helped unit",
        "post",
        lambda o: "/api/v1/pairings",
        "unit",
        "helped",
        lambda o, r: {**PAIRING, "helping": o["school"], "helped": r},
    ),
    (
        "pairing joint activity",
        "post",
        lambda o: f"/api/v1/pairings/{o['pairing']}/activities",
        "activity",
        "activity",
        lambda o, r: {"activity": r},
    ),
    (
        "pairing person sent",
        "post",
        lambda o: f"/api/v1/pairings/{o['pairing']}/people-sent",
        "person",
        "person",
        lambda o, r: {
            "person": r,
            "role": "teaching",
            "start_date": DAY.isoformat(),
            "end_date": DAY.isoformat(),
        },
    ),
    (
        "resource unit",
        "post",
        lambda o: "/api/v1/resources",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "kind": "slides", "title": "华州区课件"},
    ),
    (
        "resource authors",
        "post",
        lambda o: "/api/v1/resources",
        "person",
        "authors",
        lambda o, r: {
            "org_unit": o["unit"],
            "kind": "slides",
            "title": "华州区课件",
            "authors": [r],
        },
    ),
    (
        "review rubric unit",
        "post",
        lambda o: "/api/v1/review-rubrics",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "name": "量规", "criteria": [{"name": "科学性", "max": 10}]},
    ),
    (
        "resource reviewer",
        "post",
        lambda o: f"/api/v1/resources/{o['resource']}/reviewers",
        "person",
        "reviewer",
        lambda o, r: {"reviewer": r},
    ),
    (
        "recommendation round unit",
        "post",
        lambda o: "/api/v1/recommendation-rounds",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "title": "优课",
            "kinds": ["slides"],
            "opens_on": "2026-03-01",
            "closes_on": "2026-04-01",
        },
    ),
    (
        "recommendation quota unit",
        "post",
        lambda o: f"/api/v1/recommendation-rounds/{o['rec_round']}/quota",
        "unit",
        "unit",
        lambda o, r: {"unit": r, "quota": 2},
    ),
    (
        "recommended resource",
        "post",
        lambda o: f"/api/v1/recommendation-rounds/{o['rec_round']}/recommend",
        "resource",
        "resource",
        lambda o, r: {"resource": r},
    ),
    (
        "recommending unit",
        "post",
        lambda o: f"/api/v1/recommendation-rounds/{o['rec_round']}/recommend",
        "unit",
        "unit",
        lambda o, r: {"resource": o["published"], "unit": r},
    ),
    (
        "project call approving unit",
        "post",
        lambda o: "/api/v1/project-calls",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "title": "华州区课题指南",
            "level": "county",
            "year": 2025,
            "opens_on": "2025-03-01",
            "closes_on": "2025-03-31",
        },
    ),
    (
        "project call quota unit",
        "post",
        lambda o: f"/api/v1/project-calls/{o['project_call']}/quota",
        "unit",
        "unit",
        lambda o, r: {"unit": r, "quota": 2},
    ),
    (
        "project expert",
        "post",
        lambda o: f"/api/v1/projects/{o['project']}/experts",
        "person",
        "experts",
        lambda o, r: {"experts": [r]},
    ),
    (
        "project decided",
        "post",
        lambda o: "/api/v1/project-decisions",
        "project",
        "projects",
        lambda o, r: {"projects": [r], "decision": "approve"},
    ),
    (
        "outcome unit",
        "post",
        lambda o: "/api/v1/outcomes",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "kind": "case", "title": "华州区案例"},
    ),
    (
        "outcome authors",
        "post",
        lambda o: "/api/v1/outcomes",
        "person",
        "authors",
        lambda o, r: {"org_unit": o["school"], "kind": "case", "title": "案例", "authors": [r]},
    ),
    (
        "outcome project",
        "post",
        lambda o: "/api/v1/outcomes",
        "project",
        "project",
        lambda o, r: {"org_unit": o["school"], "kind": "case", "title": "案例", "project": r},
    ),
    (
        "outcome community",
        "post",
        lambda o: "/api/v1/outcomes",
        "community",
        "community",
        lambda o, r: {"org_unit": o["school"], "kind": "case", "title": "案例", "community": r},
    ),
    (
        "outcome promotion unit",
        "post",
        lambda o: f"/api/v1/outcomes/{o['outcome']}/promotions",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "date": DAY.isoformat(), "event": "现场会"},
    ),
    (
        "outcome promotion activity",
        "post",
        lambda o: f"/api/v1/outcomes/{o['outcome']}/promotions",
        "activity",
        "activity",
        lambda o, r: {"org_unit": o["school"], "date": DAY.isoformat(), "activity": r},
    ),
    (
        "outcome adoption unit",
        "post",
        lambda o: f"/api/v1/outcomes/{o['outcome']}/adoptions",
        "school_unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "adopted_on": DAY.isoformat()},
    ),
    (
        "selection round unit",
        "post",
        lambda o: "/api/v1/selection-rounds",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "title": "遴选",
            "kinds": ["case"],
            "opens_on": "2026-03-01",
            "closes_on": "2026-04-01",
        },
    ),
    (
        "recommended outcome",
        "post",
        lambda o: f"/api/v1/selection-rounds/{o['selection']}/recommend",
        "outcome",
        "outcome",
        lambda o, r: {"outcome": r},
    ),
    (
        "recommending unit (outcomes)",
        "post",
        lambda o: f"/api/v1/selection-rounds/{o['selection']}/recommend",
        "unit",
        "unit",
        lambda o, r: {"outcome": o["outcome"], "unit": r},
    ),
    (
        "outcome expert",
        "post",
        lambda o: f"/api/v1/selection-entries/{o['entry']}/experts",
        "person",
        "expert",
        lambda o, r: {"expert": r},
    ),
    (
        "point rule unit",
        "post",
        lambda o: "/api/v1/point-rules",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "code": "adopted", "points": 2},
    ),
    (
        "researcher profile person",
        "post",
        lambda o: "/api/v1/researchers",
        "person",
        "person",
        lambda o, r: {"person": r, "org_unit": o["unit"]},
    ),
    (
        "researcher profile school",
        "post",
        lambda o: "/api/v1/researchers",
        "school_unit",
        "school",
        lambda o, r: {
            "person": o["person"],
            "org_unit": o["unit"],
            "employment": "part_time",
            "school": r,
        },
    ),
    (
        "researcher profile institute",
        "post",
        lambda o: "/api/v1/researchers",
        "unit",
        "org_unit",
        lambda o, r: {"person": o["person"], "org_unit": r},
    ),
    (
        "researcher profile school (edit)",
        "patch",
        lambda o: f"/api/v1/researchers/{o['researcher']}",
        "school_unit",
        "school",
        lambda o, r: {"employment": "part_time", "school": r},
    ),
    (
        "researcher exchange institute",
        "post",
        lambda o: f"/api/v1/researchers/{o['researcher']}/exchange",
        "unit",
        "to_unit",
        lambda o, r: {"to_unit": r, "reason": "transfer"},
    ),
    (
        "liaison schools of a researcher",
        "post",
        lambda o: f"/api/v1/researchers/{o['researcher']}/liaison-schools",
        "school_unit",
        "schools",
        lambda o, r: {"schools": [r], "start_date": "2025-02-01"},
    ),
    (
        "residency school",
        "post",
        lambda o: f"/api/v1/researchers/{o['researcher']}/residencies",
        "school_unit",
        "school",
        lambda o, r: {
            "school": r,
            "start_date": "2020-03-01",
            "end_date": "2020-03-10",
            "goals": "目标",
        },
    ),
    (
        "residency visit activity",
        "post",
        lambda o: f"/api/v1/residencies/{o['residency']}/visits",
        "activity",
        "activity",
        lambda o, r: {"kind": "lesson_prep", "activity": r},
    ),
    (
        "admission round bureau",
        "post",
        lambda o: "/api/v1/admission-rounds",
        "unit",
        "org_unit",
        lambda o, r: {
            "org_unit": r,
            "institute": o["unit"],
            "title": "准入",
            "opens_on": "2025-06-01",
            "closes_on": "2025-07-01",
            "requirements": [{"kind": "interview"}],
        },
    ),
    (
        "appraisal scheme bureau",
        "post",
        lambda o: "/api/v1/appraisal-schemes",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "year": 2025, "name": "年度考核"},
    ),
    (
        "admission round institute",
        "post",
        lambda o: "/api/v1/admission-rounds",
        "unit",
        "institute",
        lambda o, r: {
            "org_unit": o["unit"],
            "institute": r,
            "title": "准入",
            "opens_on": "2025-06-01",
            "closes_on": "2025-07-01",
            "requirements": [{"kind": "interview"}],
        },
    ),
    (
        "residency visit observation",
        "post",
        lambda o: f"/api/v1/residencies/{o['residency']}/visits",
        "observation",
        "observation",
        lambda o, r: {"kind": "observed", "observation": r},
    ),
    (
        "wellbeing campaign unit",
        "post",
        lambda o: "/api/v1/wellbeing/campaigns",
        "unit",
        "org_unit",
        lambda o, r: {**_CAMPAIGN, "org_unit": r, "schools": [o["school"]]},
    ),
    (
        "wellbeing campaign schools",
        "post",
        lambda o: "/api/v1/wellbeing/campaigns",
        "school_unit",
        "schools",
        lambda o, r: {**_CAMPAIGN, "org_unit": o["unit"], "schools": [o["school"], r]},
    ),
    (
        "wellbeing export unit",
        "post",
        lambda o: "/api/v1/wellbeing/exports",
        "unit",
        "org_unit",
        lambda o, r: {"org_unit": r, "what": "alerts", "reason": "转介医院需要预警名单"},
    ),
]


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and m._meta.label != "people.ApiToken"
    }


@pytest.mark.parametrize(
    ("name", "method", "url", "kind", "field", "body"), CASES, ids=[c[0] for c in CASES]
)
def test_out_of_scope_and_missing_references_answer_the_same(
    world, scene, api_for, name, method, url, kind, field, body
):
    api = api_for(world.users["outsider"])
    own, hidden, missing = scene["own"], scene["hidden"], scene["missing"]
    before = _row_counts()
    send = getattr(api, method)
    out_of_scope = send(url(own), body(own, hidden[kind]), content_type=JSON)
    absent = send(url(own), body(own, missing[kind]), content_type=JSON)
    assert out_of_scope.status_code == 422, out_of_scope.content
    # The reference is what failed (not the request's shape: that has no ``field``) …
    assert out_of_scope.json()["field"] == field, out_of_scope.json()
    assert out_of_scope.json()["detail"]
    # … and the two answers cannot be told apart.
    assert (absent.status_code, absent.content) == (out_of_scope.status_code, out_of_scope.content)
    assert _row_counts() == before


def test_every_reference_case_is_reachable_in_scope(world, scene, api_for):
    """Positive control: the same bodies with the caller's own objects get past the
    resolver (whatever the service then says, it is not an unresolved reference)."""
    api = api_for(world.users["outsider"])
    own = scene["own"]
    visible = {
        "unit": own["unit"],
        "unit_code": world.units["huazhou_bureau"].code,
        "person": own["person"],
        "staff_no": world.people["teacher_c"].staff_no,
        "activity": own["activity"],
        "rubric": own["rubric"],
    }
    for name, method, url, kind, field, body in CASES:
        if kind not in visible:
            continue
        resp = getattr(api, method)(url(own), body(own, visible[kind]), content_type=JSON)
        answer = resp.json() if resp.content else {}
        assert not (resp.status_code == 422 and answer.get("field") == field), (name, answer)
