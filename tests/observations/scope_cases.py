"""Cross-district isolation of every scoped model of lesson observation: a row owned in
华州区 is invisible to everyone of 临渭区 (tests/core/test_scope_matrix.py)."""

from jiaoyan.observations import services
from jiaoyan.observations.models import (
    ComparisonRound,
    DimensionStat,
    LiaisonAssignment,
    Observation,
    Rubric,
    TeacherTermStat,
    UnitTermStat,
)
from jiaoyan.observations.scoring import parse_rubric_text
from jiaoyan.orgs.models import Stage, Subject
from tests.conftest import make_person
from tests.scope_cases import ScopeCase, register

from .conftest import DAY, scores_at

TOPIC = "华州区推门听课·分数的初步认识"


def _rubric(w):
    return services.create_rubric(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou"],
        name="华州区小学数学课堂评价表",
        structure=parse_rubric_text("# 教学目标 | 100\n- 目标明确 | 10"),
    )


def _observation(w):
    rubric = Rubric.objects.get(org_unit__isnull=True)
    return services.create_observation(
        actor=w.users["outsider"],
        teacher=w.people["teacher_c"],
        rubric=rubric,
        kind=Observation.Kind.INSPECTION,
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="primary"),
        topic=TOPIC,
        date=DAY,
        scores=scores_at(rubric, 0.8),
        strengths="课堂结构清晰。",
        submit=True,
    )


def _round(w):
    return services.create_round(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou"],
        topic="华州区同课异构·认识图形",
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="primary"),
        date=DAY,
    )


def _liaison(w):
    researcher = make_person(
        "H201",
        "华研员",
        w.units["huazhou_bureau"],
        role="researcher",
        scope=w.units["huazhou"],
        subjects=["数学"],
        stages=["primary"],
        phone="13900000009",
    )
    return services.assign_liaison(
        actor=w.users["outsider"], researcher=researcher, school=w.schools["school_c"].org_unit
    )


def _stat(model, **lookup):
    def make(w):
        _observation(w)
        return model.objects.get(**{k: v(w) for k, v in lookup.items()})

    return make


register(
    ScopeCase(
        Observation,
        _observation,
        page=lambda o: f"/observations/{o.pk}/",
        list_page="/observations/",
        api=lambda o: f"/api/v1/observations/{o.pk}",
        api_list="/api/v1/observations?limit=500",
        marker=lambda o: o.topic,
        actions=("change", "delete", "correct", "reply", "submit", "link"),
    )
)
register(
    ScopeCase(
        Rubric,
        _rubric,
        page=lambda r: f"/observations/rubrics/{r.pk}/",
        list_page="/observations/rubrics/",
        api=lambda r: f"/api/v1/observation-rubrics/{r.pk}",
        api_list="/api/v1/observation-rubrics?limit=500",
        marker=lambda r: r.name,
    )
)
register(
    ScopeCase(
        ComparisonRound,
        _round,
        page=lambda r: f"/observations/rounds/{r.pk}/",
        list_page="/observations/rounds/",
        api=lambda r: f"/api/v1/observation-rounds/{r.pk}",
        api_list="/api/v1/observation-rounds?limit=500",
        marker=lambda r: r.topic,
    )
)
register(
    ScopeCase(
        LiaisonAssignment,
        _liaison,
        list_page="/observations/liaisons/",
        api=lambda la: f"/api/v1/liaison-assignments/{la.pk}",
        api_list="/api/v1/liaison-assignments?limit=500",
        marker=lambda la: "华研员",
    )
)
register(
    ScopeCase(
        TeacherTermStat,
        _stat(TeacherTermStat, teacher=lambda w: w.people["teacher_c"]),
        page=lambda s: f"/observations/coverage/{s.org_unit_id}/",
    )
)
register(
    ScopeCase(
        UnitTermStat,
        _stat(UnitTermStat, unit=lambda w: w.schools["school_c"].org_unit),
        page=lambda s: f"/observations/coverage/{s.unit_id}/",
    )
)
register(
    ScopeCase(
        DimensionStat,
        _stat(
            DimensionStat,
            unit=lambda w: w.schools["school_c"].org_unit,
            dimension=lambda w: "",
        ),
        page=lambda s: f"/observations/analysis/{s.unit_id}/",
    )
)
