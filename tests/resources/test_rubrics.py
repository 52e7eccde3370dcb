"""Review rubrics (评审量规): a unit's rubric with weighted criteria, checked (at least one
criterion, positive highest scores and weights, unique names) with nothing written on
bad input; reviews scored against it (the weighted total); retiring and restoring; the
list page and the forms; the API; and another district's rubrics invisible and
unchangeable."""

from __future__ import annotations

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.resources import services
from jiaoyan.resources.models import ReviewRubric

from .conftest import submitted
from .scope_cases import _rubric

pytestmark = pytest.mark.usefixtures("chinese")

JSON = "application/json"
CRITERIA = [
    {"name": "科学性", "max": 50, "weight": 1.5},
    {"name": "应用性", "max": 50},
]


def linwei_rubric(w, **kwargs) -> ReviewRubric:
    data = {"org_unit": w.units["linwei"], "name": "临渭区资源评审量规", "criteria": CRITERIA}
    data.update(kwargs)
    return services.create_rubric(actor=w.users["district_researcher"], **data)


def test_a_weighted_rubric_scores_the_reviews_of_its_subtree(world):
    w = world
    rubric = linwei_rubric(w)
    assert rubric.criteria == [
        {"name": "科学性", "max": 50.0, "weight": 1.5},
        {"name": "应用性", "max": 50.0, "weight": 1.0},
    ]
    assert rubric.total == 125.0
    r = submitted(w)
    assert r.rubric_id == rubric.pk
    review = services.assign_reviewer(
        actor=w.users["principal"], resource=r, reviewer=w.people["district_researcher"]
    )
    assert review.criteria == rubric.criteria
    services.record_review(
        actor=w.users["district_researcher"],
        review=review,
        scores={"科学性": "40", "应用性": 30.5},
        comment="好",
        recommendation="publish",
    )
    review.refresh_from_db()
    assert str(review.total) == "90.5"  # 40 × 1.5 + 30.5
    # a score above its criterion's highest: refused, nothing changed
    with pytest.raises(ServiceError) as e:
        services.record_review(
            actor=w.users["district_researcher"], review=review, scores={"科学性": 51, "应用性": 1}
        )
    assert "科学性" in e.value.text
    review.refresh_from_db()
    assert str(review.total) == "90.5"


@pytest.mark.parametrize(
    "criteria, fragment",
    [
        ([], "至少"),
        ([{"name": "甲", "max": 0}], "甲"),
        ([{"name": "甲", "max": -5}], "甲"),
        ([{"name": "甲", "max": "abc"}], "甲"),
        ([{"name": "甲", "max": 10, "weight": 0}], "甲"),
        ([{"name": "甲", "max": 10, "weight": -1}], "甲"),
        ([{"name": "甲", "max": 10, "weight": "x"}], "甲"),
        ([{"name": "甲", "max": 10, "weight": 1000}], "甲"),
        ([{"name": "甲", "max": 10}, {"name": "甲", "max": 5}], "甲"),
        ([{"name": "", "max": 10}], ""),
    ],
)
def test_bad_criteria_are_refused_and_nothing_is_written(world, criteria, fragment):
    before = ReviewRubric.objects.count()
    with pytest.raises(ServiceError) as e:
        linwei_rubric(world, criteria=criteria)
    assert e.value.field == "criteria"
    assert fragment in e.value.text
    assert ReviewRubric.objects.count() == before


def test_a_unit_does_not_have_two_rubrics_of_one_name(world):
    linwei_rubric(world)
    with pytest.raises(ServiceError) as e:
        linwei_rubric(world)
    assert e.value.field == "name"
    assert ReviewRubric.objects.filter(name="临渭区资源评审量规").count() == 1


def test_retired_rubrics_are_not_used_and_can_be_restored(world):
    w = world
    rubric = linwei_rubric(w)
    services.retire_rubric(actor=w.users["district_researcher"], rubric=rubric)
    rubric.refresh_from_db()
    assert not rubric.is_active
    assert submitted(w, title="甲").rubric.org_unit_id is None  # the built-in one
    with pytest.raises(ServiceError):
        services.retire_rubric(actor=w.users["district_researcher"], rubric=rubric)
    services.restore_rubric(actor=w.users["district_researcher"], rubric=rubric)
    assert submitted(w, title="乙").rubric_id == rubric.pk


def test_teachers_and_principals_do_not_keep_rubrics(world):
    from django.core.exceptions import PermissionDenied

    w = world
    rubric = linwei_rubric(w)
    for who in ("teacher", "principal"):
        with pytest.raises(PermissionDenied):
            services.retire_rubric(actor=w.users[who], rubric=rubric)
        with pytest.raises(PermissionDenied):
            services.create_rubric(
                actor=w.users[who],
                org_unit=w.schools["school_a"].org_unit,
                name="学校量规",
                criteria=CRITERIA,
            )
    rubric.refresh_from_db()
    assert rubric.is_active


# --- pages -----------------------------------------------------------------------------------


def test_the_list_and_the_forms(world, client_for, django_assert_max_num_queries):
    w = world
    c = client_for(w.users["district_researcher"])
    page = c.get("/resources/rubrics/").content.decode()
    assert "优质资源评审量规（通用）" in page and 'data-testid="new-rubric"' in page
    assert 'data-testid="edit-rubric"' not in page  # the built-in one is not theirs
    form = c.get("/resources/rubrics/new/")
    assert form.status_code == 200
    made = c.post(
        "/resources/rubrics/new/",
        {
            "org_unit": w.units["linwei"].pk,
            "name": "临渭区资源评审量规",
            "criteria": "科学性 | 50 | 1.5\n\n应用性｜50",
        },
    )
    assert made.status_code == 302
    rubric = ReviewRubric.objects.get(name="临渭区资源评审量规")
    assert rubric.criteria == [
        {"name": "科学性", "max": 50.0, "weight": 1.5},
        {"name": "应用性", "max": 50.0, "weight": 1.0},
    ]
    page = c.get("/resources/rubrics/").content.decode()
    assert f'data-rubric="{rubric.pk}"' in page and 'data-testid="edit-rubric"' in page
    # bad lines: the form again with the error, nothing written
    for text in ("", "科学性", "科学性 | 0", "科学性 | 10 | 0", "甲 | 5\n甲 | 5"):
        r = c.post(
            "/resources/rubrics/new/",
            {"org_unit": w.units["linwei"].pk, "name": "另一个", "criteria": text},
        )
        assert r.status_code == 200 and "invalid-feedback" in r.content.decode(), text
    assert not ReviewRubric.objects.filter(name="另一个").exists()
    # edit with the version read; a stale form is refused
    edit = f"/resources/rubrics/{rubric.pk}/edit/"
    assert "科学性 | 50 | 1.5" in c.get(edit).content.decode()
    ok = c.post(edit, {"version": rubric.version, "name": "改名", "criteria": "整体 | 100"})
    assert ok.status_code == 302
    rubric.refresh_from_db()
    assert (rubric.name, rubric.criteria) == (
        "改名",
        [{"name": "整体", "max": 100.0, "weight": 1.0}],
    )
    stale = c.post(edit, {"version": rubric.version - 1, "name": "旧", "criteria": "旧 | 1"})
    assert stale.status_code == 200
    rubric.refresh_from_db()
    assert rubric.name == "改名"
    # retire, restore
    assert c.post(f"/resources/rubrics/{rubric.pk}/retire/").status_code == 302
    rubric.refresh_from_db()
    assert not rubric.is_active
    assert "改名" in c.get("/resources/rubrics/?is_active=false").content.decode()
    assert "改名" not in c.get("/resources/rubrics/?is_active=true").content.decode()
    assert c.post(f"/resources/rubrics/{rubric.pk}/restore/").status_code == 302
    rubric.refresh_from_db()
    assert rubric.is_active
    # the export
    x = c.get("/resources/rubrics/?export=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    # query count: the same with more rubrics than before
    for i in range(30):
        linwei_rubric(w, name=f"量规{i}")
    with django_assert_max_num_queries(14):
        assert c.get("/resources/rubrics/").status_code == 200


def test_a_teacher_reads_rubrics_but_keeps_none(world, client_for):
    w = world
    rubric = linwei_rubric(w)
    c = client_for(w.users["teacher"])
    page = c.get("/resources/rubrics/").content.decode()
    assert "临渭区资源评审量规" in page and 'data-testid="edit-rubric"' not in page
    assert c.get("/resources/rubrics/new/").status_code == 403
    assert c.get(f"/resources/rubrics/{rubric.pk}/edit/").status_code == 403
    assert c.post(f"/resources/rubrics/{rubric.pk}/retire/").status_code == 403
    rubric.refresh_from_db()
    assert rubric.is_active


def test_another_districts_rubric_is_invisible_and_unchangeable(world, client_for, api_for):
    w = world
    theirs = _rubric(w)  # 华州区's
    ours = linwei_rubric(w)
    c = client_for(w.users["district_researcher"])
    assert "华州区资源评审量规" not in c.get("/resources/rubrics/").content.decode()
    assert c.get(f"/resources/rubrics/{theirs.pk}/edit/").status_code == 404
    assert c.post(f"/resources/rubrics/{theirs.pk}/retire/").status_code == 404
    assert (
        c.post(
            f"/resources/rubrics/{theirs.pk}/edit/",
            {"version": theirs.version, "name": "改", "criteria": "甲 | 1"},
        ).status_code
        == 404
    )
    api = api_for(w.users["district_researcher"])
    assert api.post(f"/api/v1/review-rubrics/{theirs.pk}/retire", {}, JSON).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active) == ("华州区资源评审量规", True)
    # and the other way round
    o = client_for(w.users["outsider"])
    assert "临渭区资源评审量规" not in o.get("/resources/rubrics/").content.decode()
    assert o.get(f"/resources/rubrics/{ours.pk}/edit/").status_code == 404
    assert o.post(f"/resources/rubrics/{ours.pk}/retire/").status_code == 404
    # creating for a unit out of scope: the one answer that names nobody, nothing written
    r = o.post(
        "/resources/rubrics/new/",
        {"org_unit": w.units["linwei"].pk, "name": "越权", "criteria": "甲 | 1"},
    )
    assert r.status_code == 200 and not ReviewRubric.objects.filter(name="越权").exists()


def test_the_api_takes_weights_and_retires(world, api_for):
    w = world
    api = api_for(w.users["district_researcher"])
    made = api.post(
        "/api/v1/review-rubrics",
        {"org_unit": w.units["linwei"].pk, "name": "接口量规", "criteria": CRITERIA},
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["criteria"][0] == {"name": "科学性", "max": 50.0, "weight": 1.5}
    bad = api.post(
        "/api/v1/review-rubrics",
        {
            "org_unit": w.units["linwei"].pk,
            "name": "坏",
            "criteria": [{"name": "甲", "max": 10, "weight": 0}],
        },
        content_type=JSON,
    )
    assert bad.status_code == 422
    assert not ReviewRubric.objects.filter(name="坏").exists()
    retired = api.post(f"/api/v1/review-rubrics/{body['id']}/retire", {}, JSON)
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    again = api.post(f"/api/v1/review-rubrics/{body['id']}/retire", {}, JSON)
    assert again.status_code == 400
    restored = api.post(f"/api/v1/review-rubrics/{body['id']}/restore", {}, JSON)
    assert restored.status_code == 200 and restored.json()["is_active"] is True
