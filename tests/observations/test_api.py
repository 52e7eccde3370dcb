"""The API: rubrics and observations (with S-T sequences), same services and scope."""

from jiaoyan.observations.models import Observation, Rubric

from .conftest import DAY, observe, scores_at


def _payload(world, rubric_obj, **over):
    rubric = rubric_obj
    data = {
        "teacher": world.people["teacher"].pk,
        "rubric": rubric.pk,
        "kind": "drop_in",
        "subject": "数学",
        "stage": "junior",
        "topic": "整式的加减",
        "date": DAY.isoformat(),
        "period": 2,
        "scores": {str(k): v for k, v in scores_at(rubric, 0.9).items()},
        "st_sequence": "TTTTSSTTSSSSTTTTTTSS",
        "strengths": "目标清晰",
        "suggestions": "多给学生表达机会",
    }
    data.update(over)
    return data


def test_create_submit_and_read(world, rubric, api_for):
    api = api_for(world.users["principal"])
    resp = api.post(
        "/api/v1/observations", _payload(world, rubric), content_type="application/json"
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["status"] == "draft"
    assert data["org_unit"] == world.schools["school_a"].pk
    assert data["total"] == 90.0
    assert data["term"] == "2024-2025-1"
    assert data["st"]["rt"] == 0.6 and data["st"]["ch"] == 0.25 and data["st"]["mode"] == "mixed"
    assert data["st"]["curve"][-1] == [12, 8]
    assert len(data["scores"]) == 14
    assert data["dimensions"][0]["name"] == "教学目标"
    oid = data["id"]
    # The teacher does not see a draft.
    assert api_for(world.users["teacher"]).get(f"/api/v1/observations/{oid}").status_code == 404
    sub = api.post(f"/api/v1/observations/{oid}/submit", content_type="application/json")
    assert sub.status_code == 200 and sub.json()["status"] == "submitted"
    teacher = api_for(world.users["teacher"])
    assert teacher.get(f"/api/v1/observations/{oid}").status_code == 200
    items = teacher.get("/api/v1/observations?limit=10").json()
    assert items["count"] == 1 and items["items"][0]["id"] == oid
    reply = teacher.post(
        f"/api/v1/observations/{oid}/replies", {"text": "谢谢"}, content_type="application/json"
    )
    assert reply.status_code == 201
    assert api.get(f"/api/v1/observations/{oid}").json()["replies"][0]["text"] == "谢谢"
    # Immutable: a PATCH is refused; a correction with a reason works.
    patch = api.patch(
        f"/api/v1/observations/{oid}", {"topic": "改"}, content_type="application/json"
    )
    assert patch.status_code == 403
    corr = api.post(
        f"/api/v1/observations/{oid}/correction",
        {"reason": "序列录错", "st_sequence": "TSTSTSTSTS"},
        content_type="application/json",
    )
    assert corr.status_code == 200, corr.content
    assert corr.json()["st"]["mode"] == "dialogue"
    assert corr.json()["corrections"] == 1


def test_bad_input_is_400_in_chinese_and_saves_nothing(world, rubric, api_for):
    api = api_for(world.users["principal"])
    scores = {str(k): v for k, v in scores_at(rubric, 0.9).items()}
    first = next(iter(scores))
    cases = [
        ({"st_sequence": "TTS?"}, "符号“?”无效"),
        ({"scores": {**scores, first: "11"}}, "超出分值范围 0–10"),
        ({"scores": {**scores, first: "abc"}}, "不是数字"),
        ({"subject": "语文", "rubric": None}, None),
        ({"subject": "火星学"}, "未知的学科：火星学"),
        ({"submit": True, "scores": {first: "5"}}, "还没有打分"),
    ]
    for over, message in cases:
        if over.get("rubric", 1) is None:
            # A junior-maths rubric used for a Chinese lesson.
            r = api.post(
                "/api/v1/observation-rubrics",
                {
                    "org_unit": world.schools["school_a"].pk,
                    "name": "初中数学评价表",
                    "stage": "junior",
                    "subject": "数学",
                    "dimensions": [
                        {
                            "name": "教学目标",
                            "weight": 100,
                            "criteria": [{"text": "目标", "max_score": 10}],
                        }
                    ],
                },
                content_type="application/json",
            )
            assert r.status_code == 201, r.content
            over = {"subject": "语文", "rubric": r.json()["id"], "scores": {}}
            message = "适用于初中数学课堂，这节课是初中语文"
        resp = api.post(
            "/api/v1/observations", _payload(world, rubric, **over), content_type="application/json"
        )
        # An unknown subject is an unresolved reference (422); the rest break rules (400).
        expected = 422 if over.get("subject") == "火星学" else 400
        assert resp.status_code == expected, (over, resp.content)
        assert message in resp.json()["detail"], resp.json()
    assert not Observation.objects.exists()


def test_st_analysis_endpoint(world, api_for):
    api = api_for(world.users["teacher"])
    resp = api.post(
        "/api/v1/observation-st-analysis",
        {"sequence": "TTTTSSTTSSSSTTTTTTSS"},
        content_type="application/json",
    )
    data = resp.json()
    assert (data["n"], data["n_t"], data["runs"], data["rt"], data["ch"]) == (20, 12, 6, 0.6, 0.25)
    assert data["mode_label"] == "混合型"
    bad = api.post(
        "/api/v1/observation-st-analysis", {"sequence": "TQ"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "第 2 个" in bad.json()["detail"]


def test_rubrics_api(world, rubric, api_for):
    admin = api_for(world.users["city_admin"])
    listed = admin.get("/api/v1/observation-rubrics?limit=50").json()
    assert rubric.pk in [r["id"] for r in listed["items"]]
    detail = admin.get(f"/api/v1/observation-rubrics/{rubric.pk}").json()
    assert detail["org_unit"] is None and len(detail["dimensions"]) == 7
    assert detail["dimensions"][0]["criteria"][0]["bands"][0] == {
        "label": "优",
        "min": 9.0,
        "max": 10.0,
    }
    body = {
        "org_unit": world.units["city"].pk,
        "name": "市级通用表",
        "dimensions": [
            {"name": "目标", "weight": 40, "criteria": [{"text": "明确", "max_score": 10}]},
            {
                "name": "过程",
                "weight": 60,
                "criteria": [{"text": "清晰", "min_score": 1, "max_score": 5}],
            },
        ],
    }
    created = admin.post("/api/v1/observation-rubrics", body, content_type="application/json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    observe(world, Rubric.objects.get(pk=rid), share=1.0)
    body["dimensions"][0]["weight"] = 50
    body["dimensions"][1]["weight"] = 50
    put = admin.put(
        f"/api/v1/observation-rubrics/{rid}",
        {**{k: v for k, v in body.items() if k != "org_unit"}, "note": "权重各半"},
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    assert put.json()["current_version"] == 2
    v1 = admin.get(f"/api/v1/observation-rubrics/{rid}/versions/1").json()
    assert v1["in_use"] is True and [d["weight"] for d in v1["dimensions"]] == [40.0, 60.0]
    body["dimensions"][0]["weight"] = 10
    bad = admin.post("/api/v1/observation-rubrics", body, content_type="application/json")
    assert bad.status_code == 400 and "权重之和必须为 100" in bad.json()["detail"]
    teacher = api_for(world.users["teacher"])
    refused = teacher.post("/api/v1/observation-rubrics", body, content_type="application/json")
    # The teacher does not see the unit named as the owner: an unresolved reference.
    assert refused.status_code in (403, 422)


def test_liaison_api(world, api_for):
    admin = api_for(world.users["city_admin"])
    resp = admin.post(
        "/api/v1/liaison-assignments",
        {
            "researcher": world.people["district_researcher"].pk,
            "school": world.schools["school_b"].pk,
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    la = resp.json()
    assert la["org_unit"] == world.schools["school_b"].pk
    mine = api_for(world.users["district_researcher"]).get("/api/v1/liaison-assignments").json()
    assert [x["id"] for x in mine["items"]] == [la["id"]]
    ended = admin.post(f"/api/v1/liaison-assignments/{la['id']}/end")
    assert ended.json()["is_active"] is False
