"""A task worker killed with SIGKILL in the middle of a source's certificates batch: the
sweep finds the job by its stale heartbeat and queues it again, and the next worker
renders the whole ZIP (every certificate once); nothing half-written is stored under the
ZIP's name (the store links a file under its name only once it is whole)."""

from __future__ import annotations

import datetime as dt
import signal
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.test.utils import override_settings

from jiaoyan.core.models import Job
from jiaoyan.hours import certificates
from jiaoyan.people.models import Person
from tests.activities.conftest import make_activity
from tests.core.test_crash_safety import retry_after_death, run_to_the_end
from tests.core.test_jobs_worker import DB_TASKS, SharedDatabase, start_worker, stop, wait_for

N = 300


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_is_retried_and_the_rerun_completes(world, tmp_path):
    activity = make_activity(world, title="临渭区新教师入职培训")
    unit = world.schools["school_a"].org_unit
    Person.objects.bulk_create(
        Person(staff_no=f"Z{i:05d}", name=f"学员{i:03d}号", org_unit=unit) for i in range(N)
    )
    ids = list(Person.objects.filter(staff_no__startswith="Z").values_list("pk", flat=True))
    with transaction.atomic():
        certificates.issue_for_source(
            activity,
            person_ids=ids,
            title=activity.title,
            issuer_id=world.units["linwei_institute"].pk,
            issued_on=dt.date(2026, 5, 20),
            hours_by_person={p: Decimal("12") for p in ids},
        )
    with override_settings(TASKS=DB_TASKS), transaction.atomic():
        job = certificates.start_zip(actor=world.users["district_researcher"], source=activity)

    db = SharedDatabase(tmp_path)
    db.publish()
    worker = start_worker(db)
    try:
        row = wait_for(
            db, job.pk, worker, lambda r: r["status"] == "running" and (r["done"] or 0) >= 50
        )
        stop(worker, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            stop(worker, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    db.collect()
    assert 50 <= row["done"] < N  # killed mid-batch
    assert not default_storage.exists(f"hours/certificates/{job.pk}.zip")

    retry_after_death(job.pk)
    job = run_to_the_end(db, job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.attempts == 2 and job.result["count"] == N and (job.done, job.total) == (N, N)
    with default_storage.open(job.result["file"], "rb") as f:
        names = zipfile.ZipFile(f).namelist()
    assert len(names) == N == len(set(names))
    default_storage.delete(job.result["file"])
