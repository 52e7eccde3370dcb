"""The weekly brief (周简报): exact figures of a small week, the .docx read back, editing,
numbering per unit and year, immutability once issued, scope."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import docx
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Activity, Participation
from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.ledger import briefs, services
from jiaoyan.ledger.documents import render
from jiaoyan.ledger.models import Brief
from tests.activities.conftest import make_activity
from tests.observations.conftest import observe

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2024, 10, 14)  # the week of the brief: 2024-10-14 … 2024-10-20


def at(day: int, hour: int = 10, month: int = 10):
    return time_machine.travel(dt.datetime(2024, month, day, hour, tzinfo=TZ), tick=False)


def item(w, title, due, *, unit="linwei_institute", actor="district_researcher", **kw):
    return services.create_item(
        actor=w.users[actor],
        org_unit=w.units[unit],
        title=title,
        responsible_unit=kw.pop("responsible", w.schools["school_a"].org_unit),
        due_on=due,
        **kw,
    )


def held(w, title, kind, *, people=(), finish=True, actor="district_researcher", unit=None):
    """An activity starting in an hour, published, started, attended by ``people``
    (marked present by the organiser), and finished unless told otherwise."""
    user = w.users[actor]
    a = make_activity(
        w, actor=user, unit=unit, title=title, kind=kind, start_in=dt.timedelta(hours=1)
    )
    if people:
        activity_services.invite(
            actor=user, activity=a, person_ids=[w.people[p].pk for p in people]
        )
    activity_services.publish_activity(actor=user, activity=a)
    activity_services.start_activity(actor=user, activity=a)
    if people:
        marks = dict.fromkeys(
            Participation.objects.filter(activity=a).values_list("pk", flat=True), "present"
        )
        activity_services.mark_attendance(actor=user, activity=a, marks=marks)
    if finish:
        activity_services.finish_activity(actor=user, activity=a)
    return a


@pytest.fixture
def rubric(db):
    from jiaoyan.observations.models import Rubric

    return Rubric.objects.get(org_unit__isnull=True)  # the built-in one


@pytest.fixture
def week(world, rubric):
    """A small week of 临渭区 (and some noise around it, in time and in 华州区)."""
    w = world
    R, city = w.users["district_researcher"], w.users["city_admin"]
    principal = w.users["principal"]
    with at(8):
        i1 = item(w, "落实新课标集体备课", dt.date(2024, 10, 12))
        i2 = item(w, "报送教研计划", dt.date(2024, 10, 16))
        i3 = item(w, "组织骨干教师培训", dt.date(2024, 10, 30))
        i4 = item(w, "完成听课记录整理", dt.date(2024, 10, 20))
        i7 = item(w, "已取消的事项", dt.date(2024, 10, 13))
        item(
            w,
            "华州区事项",
            dt.date(2024, 10, 10),
            unit="huazhou_bureau",
            actor="outsider",
            responsible=w.schools["school_c"].org_unit,
        )
        held(w, "上周的集体备课", Activity.Kind.LESSON_PREP, people=["teacher"])
    with at(11):
        services.cancel(actor=R, item=i7, reason="不再需要")
    with at(15):
        services.escalate(actor=city, item=i1, reason="逾期未完成")
        services.report_progress(actor=principal, item=i3, text="培训已完成", percent=100)
        held(
            w,
            "初中数学集体备课",
            Activity.Kind.LESSON_PREP,
            people=["teacher", "principal", "teacher_b"],
        )
        cancelled = make_activity(w, title="取消的活动", start_in=dt.timedelta(hours=1))
        activity_services.cancel_activity(actor=R, activity=cancelled, reason="天气")
    with at(16):
        item(w, "新增：整理优秀教学设计", dt.date(2024, 11, 30))
        held(w, "新课标专题讲座", Activity.Kind.LECTURE, people=["teacher"], finish=False)
        held(w, "小学语文集体备课", Activity.Kind.LESSON_PREP)
        held(
            w,
            "华州区活动",
            Activity.Kind.LECTURE,
            actor="outsider",
            unit=w.units["huazhou_bureau"],
        )
        observe(w, rubric, observer="principal", date=dt.date(2024, 10, 16))
        observe(
            w,
            rubric,
            observer="district_researcher",
            kind="scheduled",
            date=dt.date(2024, 10, 16),
        )
        observe(w, rubric, observer="principal", date=dt.date(2024, 10, 16), submit=False)
    with at(17):
        services.report_progress(actor=principal, item=i1, text="已完成", percent=100)
    with at(18):
        services.verify(actor=R, item=i1)
    with at(21):
        services.report_progress(actor=principal, item=i4, text="已完成", percent=100)
        observe(w, rubric, observer="principal", date=dt.date(2024, 10, 21))
    return {"i1": i1, "i2": i2, "i3": i3, "i4": i4}


def generate(w, unit="linwei_institute", monday=MONDAY, actor="district_researcher"):
    with at(22):
        return briefs.generate_weekly_brief(
            actor=w.users[actor], unit=w.units[unit], week_start=monday
        )


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_weekly_figures_are_exact(world, week):
    brief = generate(world)
    f = brief.content["figures"]
    assert f["week"] == {"start": "2024-10-14", "end": "2024-10-20", "year": 2024, "week": 42}
    assert f["region"]["name"] == "临渭区"
    a = f["activities"]
    assert a["total"] == 3  # two finished, one in progress; not last week's, not 华州区's
    assert a["participants"] == 4
    assert [(k["name"], k["count"]) for k in a["by_kind"]] == [("集体备课", 2), ("专题讲座", 1)]
    assert [(n["title"], n["checked_in"]) for n in a["notable"]] == [
        ("初中数学集体备课", 3),
        ("新课标专题讲座", 1),
        ("小学语文集体备课", 0),
    ]
    led = f["ledger"]
    assert (led["done"], led["overdue"], led["escalated"], led["new"]) == (2, 2, 1, 1)
    assert [e["title"] for e in led["escalated_items"]] == ["落实新课标集体备课"]
    o = f["observations"]
    assert o["total"] == 2
    assert sorted(k["count"] for k in o["by_kind"]) == [1, 1]
    assert brief.state == Brief.State.DRAFT and brief.number is None
    assert brief.title == "临渭区教研工作简报"
    assert [s["heading"] for s in brief.content["sections"]] == [
        "一、教研活动",
        "二、工作台账",
        "三、听评课",
    ]


def test_docx_reads_back_with_the_counts(world, week):
    brief = generate(world)
    text = docx_text(render(brief))
    assert "临渭区教研工作简报" in text
    assert "草稿" in text
    assert "本周完成台账事项 2 项，逾期 2 项，新增督办 1 项" in text
    assert "共开展教研活动 3 场" in text
    assert "初中数学集体备课" in text and "签到 3 人" in text
    assert "本周提交听评课记录 2 节" in text
    assert "编印单位：临渭区教师发展中心" in text
    d = docx.Document(io.BytesIO(render(brief)))
    assert len(d.inline_shapes) == 1  # the chart
    with at(22):
        issued = briefs.issue_brief(actor=world.users["district_researcher"], brief=brief)
    with issued.docx.open("rb") as fh:
        text = docx_text(fh.read())
    assert "第1期" in text and "草稿" not in text
    assert "2024年10月22日" in text


def test_numbering_per_unit_and_year(world, week):
    R = world.users["district_researcher"]
    first = generate(world)
    second = generate(world, monday=MONDAY - dt.timedelta(days=7))
    with at(22):
        assert briefs.issue_brief(actor=R, brief=second).number == 1
        assert briefs.issue_brief(actor=R, brief=first).number == 2
    other = generate(world, unit="huazhou_bureau", actor="outsider")
    with at(22):
        assert briefs.issue_brief(actor=world.users["outsider"], brief=other).number == 1
    with time_machine.travel(dt.datetime(2025, 1, 13, 10, tzinfo=TZ), tick=False):
        next_year = briefs.generate_weekly_brief(
            actor=R, unit=world.units["linwei_institute"], week_start=dt.date(2025, 1, 6)
        )
        assert next_year.year == 2025
        assert briefs.issue_brief(actor=R, brief=next_year).number == 1
    numbers = list(
        Brief.objects.filter(org_unit=world.units["linwei_institute"], year=2024)
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert numbers == [1, 2]


def test_future_week_is_refused(world):
    with at(22), pytest.raises(ServiceError, match="尚未开始"):
        briefs.generate_weekly_brief(
            actor=world.users["district_researcher"],
            unit=world.units["linwei_institute"],
            week_start=dt.date(2024, 10, 28),
        )
    assert not Brief.objects.exists()


def test_edit_draft_stale_edit_refused_and_issued_is_immutable(world, week):
    R = world.users["district_researcher"]
    brief = generate(world)
    v = brief.version
    sections = [dict(s) for s in brief.content["sections"]]
    sections[1]["body"] = "本周完成台账事项 2 项。请各单位抓紧落实。"
    brief = briefs.update_brief_sections(
        actor=R, brief=brief, sections=sections, expected_version=v
    )
    assert brief.version == v + 1
    brief.refresh_from_db()
    assert brief.content["sections"][1]["body"] == "本周完成台账事项 2 项。请各单位抓紧落实。"
    assert brief.content["figures"]["ledger"]["done"] == 2  # figures stay as generated
    sections[1]["body"] = "另一个人的修改"
    with pytest.raises(StaleObject):
        briefs.update_brief_sections(actor=R, brief=brief, sections=sections, expected_version=v)
    brief.refresh_from_db()
    assert "请各单位抓紧落实" in brief.content["sections"][1]["body"]
    sections[0]["heading"] = ""
    with pytest.raises(ServiceError):
        briefs.update_brief_sections(
            actor=R, brief=brief, sections=sections, expected_version=brief.version
        )
    with at(22):
        briefs.issue_brief(actor=R, brief=brief)
    text = docx_text(render(Brief.objects.get(pk=brief.pk)))
    assert "请各单位抓紧落实" in text
    with pytest.raises(ServiceError, match="已印发"):
        briefs.update_brief_sections(actor=R, brief=brief, sections=sections, expected_version=None)
    with pytest.raises(ServiceError):
        briefs.issue_brief(actor=R, brief=brief)
    with pytest.raises(ServiceError):
        briefs.delete_draft(actor=R, brief=brief)
    brief.refresh_from_db()
    assert brief.number == 1 and "请各单位抓紧落实" in brief.content["sections"][1]["body"]


def test_permission_and_scope(world, week, client_for):
    with pytest.raises(PermissionDenied):
        briefs.generate_weekly_brief(
            actor=world.users["teacher"],
            unit=world.units["linwei_institute"],
            week_start=MONDAY,
        )
    with pytest.raises(PermissionDenied):
        briefs.generate_weekly_brief(
            actor=world.users["outsider"], unit=world.units["linwei"], week_start=MONDAY
        )
    brief = generate(world)
    with pytest.raises(PermissionDenied):
        briefs.issue_brief(actor=world.users["outsider"], brief=brief)
    outsider = client_for(world.users["outsider"])
    assert outsider.get(reverse("ledger:brief", args=[brief.pk])).status_code == 404
    assert outsider.get(reverse("ledger:brief_docx", args=[brief.pk])).status_code == 404
    r = outsider.post(reverse("ledger:brief", args=[brief.pk]), {"action": "issue"})
    assert r.status_code == 404
    brief.refresh_from_db()
    assert brief.state == Brief.State.DRAFT
    # The city sees the district's brief (the chain above).
    city = client_for(world.users["city_admin"])
    assert city.get(reverse("ledger:brief", args=[brief.pk])).status_code == 200
    assert brief.pk in Brief.objects.visible_to(world.users["city_admin"]).values_list(
        "pk", flat=True
    )
    assert not Brief.objects.visible_to(world.users["outsider"]).exists()


def test_pages_create_edit_issue_download(world, week, client_for):
    c = client_for(world.users["district_researcher"])
    with at(22):
        r = c.get(reverse("ledger:brief_create"))
        assert r.status_code == 200
        html = r.content.decode()
        assert "新建周简报" in html and 'value="2024-W42"' in html  # last week by default
        r = c.post(
            reverse("ledger:brief_create"),
            {"unit": world.units["linwei_institute"].pk, "week": "2024-W42"},
        )
        assert r.status_code == 302
        brief = Brief.objects.get()
        assert r["Location"] == reverse("ledger:brief", args=[brief.pk])
        r = c.post(reverse("ledger:brief_create"), {"unit": "x", "week": "2024-W99"})
        assert r.status_code == 200 and "请选择单位" in r.content.decode()
        r = c.get(reverse("ledger:brief_docx", args=[brief.pk]))  # a GET starts nothing
        assert 'data-testid="prepare-docx"' in r.content.decode()
        r = c.post(reverse("ledger:brief_docx", args=[brief.pk]), follow=True)
        assert r.status_code == 200 and "草稿" in docx_text(r.content)
        page = c.get(reverse("ledger:brief", args=[brief.pk])).content.decode()
        assert "二、工作台账" in page and "印发" in page and "草稿" in page
        form = {
            "version": brief.version,
            **{f"heading_{s['key']}": s["heading"] for s in brief.content["sections"]},
            **{f"body_{s['key']}": s["body"] for s in brief.content["sections"]},
        }
        form["body_ledger"] = "本周完成台账事项 2 项，逾期 2 项，新增督办 1 项。（已核）"
        r = c.post(reverse("ledger:brief", args=[brief.pk]), {**form, "action": "save"})
        assert r.status_code == 302
        r = c.post(reverse("ledger:brief", args=[brief.pk]), {**form, "action": "save"})
        assert r.status_code == 400 and "其他人" in r.content.decode()  # stale form
        brief.refresh_from_db()
        form["version"] = brief.version
        r = c.post(reverse("ledger:brief", args=[brief.pk]), {**form, "action": "issue"})
        assert r.status_code == 302
        brief.refresh_from_db()
        assert brief.state == Brief.State.ISSUED and brief.number == 1
        r = c.get(reverse("ledger:brief_docx", args=[brief.pk]))
        assert r.status_code == 200
        text = docx_text(b"".join(r.streaming_content) if r.streaming else r.content)
        assert "（已核）" in text and "第1期" in text
        page = c.get(reverse("ledger:brief", args=[brief.pk])).content.decode()
        assert 'data-testid="brief-form"' not in page  # no editing any more
        r = c.get(reverse("ledger:brief_list") + "?year=2024")
        assert r.status_code == 200 and "2024年第1期" in r.content.decode()
        r = c.get(reverse("ledger:brief_list") + "?export=xlsx")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert client_for(world.users["teacher"]).get(reverse("ledger:brief_list")).status_code == 403


def test_documents_are_rendered_by_the_worker_not_the_web_process(world, week, client_for):
    """With a real queue, downloading a brief whose .docx is not stored yet answers a
    page that waits for it (no rendering in the request); once the worker stored it, the
    same address downloads it. Issuing stores it through the queue as well."""
    from django.test import override_settings

    brief = generate(world)
    client = client_for(world.users["district_researcher"])
    queued = {"TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}}
    with override_settings(**queued):
        resp = client.get(f"/ledger/briefs/{brief.pk}/docx/")  # a GET starts nothing
        assert 'data-testid="prepare-docx"' in resp.content.decode()
        brief.refresh_from_db()
        assert brief.document_job_id is None
        resp = client.post(f"/ledger/briefs/{brief.pk}/docx/", follow=True)
        assert resp.status_code == 200
        assert 'data-testid="document-pending"' in resp.content.decode()
        brief.refresh_from_db()
        assert not brief.document_ready
        # The waiting page shows the rendering job's progress; asking again starts no other.
        job = brief.document_job
        assert job.status == "queued"
        assert job.params == {"brief": brief.pk, "version": brief.version}
        assert f'id="job-{job.pk}"' in resp.content.decode()
        client.post(f"/ledger/briefs/{brief.pk}/docx/")
        brief.refresh_from_db()
        assert brief.document_job_id == job.pk
    assert briefs.store_document(brief.pk, brief.version)
    assert not briefs.store_document(brief.pk, brief.version)  # already there
    resp = client.get(f"/ledger/briefs/{brief.pk}/docx/")
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "草稿" in docx_text(b"".join(resp))
    # A changed draft is rendered again; the stale document is not served.
    briefs.update_brief_sections(
        actor=world.users["district_researcher"],
        brief=brief,
        sections=[{**s, "body": s["body"] + "（已修改）"} for s in brief.content["sections"]],
        expected_version=brief.version,
    )
    brief.refresh_from_db()
    assert not brief.document_ready
    resp = client.post(f"/ledger/briefs/{brief.pk}/docx/", follow=True)  # the immediate queue
    assert resp.status_code == 200
    assert "（已修改）" in docx_text(b"".join(resp))
