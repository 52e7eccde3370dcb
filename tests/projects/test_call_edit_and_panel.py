"""Editing a call (课题指南) through its page — the call's rules and quotas still hold, a
refusal shows its Chinese message and changes nothing — and the projects' home panel:
the teacher sees her project with the next stage due, an expert the reviews waiting, the
city's admin the open call and the applications waiting for a decision."""

from __future__ import annotations

import pytest

from jiaoyan.projects import services
from jiaoyan.projects.models import ProjectCall

from .conftest import apply, approve

pytestmark = pytest.mark.usefixtures("chinese")


def _form(call: ProjectCall, **changes) -> dict:
    data = {
        "title": call.title,
        "level": call.level,
        "year": call.year,
        "opens_on": call.opens_on.isoformat(),
        "closes_on": call.closes_on.isoformat(),
        "default_quota": call.default_quota,
        "topics": call.topics,
        "description": call.description,
        "version": call.version,
    }
    data.update(changes)
    return data


def test_the_runner_edits_a_call_on_its_page(world, client_for, call):
    admin = client_for(world.users["city_admin"])
    page = admin.get(f"/projects/calls/{call.pk}/").content.decode()
    assert f"/projects/calls/{call.pk}/edit/" in page
    form = admin.get(f"/projects/calls/{call.pk}/edit/")
    assert form.status_code == 200 and call.title in form.content.decode()
    r = admin.post(
        f"/projects/calls/{call.pk}/edit/",
        _form(call, title="2025年渭南市课题指南（修订）", default_quota=4),
    )
    assert r.status_code == 302 and r["Location"] == f"/projects/calls/{call.pk}/"
    call.refresh_from_db()
    assert (call.title, call.default_quota) == ("2025年渭南市课题指南（修订）", 4)


def test_a_call_edit_keeps_its_rules(world, client_for, call):
    admin = client_for(world.users["city_admin"])
    apply(world, call)
    apply(world, call, title="第二项申报")  # the school has used 2 of its 2 applications
    before = ProjectCall.objects.get(pk=call.pk)
    cases = [
        ({"default_quota": 1}, "已申报 2 项，名额不能再少"),
        ({"level": "county"}, "已按此级别申报，课题指南的级别不能再改"),
        ({"closes_on": "2025-02-01"}, "申报截止日期不能早于开始日期"),
        ({"version": call.version - 1}, "其他人修改了这条记录"),
    ]
    for changes, message in cases:
        r = admin.post(f"/projects/calls/{call.pk}/edit/", _form(before, **changes))
        assert r.status_code == 200, changes
        assert message in r.content.decode(), changes
        after = ProjectCall.objects.get(pk=call.pk)
        assert (after.version, after.default_quota, after.level, after.closes_on) == (
            before.version,
            before.default_quota,
            before.level,
            before.closes_on,
        )


def test_a_decided_call_is_not_edited_and_others_may_not_edit(world, client_for, call):
    teacher = client_for(world.users["teacher"])
    assert teacher.get(f"/projects/calls/{call.pk}/edit/").status_code == 403
    outsider = client_for(world.users["outsider"])  # sees the city's call, may not edit it
    assert outsider.get(f"/projects/calls/{call.pk}/edit/").status_code == 403
    admin = world.users["city_admin"]
    services.set_call_status(actor=admin, call=call, status="closed")
    services.set_call_status(actor=admin, call=call, status="decided")
    call.refresh_from_db()
    page = client_for(admin).get(f"/projects/calls/{call.pk}/").content.decode()
    assert f"/projects/calls/{call.pk}/edit/" not in page
    r = client_for(admin).post(f"/projects/calls/{call.pk}/edit/", _form(call, title="改"))
    assert "已完成立项的课题指南不能再修改" in r.content.decode()
    call.refresh_from_db()
    assert call.title == "2025年渭南市基础教育课题指南"


def test_home_panel(world, client_for, call, experts):
    w = world
    # Nothing to show: no panel.
    assert (
        'data-testid="home-projects"'
        not in client_for(w.users["counsellor"]).get("/").content.decode()
    )
    p = apply(w, call)
    services.assign_experts(actor=w.users["city_admin"], project=p, experts=[experts[0].pk])
    admin = client_for(w.users["city_admin"]).get("/").content.decode()
    assert 'data-testid="home-projects"' in admin
    assert call.title in admin and "1 项申报待决定" in admin
    expert = client_for(experts[0].user).get("/").content.decode()
    assert "1 个课题等待您评审" in expert
    first = p.reviews.get()
    services.submit_review(actor=experts[0].user, review=first, score=90, verdict="approve")
    approve(w, p, experts[1:])  # the second expert scores it too; approved
    teacher = client_for(w.users["teacher"]).get("/").content.decode()
    assert p.title in teacher and "开题报告" in teacher and "2025-06-30" in teacher
    # Another district sees none of it.
    other = client_for(w.users["outsider"]).get("/").content.decode()
    assert p.title not in other and call.title not in other


def _school_figures(html: str) -> dict[str, str]:
    import re

    out = {}
    for key in ("applying", "ongoing", "soon", "overdue"):
        m = re.search(rf'data-testid="home-school-{key}">([^<]*)<', html)
        assert m, key
        out[key] = m.group(1).strip()
    return out


def test_a_principal_sees_their_schools_projects(world, client_for, call, experts):
    """The principal's home shows their school's projects at a glance: applications in
    progress, ongoing projects, stages due within 30 days and overdue (the overdue ones
    listed); another school's projects are neither counted nor shown."""
    import datetime as dt

    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world
    client = client_for(w.users["principal"])
    # No project at the school: no panel.
    assert 'data-testid="home-projects"' not in client.get("/").content.decode()
    ours = approve(w, apply(w, call, title="课题甲"), experts)  # ongoing, opening due 06-30
    applying = apply(w, call, actor="principal", title="课题乙")
    theirs = apply(  # 临渭区第二小学's, approved too: never counted on school A's home
        w,
        call,
        actor="city_admin",
        title="课题丙",
        org_unit=w.schools["school_b"].org_unit.pk,
        pi=w.people["teacher_b"].pk,
    )
    approve(w, theirs, experts)
    apply(  # and one more application of school B
        w,
        call,
        actor="city_admin",
        title="课题丁",
        org_unit=w.schools["school_b"].org_unit.pk,
        pi=w.people["teacher_b"].pk,
    )
    html = client.get("/").content.decode()
    assert 'data-testid="home-school-projects"' in html and "本校课题" in html
    assert _school_figures(html) == {
        "applying": "申报中 1 项",
        "ongoing": "在研 1 项",
        "soon": "30 天内到期 0 个环节",
        "overdue": "逾期 0 项",
    }
    assert applying.title in html  # the principal leads it: among their own
    assert "课题丙" not in html and "课题丁" not in html
    with time_machine.travel(dt.datetime(2025, 6, 10, 10, 0), tick=False):
        client = client_for(w.users["principal"])  # a session of that day
        html = client.get("/").content.decode()
        assert _school_figures(html)["soon"] == "30 天内到期 1 个环节"
        assert _school_figures(html)["overdue"] == "逾期 0 项"
    with time_machine.travel(dt.datetime(2025, 7, 5, 10, 0), tick=False):
        client = client_for(w.users["principal"])
        client.get("/")
        with CaptureQueriesContext(connection) as few:
            html = client.get("/").content.decode()
        assert _school_figures(html)["soon"] == "30 天内到期 0 个环节"
        assert _school_figures(html)["overdue"] == "逾期 1 项"
        row = html[html.index('data-testid="home-school-project"') - 120 :][:400]
        assert ours.title in row and "text-danger" in row and "2025-06-30" in row
        assert "课题丙" not in html
        # More projects at the school: the same queries (the figures are window sums).
        for n, who in enumerate(("teacher", "counsellor", "principal")):
            apply(w, actor="principal", title=f"校级课题{n}", level="school", pi=w.people[who].pk)
        with CaptureQueriesContext(connection) as many:
            html = client.get("/").content.decode()
        assert len(many.captured_queries) == len(few.captured_queries)
        assert _school_figures(html)["applying"] == "申报中 4 项"
