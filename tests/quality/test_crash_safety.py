"""A task worker killed with SIGKILL while it recomputes an exam's analysis loses nothing:
the exam keeps the whole previous analysis (or, had the new one committed, the whole new
one — never a mix), the sweep queues the job again, and the next worker stores the whole
new analysis.

On PostgreSQL the kill lands inside the analysis's write transaction, after it deleted
the previous figures: the test holds writes to the item statistics (deleted next), and
kills the worker once its backend waits there. On SQLite (WAL) nothing can stop a writer
inside its transaction from outside; the test holds the database's write lock once the
worker claimed the job, and the worker dies wherever that stopped it (its next write).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test.utils import override_settings

from jiaoyan.core.models import Job
from jiaoyan.quality import services
from jiaoyan.quality.models import Exam, GroupStat
from tests.core.test_crash_safety import kill_while_held, retry_after_death, run_to_the_end
from tests.core.test_jobs_worker import DB_TASKS, SharedDatabase

from .helpers import dataset, import_and_analyse, make_exam

FIGURES = ("level", "subject_id", "org_unit_id", "class_name", "n", "absent", "mean", "sd")


def _analysis(exam: Exam) -> tuple[set[int], list[tuple]]:
    rows = GroupStat.objects.filter(exam=exam)
    ids = set(rows.values_list("pk", flat=True))
    return ids, sorted(rows.values_list(*FIGURES), key=repr)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_an_analysis_keeps_one_whole_analysis(world, tmp_path):
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(600, 600, 500, 3)))
    old_ids, figures = _analysis(exam)
    assert exam.is_ready and len(old_ids) > 40
    with override_settings(TASKS=DB_TASKS), transaction.atomic():
        job = services.schedule_analysis(exam, actor=world.users["city_admin"])

    db = SharedDatabase(tmp_path)
    killed = kill_while_held(db, job.pk, "quality_itemstat")
    assert killed["status"] == "running"
    ids, now = _analysis(exam)
    if not db.sqlite:
        # Killed inside the write: the previous figures were deleted, not committed.
        assert killed["written"] and killed["phase"] == "Storing the results"
        assert ids == old_ids
    # One whole analysis: every row of the previous run, or every row of a new one.
    assert ids == old_ids or (not ids & old_ids and len(ids) == len(old_ids)), (ids, old_ids)
    assert now == figures  # the same data: the same figures, whichever run they are from
    exam.refresh_from_db()
    busy = (Exam.Status.PENDING, Exam.Status.RUNNING)  # killed before or after it said so
    assert exam.analysis_status in (*busy, Exam.Status.READY) and exam.analysis_job_id == job.pk
    if not db.sqlite:
        assert exam.analysis_status == Exam.Status.RUNNING

    retry_after_death(job.pk)
    job = run_to_the_end(db, job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.attempts == 2 and job.result == {"outcome": "ready"}
    exam.refresh_from_db()
    assert exam.is_ready and exam.analysis_job_id == job.pk
    ids, now = _analysis(exam)
    assert not ids & old_ids and len(ids) == len(old_ids) and now == figures
