"""Pages: recording through the forms, bad input in forms, exports, and query counts
(a fixed number of queries whatever the number of rows)."""

import datetime as dt

import pytest

from jiaoyan.observations import services
from jiaoyan.observations.models import Observation, Rubric
from jiaoyan.observations.scoring import parse_rubric_text
from jiaoyan.orgs.models import Stage, Subject

from .conftest import DAY, observe, scores_at


@pytest.fixture
def many(world, rubric):
    """31 submitted observations of the demo school (more than a page of 25), some with
    S-T sequences and replies, and one round."""
    rnd = services.create_round(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        topic="一元一次方程",
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="junior"),
        date=DAY,
    )
    for i in range(31):
        obs = observe(
            world,
            rubric,
            observer="principal" if i % 2 else "district_researcher",
            date=DAY - dt.timedelta(days=i),
            share=0.6 + (i % 4) / 10,
            st_sequence="TTSSTS" * (i % 3),
            kind=Observation.Kind.SAME_LESSON if i < 3 else Observation.Kind.DROP_IN,
            round=rnd if i < 3 else None,
        )
        if i % 5 == 0:
            services.reply(actor=world.users["teacher"], observation=obs, text=f"谢谢 {i}")
    world.rnd = rnd
    return world


@pytest.mark.parametrize(
    ("user", "url", "limit"),
    [
        ("city_admin", "/observations/", 14),
        ("principal", "/observations/", 14),
        ("teacher", "/observations/?mine=about", 14),
        ("city_admin", "/observations/?sort=-total&kind=drop_in&term=2024-2025-1", 14),
        ("city_admin", "/observations/?page=2", 14),
        ("city_admin", "/observations/rounds/", 10),
        ("city_admin", "/observations/rubrics/", 9),
        ("city_admin", "/observations/liaisons/", 10),
        ("principal", "/observations/coverage/?term=2024-2025-1", 14),
        ("district_researcher", "/observations/coverage/?term=2024-2025-1", 14),
        ("city_admin", "/observations/coverage/?term=2024-2025-1", 14),
        ("principal", "/observations/analysis/?term=2024-2025-1", 12),
        ("api", "/api/v1/observations?limit=100", 8),
        ("api", "/api/v1/observation-rubrics?limit=100", 6),
        ("api", "/api/v1/observation-rounds?limit=100", 6),
    ],
)
def test_list_query_counts(
    many, client_for, api_for, django_assert_max_num_queries, user, url, limit
):
    who = many.users["city_admin" if user == "api" else user]
    client = api_for(who) if user == "api" else client_for(who)
    client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(limit):
        resp = client.get(url)
    assert resp.status_code == 200


def test_detail_query_counts(many, client_for, api_for, django_assert_max_num_queries):
    obs = Observation.objects.filter(st_sequence__gt="").exclude(replies=None).first()
    teacher = many.people["teacher"]
    pages = [
        (client_for(many.users["principal"]), f"/observations/{obs.pk}/", 16),
        (client_for(many.users["teacher"]), f"/observations/{obs.pk}/", 16),
        (client_for(many.users["principal"]), f"/observations/growth/{teacher.pk}/", 10),
        (client_for(many.users["teacher"]), f"/observations/growth/{teacher.pk}/", 10),
        (client_for(many.users["principal"]), f"/observations/rounds/{many.rnd.pk}/", 14),
        (
            client_for(many.users["principal"]),
            f"/observations/rubrics/{obs.rubric_version.rubric_id}/",
            14,
        ),
        (client_for(many.users["principal"]), f"/observations/{obs.pk}/correct/", 14),
        (api_for(many.users["principal"]), f"/api/v1/observations/{obs.pk}", 8),
        (api_for(many.users["principal"]), f"/api/v1/observation-rounds/{many.rnd.pk}", 8),
    ]
    for client, url, limit in pages:
        client.get(url)
        with django_assert_max_num_queries(limit):
            resp = client.get(url)
        assert resp.status_code == 200, url


def test_record_on_the_pages(world, rubric, client_for):
    """The phone flow without the browser: new → draft → scores → submit → reply."""
    principal = client_for(world.users["principal"])
    page = principal.get("/observations/new/")
    assert page.status_code == 200
    assert "临渭区第一初级中学" in page.content.decode()
    resp = principal.post(
        "/observations/new/",
        {
            "school": world.schools["school_a"].pk,
            "teacher": world.people["teacher"].pk,
            "kind": "drop_in",
            "subject": Subject.objects.get(name="数学").pk,
            "stage": Stage.objects.get(code="junior").pk,
            "topic": "平方根",
            "date": "2024-10-15",
            "period": 3,
            "rubric": rubric.pk,
        },
    )
    obs = Observation.objects.get()
    assert resp.status_code == 302 and resp.url == f"/observations/{obs.pk}/edit/"
    edit = principal.get(resp.url)
    assert edit.status_code == 200
    html = edit.content.decode()
    assert 'data-st-tap="T"' in html and "observation.js" in html
    form = {
        "lesson-teacher": world.people["teacher"].pk,
        "lesson-kind": "drop_in",
        "lesson-subject": Subject.objects.get(name="数学").pk,
        "lesson-stage": Stage.objects.get(code="junior").pk,
        "lesson-topic": "平方根",
        "lesson-date": "2024-10-15",
        "lesson-period": 3,
        "lesson-rubric": rubric.pk,
        "lesson-version": obs.version,
        "st_sequence": "TTSXT",
        "st_interval": 30,
        "strengths": "导入好",
        "suggestions": "",
        "notes": "",
        **{f"score_{k}": v for k, v in scores_at(rubric, 0.8).items()},
        "action": "submit",
    }
    bad = principal.post(resp.url, form)
    assert bad.status_code == 200
    assert "S-T 序列第 4 个采样的符号“X”无效" in bad.content.decode()
    obs.refresh_from_db()
    assert obs.status == "draft" and obs.st_sequence == "" and obs.total is None
    form["st_sequence"] = "TTSST"
    ok = principal.post(resp.url, form)
    assert ok.status_code == 302 and ok.url == f"/observations/{obs.pk}/"
    obs.refresh_from_db()
    assert obs.status == "submitted"
    assert str(obs.total) == "80.00"
    assert obs.st_mode == "dialogue"  # TT|SS|T: Rt = 3/5, Ch = 2/5
    teacher = client_for(world.users["teacher"])
    detail = teacher.get(ok.url).content.decode()
    assert 'data-testid="total">80.00' in detail
    assert 'data-testid="st-mode">对话型' in detail
    teacher.post(f"/observations/{obs.pk}/reply/", {"text": "谢谢李校长"})
    assert obs.replies.get().text == "谢谢李校长"
    # Submitted: the edit page is closed, correction is open to the principal.
    closed = principal.get(f"/observations/{obs.pk}/edit/")
    assert closed.status_code == 302 and closed.url == f"/observations/{obs.pk}/"
    assert principal.get(f"/observations/{obs.pk}/correct/").status_code == 200


def test_score_out_of_band_on_the_page(world, rubric, client_for):
    obs = observe(world, rubric, submit=False)
    scores = scores_at(rubric, 0.8)
    first = next(iter(scores))
    scores[first] = "12"
    form = {
        "lesson-teacher": world.people["teacher"].pk,
        "lesson-kind": "drop_in",
        "lesson-subject": Subject.objects.get(name="数学").pk,
        "lesson-stage": Stage.objects.get(code="junior").pk,
        "lesson-topic": "平方根",
        "lesson-date": "2024-10-15",
        "lesson-rubric": rubric.pk,
        "lesson-version": obs.version,
        "st_interval": 30,
        "strengths": "好",
        **{f"score_{k}": v for k, v in scores.items()},
        "action": "save",
    }
    resp = client_for(world.users["principal"]).post(f"/observations/{obs.pk}/edit/", form)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "得分 12 超出分值范围 0–10" in html
    assert 'value="12"' in html  # what was typed stays in the form
    obs.refresh_from_db()
    assert obs.total == 80


def test_exports(many, client_for):
    resp = client_for(many.users["city_admin"]).get("/observations/?export=xlsx&kind=drop_in")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:4] == ("日期", "节次", "学校", "授课教师")
    assert len(rows) == 2 + 28
    liaisons = client_for(many.users["city_admin"]).get("/observations/liaisons/?export=xlsx")
    assert liaisons.status_code == 200


def test_rubric_pages(world, client_for):
    admin = client_for(world.users["city_admin"])
    page = admin.get("/observations/rubrics/new/")
    assert page.status_code == 200
    assert "# 教学目标 | 10" in page.content.decode()  # prefilled from the built-in rubric
    bad = admin.post(
        "/observations/rubrics/new/",
        {
            "name": "坏表",
            "org_unit": world.units["city"].pk,
            "structure": "# 教学目标 | 90\n- 目标 | 10",
        },
    )
    assert "各维度权重之和必须为 100，现在是 90" in bad.content.decode()
    assert not Rubric.objects.filter(name="坏表").exists()
    ok = admin.post(
        "/observations/rubrics/new/",
        {
            "name": "好表",
            "org_unit": world.units["city"].pk,
            "structure": "# 教学目标 | 100\n- 目标 | 10",
        },
    )
    rubric = Rubric.objects.get(name="好表")
    assert ok.status_code == 302
    edit = admin.post(
        f"/observations/rubrics/{rubric.pk}/edit/",
        {
            "name": "好表",
            "structure": "# 教学目标 | 100\n- 目标明确 | 10",
            "version": rubric.version,
            "note": "措辞",
        },
    )
    assert edit.status_code == 302
    assert (
        client_for(world.users["principal"])
        .get(f"/observations/rubrics/{rubric.pk}/edit/")
        .status_code
        == 403
    )
    assert parse_rubric_text("# 教学目标 | 100\n- 目标明确 | 10")


def test_round_and_rubric_exports(many, client_for):
    admin = client_for(many.users["city_admin"])
    for url in ("/observations/rounds/?export=xlsx", "/observations/rubrics/?export=xlsx"):
        resp = admin.get(url)
        assert resp.status_code == 200 and resp.content[:2] == b"PK", url
