"""The API of the library: the same services and rules as the pages — a draft made,
edited, given a file and submitted; a reviewer assigned (never an author); the review's
scores; the decision; lists with filters; refusals as 4xx with the message."""

from __future__ import annotations

import pytest

from jiaoyan.resources.models import Resource, Review
from tests.resources.conftest import PDF, draft, in_review, upload
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")
JSON = "application/json"


def test_the_way_through_the_api(world, api_for):
    w = world
    teacher, researcher, principal = (
        api_for(w.users["teacher"]),
        api_for(w.users["district_researcher"]),
        api_for(w.users["principal"]),
    )
    made = teacher.post(
        "/api/v1/resources",
        {
            "org_unit": w.schools["school_a"].org_unit.code,
            "kind": "micro_lesson",
            "title": "平行四边形的面积微课",
            "subject": "数学",
            "stage": "junior",
            "themes": ["双减"],
            "authors": ["T002", "T003"],
        },
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "draft" and body["org_unit"] == w.schools["school_a"].org_unit.pk
    assert sorted(body["authors"]) == sorted([w.people["teacher"].pk, w.people["counsellor"].pk])
    rid = body["id"]
    # Submitting a micro-lesson without its video is refused, nothing changes.
    refused = teacher.post(f"/api/v1/resources/{rid}/submit", content_type=JSON)
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh(
        "Attach at least one file or give a video link before submitting."
    )
    patched = teacher.patch(
        f"/api/v1/resources/{rid}",
        {"version": body["version"], "video_link": "https://v.example.cn/pxsbx.mp4"},
        content_type=JSON,
    )
    assert patched.status_code == 200 and patched.json()["version"] == body["version"] + 1
    assert (
        teacher.post(
            f"/api/v1/resources/{rid}/files", {"file": upload("讲义.pdf", PDF)}
        ).status_code
        == 201
    )
    sub = teacher.post(f"/api/v1/resources/{rid}/submit", content_type=JSON)
    assert sub.status_code == 200 and sub.json()["status"] == "submitted"

    own = researcher.post(
        f"/api/v1/resources/{rid}/reviewers", {"reviewer": "T003"}, content_type=JSON
    )
    assert own.status_code == 400
    assert own.json()["detail"] == zh("A reviewer cannot review their own resource.")
    assigned = researcher.post(
        f"/api/v1/resources/{rid}/reviewers", {"reviewer": "T001"}, content_type=JSON
    )
    assert assigned.status_code == 200, assigned.content
    review = assigned.json()
    assert review["reviewer"] == w.people["principal"].pk and review["status"] == "assigned"

    queue = principal.get("/api/v1/reviews?status=assigned").json()
    assert [r["id"] for r in queue["items"]] == [review["id"]]
    scores = {c["name"]: c["max"] for c in review["criteria"]}
    bad = principal.post(
        f"/api/v1/reviews/{review['id']}/scores",
        {"scores": {**scores, review["criteria"][0]["name"]: 999}},
        content_type=JSON,
    )
    assert bad.status_code == 400
    done = principal.post(
        f"/api/v1/reviews/{review['id']}/scores",
        {"scores": scores, "comment": "优秀", "recommendation": "publish"},
        content_type=JSON,
    )
    assert done.status_code == 200 and done.json()["total"] == 100

    decided = researcher.post(
        f"/api/v1/resources/{rid}/decide", {"decision": "publish"}, content_type=JSON
    )
    assert decided.status_code == 200 and decided.json()["status"] == "published"
    listed = api_for(w.users["counsellor"]).get(
        "/api/v1/resources?status=published&kind=micro_lesson"
    )
    assert [r["id"] for r in listed.json()["items"]] == [rid]
    # The authors read the finished review.
    mine = teacher.get(f"/api/v1/reviews?resource={rid}").json()
    assert mine["count"] == 1 and mine["items"][0]["comment"] == "优秀"
    # … blind: not who wrote it.
    assert mine["items"][0]["reviewer"] is None and mine["items"][0]["reviewer_name"] == ""
    theirs = researcher.get(f"/api/v1/reviews?resource={rid}").json()["items"][0]
    assert theirs["reviewer_name"] == "李校长"


def test_refusals_write_nothing(world, api_for):
    teacher = api_for(world.users["teacher"])
    count = Resource.objects.count()
    empty = teacher.post(
        "/api/v1/resources",
        {"org_unit": world.schools["school_a"].org_unit.pk, "kind": "slides", "title": "  "},
        content_type=JSON,
    )
    assert empty.status_code == 400
    assert empty.json()["detail"] == zh("%(label)s is required.", label=zh("Title"))
    chapter = teacher.post(
        "/api/v1/resources",
        {
            "org_unit": world.schools["school_a"].org_unit.pk,
            "kind": "slides",
            "title": "课件",
            "curriculum_node": 987654,
        },
        content_type=JSON,
    )
    assert chapter.status_code == 422 and chapter.json()["field"] == "curriculum_node"
    elsewhere = teacher.post(
        "/api/v1/resources",
        {"org_unit": world.schools["school_c"].org_unit.pk, "kind": "slides", "title": "课件"},
        content_type=JSON,
    )
    assert elsewhere.status_code == 422  # a unit out of scope is no unit
    assert Resource.objects.count() == count


def test_others_cannot_touch_a_draft_or_a_review(world, api_for):
    r = draft(world)
    other = api_for(world.users["counsellor"])
    assert other.get(f"/api/v1/resources/{r.pk}").status_code == 404
    assert (
        other.patch(f"/api/v1/resources/{r.pk}", {"title": "x"}, content_type=JSON).status_code
        == 404
    )
    assert other.delete(f"/api/v1/resources/{r.pk}").status_code == 404
    _r2, review = in_review(world)
    manager = api_for(world.users["principal"])
    assert manager.get(f"/api/v1/reviews/{review.pk}").status_code == 200
    refused = manager.post(
        f"/api/v1/reviews/{review.pk}/scores",
        {"scores": {c["name"]: 1 for c in review.criteria}},
        content_type=JSON,
    )
    assert refused.status_code == 403
    assert Review.objects.get(pk=review.pk).status == "assigned"
    # The author deletes their draft.
    assert api_for(world.users["teacher"]).delete(f"/api/v1/resources/{r.pk}").status_code == 204
    assert not Resource.objects.filter(pk=r.pk).exists()


def test_review_rubrics_through_the_api(world, api_for):
    researcher = api_for(world.users["district_researcher"])
    made = researcher.post(
        "/api/v1/review-rubrics",
        {
            "org_unit": world.units["linwei"].code,
            "name": "临渭区微课评审量规",
            "criteria": [{"name": "教学设计", "max": 60}, {"name": "技术规范", "max": 40}],
        },
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    rid = made.json()["id"]
    twice = researcher.post(
        "/api/v1/review-rubrics",
        {
            "org_unit": world.units["linwei"].code,
            "name": "重复",
            "criteria": [{"name": "同名", "max": 10}, {"name": "同名", "max": 10}],
        },
        content_type=JSON,
    )
    assert twice.status_code == 400
    teacher = api_for(world.users["teacher"])
    names = [r["name"] for r in teacher.get("/api/v1/review-rubrics").json()["items"]]
    assert "临渭区微课评审量规" in names and "优质资源评审量规（通用）" in names
    assert (
        teacher.patch(
            f"/api/v1/review-rubrics/{rid}", {"name": "改"}, content_type=JSON
        ).status_code
        == 403
    )
    patched = researcher.patch(
        f"/api/v1/review-rubrics/{rid}",
        {"version": 1, "criteria": [{"name": "整体", "max": 100}]},
        content_type=JSON,
    )
    assert patched.status_code == 200 and patched.json()["criteria"] == [
        {"name": "整体", "max": 100.0, "weight": 1.0}
    ]
    # The built-in one is shipped, not edited.
    builtin = next(
        r for r in teacher.get("/api/v1/review-rubrics").json()["items"] if r["org_unit"] is None
    )
    assert (
        researcher.patch(
            f"/api/v1/review-rubrics/{builtin['id']}", {"name": "改"}, content_type=JSON
        ).status_code
        == 403
    )
