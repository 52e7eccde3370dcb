"""Class teachers (班主任) through the API: the same services and permissions as the
person's page — the principal assigns and ends, the assignment is listed on the person;
bad input gets the Chinese message with nothing written; another district neither reads
nor changes an assignment, nor makes one for a person it cannot see."""

from __future__ import annotations

import json

import pytest

from jiaoyan.people.models import HomeroomAssignment
from jiaoyan.people.queries import homeroom_classes

pytestmark = pytest.mark.usefixtures("chinese")


def _post(api, url, body=None):
    return api.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_principal_assigns_lists_and_ends_through_the_api(world, api_for):
    teacher = world.people["teacher"]
    api = api_for(world.principal)
    r = _post(api, f"/api/v1/people/{teacher.pk}/homerooms", {"grade": 7, "class_name": " 1班 "})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["person"], body["grade"], body["class_name"], body["is_active"]) == (
        teacher.pk,
        7,
        "1班",
        True,
    )
    assert body["school"] == world.school_a.org_unit.pk
    assert homeroom_classes(world.users["teacher"]) == [(world.school_a.org_unit.pk, 7, "1班")]
    listed = api.get(f"/api/v1/people/{teacher.pk}/homerooms").json()["items"]
    assert [(i["grade"], i["class_name"]) for i in listed] == [(7, "1班")]
    r = _post(api, f"/api/v1/homerooms/{body['id']}/end")
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["ended_at"]
    assert homeroom_classes(world.users["teacher"]) == []
    # ended assignments stay on the person's list
    listed = api.get(f"/api/v1/people/{teacher.pk}/homerooms").json()["items"]
    assert [i["is_active"] for i in listed] == [False]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"grade": 13, "class_name": "1班"}, "年级应为 1 至 12 的数字。"),
        ({"grade": 7, "class_name": "   "}, "请按花名册的写法填写班级，例如 1班。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_writes_nothing(world, api_for, body, message):
    teacher = world.people["teacher"]
    r = _post(api_for(world.principal), f"/api/v1/people/{teacher.pk}/homerooms", body)
    assert r.status_code == 400
    assert r.json()["detail"] == message and not HomeroomAssignment.objects.exists()


def test_others_cannot_assign_and_another_district_sees_nothing(world, api_for):
    teacher = world.people["teacher"]
    url = f"/api/v1/people/{teacher.pk}/homerooms"
    for who in ("teacher", "counsellor", "outsider"):
        r = _post(api_for(world.users[who]), url, {"grade": 7, "class_name": "1班"})
        assert r.status_code in (403, 404), (who, r.status_code)
    assert not HomeroomAssignment.objects.exists()
    _post(api_for(world.principal), url, {"grade": 7, "class_name": "1班"})
    row = HomeroomAssignment.objects.get()
    outsider = api_for(world.users["outsider"])
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/api/v1/homerooms/{row.pk}").status_code == 404
    assert _post(outsider, f"/api/v1/homerooms/{row.pk}/end").status_code == 404
    row.refresh_from_db()
    assert row.is_active
