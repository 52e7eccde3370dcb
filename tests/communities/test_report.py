"""The yearly report: a job renders it from the records as .docx (members, activities
held with participant numbers, task completion); its page shows the job, then the
download; another district never reaches it."""

from __future__ import annotations

import io

import pytest
from docx import Document

from jiaoyan.communities import services
from jiaoyan.core.models import Job

from .conftest import YEAR, held_activity

pytestmark = pytest.mark.usefixtures("chinese")


def test_report_holds_the_numbers(world, studio, client_for):
    researcher = world.users["district_researcher"]
    services.add_member(actor=researcher, community=studio, person=world.people["teacher_b"])
    services.generate_tasks(actor=researcher, community=studio, year=YEAR)
    held_activity(world, studio, people=("teacher", "teacher_b"), title="工作室示范课")
    # The host (a teacher, the studio's leader) may ask for it.
    report = services.request_report(actor=world.users["teacher"], community=studio, year=YEAR)
    assert report.job.status == Job.Status.SUCCEEDED
    report.refresh_from_db()
    with report.docx.open("rb") as f:
        doc = Document(io.BytesIO(f.read()))
    cells = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    assert ["示范课", "4", "1", "25%"] in cells
    assert any(r[1] == "工作室示范课" and r[-1] == "2" for r in cells if len(r) == 4)
    assert sum(1 for r in cells if r[0] in ("张老师", "刘老师")) == 2
    client = client_for(researcher)
    assert client.get(f"/communities/reports/{report.pk}/").status_code == 200
    resp = client.get(f"/communities/reports/{report.pk}/?download=1")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    outsider = client_for(world.users["outsider"])
    assert outsider.get(f"/communities/reports/{report.pk}/?download=1").status_code == 404


def test_a_report_is_started_by_post_only(world, studio, client_for):
    client = client_for(world.users["district_researcher"])
    assert client.get(f"/communities/{studio.pk}/reports/").status_code == 405
    resp = client.post(f"/communities/{studio.pk}/reports/", {"year": YEAR})
    assert resp.status_code == 302 and "/communities/reports/" in resp["Location"]
