"""A community's workspace: files shared through the guarded upload path (members and the
owning unit's managers; no pages, scripts or programs; always a download), the calendar
of its activities, and the feed derived from the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jiaoyan.communities import queries, services
from jiaoyan.communities.models import SharedFile
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from tests.support import zh

from .conftest import YEAR, held_activity

pytestmark = pytest.mark.usefixtures("chinese")


def _pdf(name="工作室计划.pdf", data=b"%PDF-1.4 plan"):
    return SimpleUploadedFile(name, data, "application/pdf")


def test_a_member_shares_a_file_and_it_downloads_never_inline(world, studio, client_for):
    teacher = client_for(world.users["teacher"])  # the studio's host
    resp = teacher.post(f"/communities/{studio.pk}/files/", {"file": _pdf()})
    assert resp.status_code == 302
    row = SharedFile.objects.get()
    assert (row.name, row.size, row.uploaded_by) == ("工作室计划.pdf", 13, world.users["teacher"])
    page = client_for(world.users["district_researcher"]).get(f"/communities/{studio.pk}/")
    assert "工作室计划.pdf" in page.content.decode()
    got = teacher.get(f"/communities/files/{row.pk}/")
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert b"".join(got.streaming_content) == b"%PDF-1.4 plan"
    assert AuditLog.objects.filter(object_id=studio.pk, changes__files__1="工作室计划.pdf").exists()


@pytest.mark.parametrize("name", ["page.html", "x.svg", "setup.exe", "run.bat", "a.js", "b.sh"])
def test_pages_scripts_and_programs_are_refused(world, studio, name):
    with pytest.raises(ServiceError) as e:
        services.share_file(
            actor=world.users["teacher"], community=studio, file=_pdf(name, b"<script>")
        )
    # The message as the UI shows it (its Chinese is filled in with the catalogue).
    assert e.value.text == zh(
        "Web pages, scripts and programs cannot be shared: %(name)s.", name=name
    )
    assert not SharedFile.objects.exists()


def test_a_file_over_the_limit_is_refused_while_it_streams(world, studio, client_for):
    teacher = client_for(world.users["teacher"])
    with override_settings(UPLOAD_LIMITS={**settings.UPLOAD_LIMITS, "attachment": 1024}):
        resp = teacher.post(f"/communities/{studio.pk}/files/", {"file": _pdf(data=b"x" * 2000)})
    assert resp.status_code == 413
    assert not SharedFile.objects.exists()


def test_who_shares_and_who_removes(world, studio, client_for):
    # A non-member of another district: refused before the body is read (404: unseen).
    resp = client_for(world.users["outsider"]).post(
        f"/communities/{studio.pk}/files/", {"file": _pdf()}
    )
    assert resp.status_code == 404
    # The school's principal sees no studio of persons it is no member of.
    assert not services.may_share_file(world.users["principal"], studio)
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
        joined_on=studio.start_on,
    )
    mine = services.share_file(actor=world.users["principal"], community=studio, file=_pdf())
    theirs = services.share_file(
        actor=world.users["teacher"], community=studio, file=_pdf("纪要.docx")
    )
    # A member removes their own file, not another member's.
    with pytest.raises(PermissionDenied):
        services.delete_file(actor=world.users["principal"], file=theirs)
    services.delete_file(actor=world.users["principal"], file=mine)
    # The owning unit's admin removes any (the city admin is above the institute).
    services.delete_file(actor=world.users["city_admin"], file=theirs)
    assert not SharedFile.objects.exists()


def test_files_through_the_api(world, studio, api_for):
    api = api_for(world.users["teacher"])
    resp = api.post(f"/api/v1/communities/{studio.pk}/files", {"file": _pdf()})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["name"] == "工作室计划.pdf" and body["org_unit"] == studio.org_unit_id
    bad = api.post(f"/api/v1/communities/{studio.pk}/files", {"file": _pdf("a.html")})
    assert bad.status_code == 400 and SharedFile.objects.count() == 1
    listed = api.get(f"/api/v1/communities/{studio.pk}/files").json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    got = api.get(f"/api/v1/community-files/{body['id']}/download")
    assert got["Content-Disposition"].startswith("attachment")
    other = api_for(world.users["outsider"])
    assert other.get(f"/api/v1/community-files/{body['id']}").status_code == 404
    assert other.delete(f"/api/v1/community-files/{body['id']}").status_code == 404
    assert api.delete(f"/api/v1/community-files/{body['id']}").status_code == 204
    assert not SharedFile.objects.exists()


def test_calendar_shows_the_communitys_activities_only(
    world, studio, client_for, django_assert_max_num_queries
):
    from .conftest import make_studio

    a = held_activity(world, studio, title="工作室示范课一")
    other = make_studio(world, code="MS-LW-009", leader="teacher_b", name="刘老师语文工作室")
    held_activity(world, other, title="别的工作室活动", people=("teacher_b",))
    client = client_for(world.users["teacher"])
    month = a.starts_at.strftime("%Y-%m")
    with django_assert_max_num_queries(16):
        resp = client.get(f"/communities/{studio.pk}/calendar/?month={month}")
    text = resp.content.decode()
    assert resp.status_code == 200
    assert "工作室示范课一" in text and "别的工作室活动" not in text
    # The month grid (shared with the activities' calendar) heads its columns Monday first.
    heads = [f'<th class="text-center">{w}</th>' for w in "一二三四五六日"]
    assert "".join(heads) in text
    assert "".join(heads) in client.get("/activities/calendar/").content.decode()
    day = client.get(
        f"/communities/{studio.pk}/calendar/?day={a.starts_at.date().isoformat()}"
    ).content.decode()
    assert "工作室示范课一" in day
    # Odd values are ignored, never a 500.
    for q in ("month=2026-13", "day=yesterday", "month=99999-01"):
        assert client.get(f"/communities/{studio.pk}/calendar/?{q}").status_code == 200


def test_feed_tells_what_happened(world, studio):
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=studio.start_on + dt.timedelta(days=3),
    )
    held_activity(world, studio, title="工作室研讨")
    tasks = services.generate_tasks(
        actor=world.users["district_researcher"], community=studio, year=YEAR
    )
    research = next(t for t in tasks if t.name == "课题研究")  # target 1, by evidence
    services.add_evidence(
        actor=world.users["teacher"],
        task=research,
        date=dt.date(YEAR, 1, 15),
        count=1,
        description="市级课题立项",
    )
    services.share_file(actor=world.users["teacher"], community=studio, file=_pdf())
    rows = queries.tasks_with_progress(studio, YEAR)
    feed = queries.feed(studio, tasks=rows)
    kinds = {f["kind"]: f["text"] for f in feed}
    assert kinds["member"] in ("刘老师", "张老师")
    assert kinds["activity"] == "工作室研讨"
    assert kinds["file"] == "工作室计划.pdf"
    done = [f for f in feed if f["kind"] == "task"]
    assert [f["text"] for f in done] == ["课题研究"]
    assert done[0]["when"].date() == dt.date(YEAR, 1, 15)
    assert [f["when"] for f in feed] == sorted((f["when"] for f in feed), reverse=True)
    # What the workspace read already (every member, the newest activities and files)
    # tells the same story without reading them again.
    read = {
        "members": list(queries.members(studio)),
        "activities": queries.community_activities(studio, world.users["teacher"]),
        "files": queries.shared_files(studio),
    }
    again = queries.feed(studio, tasks=rows, **read)
    assert [(f["kind"], f["text"], f["when"]) for f in again] == [
        (f["kind"], f["text"], f["when"]) for f in feed
    ]


def test_a_task_met_by_held_activities_shows_in_the_feed_and_the_page(world, studio, client_for):
    """A task counted from activities (and one from online activities with a participant
    threshold) that is met appears in the feed when the activity that met it started —
    and the workspace page shows it (no 500)."""
    researcher = world.users["district_researcher"]
    services.add_task(
        actor=researcher,
        community=studio,
        year=YEAR,
        name="示范课",
        measure="activities",
        target=1,
        activity_kind="demonstration",
    )
    services.add_task(
        actor=researcher,
        community=studio,
        year=YEAR,
        name="网络教研",
        measure="online",
        target=1,
        min_participants=2,
    )
    a = held_activity(world, studio, title="工作室示范课")
    held_activity(world, studio, title="网络研讨", kind="lecture", mode="online")
    rows = queries.tasks_with_progress(studio, YEAR)
    assert {r["task"].name: r["met"] for r in rows} == {"示范课": True, "网络教研": False}
    done = [f for f in queries.feed(studio, tasks=rows) if f["kind"] == "task"]
    assert [(f["text"], f["when"]) for f in done] == [("示范课", a.starts_at)]
    page = client_for(researcher).get(f"/communities/{studio.pk}/?year={YEAR}")
    assert page.status_code == 200
    assert "示范课" in page.content.decode()
