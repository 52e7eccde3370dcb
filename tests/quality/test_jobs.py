"""Quality's background work as jobs: the analysis shows its progress through the one
fragment and is failed by the sweep when its worker died; the school report's .docx is
rendered by the worker, and a download before it is ready shows the job's progress."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.test.utils import override_settings
from django.utils import timezone
from docx import Document

from jiaoyan.core import jobs
from jiaoyan.core.models import Job
from jiaoyan.quality import services
from jiaoyan.quality.models import Exam, ValueAddedLink
from jiaoyan.quality.tasks import ANALYSIS, SCHOOL_REPORT, VALUE_ADDED
from tests.quality.helpers import dataset, import_and_analyse, make_exam

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def exam(world):
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world))
    return exam


def test_the_analysis_is_a_job_whose_progress_the_exam_page_shows(world, exam, client_for):
    job = services.schedule_analysis(exam, actor=world.users["city_admin"])
    exam.refresh_from_db()
    assert exam.analysis_job == job and job.kind == ANALYSIS and exam.is_busy
    assert job.params == {"exam": exam.pk, "version": exam.data_version}
    assert job.org_unit_id == exam.org_unit_id
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, phase="Computing the figures", done=40, total=100
    )
    c = client_for(world.users["district_researcher"])
    html = c.get(f"/quality/{exam.pk}/").content.decode()
    assert 'data-testid="job-progress"' in html and 'style="width: 40%"' in html
    assert "计算各项指标" in html and 'hx-get="/quality/' in html  # polled through the exam
    # The worker runs it to the end; the poll then reloads the page.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, phase="", done=0, total=0)
    assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    exam.refresh_from_db()
    assert exam.is_ready and job.result == {"outcome": "ready"} and exam.analysis_progress == 100
    r = c.get(f"/quality/{exam.pk}/status/?was=busy", HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true"


def test_an_abandoned_analysis_fails_the_exam_with_a_message(world, exam, client_for):
    job = services.schedule_analysis(exam, actor=world.users["city_admin"])
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=2,
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )
    Exam.objects.filter(pk=exam.pk).update(analysis_status=Exam.Status.RUNNING)
    assert jobs.sweep().failed == [job.pk]
    exam.refresh_from_db()
    assert exam.analysis_status == Exam.Status.FAILED
    assert "任务已放弃" in exam.analysis_error
    html = client_for(world.users["city_admin"]).get(f"/quality/{exam.pk}/").content.decode()
    assert "任务已放弃" in html


def test_value_added_runs_as_a_job_and_its_status_is_the_jobs(world):
    entry = make_exam(world, name="七年级入学测试", grade=7)
    exit_exam = make_exam(world, name="九年级中考")
    import_and_analyse(world, entry, dataset(world, seed=1))
    import_and_analyse(world, exit_exam, dataset(world, seed=2))
    admin = world.users["city_admin"]
    services.grant_student_data(
        actor=admin, user=admin, org_unit=world.units["city"], reason="增值评价"
    )
    with override_settings(TASKS=DUMMY):
        link = services.request_value_added(
            actor=world.users["city_admin"], entry=entry, exit_exam=exit_exam
        )
        assert link.status == ValueAddedLink.Status.PENDING and link.job.kind == VALUE_ADDED
        again = services.request_value_added(
            actor=world.users["city_admin"], entry=entry, exit_exam=exit_exam
        )
        assert again.job_id == link.job_id  # one job waits; no second one
    assert jobs.execute(link.job_id) == Job.Status.SUCCEEDED
    link = ValueAddedLink.objects.select_related("entry_exam", "exit_exam", "job").get()
    assert link.status == ValueAddedLink.Status.READY and link.is_current and link.n_linked


@override_settings(TASKS=DUMMY)
def test_a_report_download_before_it_is_ready_shows_the_jobs_progress(world, exam, client_for):
    c = client_for(world.users["principal"])
    a = world.schools["school_a"].pk
    url = f"/quality/{exam.pk}/schools/{a}/?format=docx"
    r = c.get(url)  # a GET starts nothing: it offers the button that does
    assert r.status_code == 200 and 'data-testid="prepare-docx"' in r.content.decode()
    assert not Job.objects.filter(kind=SCHOOL_REPORT).exists()
    r = c.post(url)
    assert r.status_code == 302 and r["Location"] == url
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    job = Job.objects.get(kind=SCHOOL_REPORT)
    assert 'data-testid="report-pending"' in html and f'id="job-{job.pk}"' in html
    assert f'hx-get="/jobs/{job.pk}/progress/?was=active"' in html
    assert job.created_by == world.users["principal"] and job.status == Job.Status.QUEUED
    # Asking again while it waits starts nothing new.
    c.post(url)
    assert Job.objects.filter(kind=SCHOOL_REPORT).count() == 1
    # The poll is the principal's own; another district's admin gets a 404.
    assert c.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true").status_code == 200
    outsider = client_for(world.users["outsider"])
    assert outsider.get(f"/jobs/{job.pk}/progress/").status_code == 404
    # The worker renders it; the same address now downloads it.
    assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    r = c.get(url)
    assert r["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.word")
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "临渭区第一初级中学" in text and "质量分析报告" in text
    # Another user gets their own document (their scope, their suppression).
    client_for(world.users["city_admin"]).post(url)
    assert Job.objects.filter(kind=SCHOOL_REPORT).count() == 2


def test_a_report_job_refuses_a_changed_analysis(world, exam):
    school = world.schools["school_a"].org_unit
    with override_settings(TASKS=DUMMY):
        job = services.school_report_document(
            actor=world.users["principal"], exam=exam, school=school, subject=None
        )
    Exam.objects.filter(pk=exam.pk).update(data_version=exam.data_version + 1)
    with time_machine.travel(timezone.now(), tick=False):
        assert jobs.execute(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.message == "考试分析已更新，请重新下载报告。"
