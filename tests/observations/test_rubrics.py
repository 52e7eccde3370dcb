"""Rubrics: the shipped default, the editor's text, validation, versions and snapshots."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.observations import services
from jiaoyan.observations.models import Observation, Rubric, RubricVersion
from jiaoyan.observations.scoring import (
    clean_scores,
    compute_results,
    default_bands,
    parse_rubric_text,
    structure_text,
)
from jiaoyan.orgs.models import Stage, Subject

from .conftest import observe, scores_at

TEXT = """
# 教学目标 | 40
- 目标明确 | 10
- 目标达成 | 0-10 | 优 9-10；良 7.5-8.5；中 6-7；差 0-5.5
# 学生活动 | 60
- 参与面广 | 1-5
"""


def test_default_rubric_shipped(rubric):
    dims = services.version_dimensions(rubric.current)
    assert rubric.org_unit is None and rubric.is_active
    assert [d.name for d in dims] == [
        "教学目标",
        "教学内容",
        "教学过程",
        "教学方法",
        "学生活动",
        "教学效果",
        "教师素养",
    ]
    assert sum(d.weight for d in dims) == 100
    crit = [c for d in dims for c in d.criteria.all()]
    assert len(crit) == 14
    # Each dimension's highest scores add up to its weight: the total reads like paper.
    for d in dims:
        assert sum(c.max_score for c in d.criteria.all()) == d.weight
    ten = next(c for c in crit if c.max_score == 10)
    assert ten.bands == [
        {"label": "优", "min": 9.0, "max": 10.0},
        {"label": "良", "min": 7.5, "max": 8.5},
        {"label": "中", "min": 6.0, "max": 7.0},
        {"label": "差", "min": 0.0, "max": 5.5},
    ]


def test_everyone_sees_the_default_only_superuser_changes_it(world, rubric):
    for name in ("teacher", "principal", "outsider", "district_researcher"):
        assert Rubric.objects.visible_to(world.users[name]).filter(pk=rubric.pk).exists()
        assert not can(world.users[name], "change", rubric)
    assert can(world.users["superuser"], "change", rubric)


def test_parse_text_and_back():
    dims = parse_rubric_text(TEXT)
    assert [(d.name, d.weight) for d in dims] == [("教学目标", 40), ("学生活动", 60)]
    c = dims[0].criteria[0]
    assert (c.min_score, c.max_score) == (0, 10)
    assert c.bands == default_bands(Decimal(0), Decimal(10))
    assert dims[1].criteria[0].min_score == 1
    assert dims[0].criteria[1].bands[1] == {"label": "良", "min": 7.5, "max": 8.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "至少要有一个维度"),
        ("# 教学目标 | 50\n- 目标 | 10\n# 学生活动 | 40\n- 参与 | 5", "权重之和必须为 100"),
        ("# 教学目标 | 100", "没有评价要点"),
        ("- 目标 | 10", "第 1 行"),
        ("# 教学目标 | 100\n- 目标 | 十", "第 2 行"),
        ("# 教学目标 | 100\n- 目标 | 10 | 优 9-11", "超出"),
        ("# 教学目标 | 100\n- 目标 | 10 | 优 8-10；良 7-9", "重叠"),
        ("# 教学目标 | 100\n- 目标 | 10-5", "分值范围"),
        ("# 教学目标 | 50\n- 目标 | 10\n# 教学目标 | 50\n- 目标 | 10", "出现了两次"),
        ("教学目标 100", "第 1 行"),
        ("# 教学目标 | 100\n- 目标 | 7.3", "0.5"),
    ],
)
def test_bad_rubric_text_is_a_clear_error(text, message):
    with pytest.raises(ServiceError) as e:
        parse_rubric_text(text)
    assert message in e.value.text


def test_total_is_computed(rubric):
    dims = services.version_dimensions(rubric.current)
    crit = [c for d in dims for c in d.criteria.all()]
    scores = clean_scores(dims, {c.pk: str(c.max_score) for c in crit}, complete=True)
    total, results = compute_results(dims, scores)
    assert total == Decimal("100.00")
    assert all(r["percent"] == 100.0 for r in results)
    # 教学目标 (weight 10, one criterion /10) at 7 → 7 points, 70 %.
    scores[crit[0].pk] = Decimal(7)
    total, results = compute_results(dims, scores)
    assert total == Decimal("97.00")
    assert results[0] == {
        "dimension": dims[0].pk,
        "name": "教学目标",
        "weight": 10.0,
        "points": 7.0,
        "percent": 70.0,
    }
    # An unscored criterion: no total.
    del scores[crit[-1].pk]
    assert compute_results(dims, scores)[0] is None


def test_score_outside_band_and_missing(rubric):
    dims = services.version_dimensions(rubric.current)
    crit = [c for d in dims for c in d.criteria.all()]
    for bad, message in (
        (11, "超出分值范围 0–10"),
        (-1, "超出分值范围"),
        ("7.3", "0.5"),
        ("x", "不是数字"),
    ):
        with pytest.raises(ServiceError) as e:
            clean_scores(dims, {crit[0].pk: bad}, complete=False)
        assert message in e.value.text
    with pytest.raises(ServiceError) as e:
        clean_scores(dims, {crit[0].pk: 5}, complete=True)
    assert "13 个评价要点还没有打分" in e.value.text
    with pytest.raises(ServiceError):
        clean_scores(dims, {999999: 5}, complete=False)


def _make(world, **kw):
    return services.create_rubric(
        actor=world.users["city_admin"],
        org_unit=world.units["city"],
        name="渭南市初中数学课堂评价表",
        structure=parse_rubric_text(TEXT),
        stage=Stage.objects.get(code="junior"),
        subject=Subject.objects.get(name="数学"),
        **kw,
    )


def test_unit_rubric_scope(world):
    rubric = _make(world)
    assert rubric.current.number == 1
    # Used below its unit: the district's people see it; the other district too (same city).
    for name in ("principal", "teacher", "district_researcher", "outsider"):
        assert Rubric.objects.visible_to(world.users[name]).filter(pk=rubric.pk).exists()
    assert not can(world.users["principal"], "change", rubric)
    assert not can(world.users["outsider"], "change", rubric)
    with pytest.raises(PermissionDenied):
        services.create_rubric(
            actor=world.users["teacher"],
            org_unit=world.schools["school_a"].org_unit,
            name="x",
            structure=parse_rubric_text(TEXT),
        )


def test_editing_an_unused_version_changes_it_in_place(world):
    rubric = _make(world)
    services.update_rubric(
        actor=world.users["city_admin"],
        rubric=rubric,
        name=rubric.name,
        structure=parse_rubric_text(TEXT.replace("目标明确", "目标明确具体")),
        stage=rubric.stage,
        subject=rubric.subject,
    )
    rubric.refresh_from_db()
    assert RubricVersion.objects.filter(rubric=rubric).count() == 1
    assert "目标明确具体" in structure_text(services.version_dimensions(rubric.current))


def test_editing_a_used_version_makes_a_new_one_and_old_observations_keep_theirs(world):
    rubric = _make(world)
    obs = observe(world, rubric, share=0.8)
    old_version = obs.rubric_version
    old_total = obs.total
    services.update_rubric(
        actor=world.users["city_admin"],
        rubric=rubric,
        name=rubric.name,
        structure=parse_rubric_text(
            TEXT.replace("# 教学目标 | 40", "# 教学目标 | 50").replace(
                "# 学生活动 | 60", "# 学生活动 | 50"
            )
        ),
        stage=rubric.stage,
        subject=rubric.subject,
        note="调整权重",
    )
    rubric.refresh_from_db()
    assert rubric.current.number == 2
    assert rubric.current.note == "调整权重"
    obs.refresh_from_db()
    assert obs.rubric_version == old_version  # the snapshot it was scored with
    assert obs.total == old_total
    old_dims = services.version_dimensions(old_version)
    assert [d.weight for d in old_dims] == [40, 60]
    # A new observation uses version 2.
    new = observe(world, rubric, share=0.8, teacher="teacher")
    assert new.rubric_version == rubric.current
    # Nothing changes without a change.
    before = RubricVersion.objects.filter(rubric=rubric).count()
    services.update_rubric(
        actor=world.users["city_admin"],
        rubric=rubric,
        name=rubric.name,
        structure=parse_rubric_text(structure_text(services.version_dimensions(rubric.current))),
        stage=rubric.stage,
        subject=rubric.subject,
    )
    assert RubricVersion.objects.filter(rubric=rubric).count() == before


def test_rubric_mismatched_to_the_lesson(world):
    rubric = _make(world)  # junior maths
    n = Observation.objects.count()
    with pytest.raises(ServiceError) as e:
        observe(world, rubric, subject="语文")
    assert "评价表“渭南市初中数学课堂评价表”适用于初中数学" in e.value.text
    assert "初中语文" in e.value.text
    assert Observation.objects.count() == n


def test_rubric_of_another_region_cannot_be_used(world, rubric):
    other = services.create_rubric(
        actor=world.users["outsider"],
        org_unit=world.units["huazhou"],
        name="华州区评价表",
        structure=parse_rubric_text(TEXT),
    )
    with pytest.raises(ServiceError) as e:
        observe(world, other)
    assert "华州区评价表" in e.value.text


def test_retired_rubric_cannot_be_used(world):
    r = _make(world)
    services.set_rubric_active(actor=world.users["city_admin"], rubric=r, active=False)
    with pytest.raises(ServiceError) as e:
        observe(world, r)
    assert "停用" in e.value.text


def test_scores_helper(world, rubric):
    s = scores_at(rubric, 1.0)
    assert len(s) == 14
