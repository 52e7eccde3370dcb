from django.db import migrations

# ImportJob.status → Job.status (a rejected sheet is a failed job whose report says so).
TO_JOB = {
    "pending": "queued",
    "running": "running",
    "succeeded": "succeeded",
    "rejected": "failed",
    "failed": "failed",
}


def forwards(apps, schema_editor):
    """Give every import its job, carrying its state (status, phase, counts, report,
    owner, creator, timings) over unchanged."""
    ImportJob = apps.get_model("core", "ImportJob")
    Job = apps.get_model("core", "Job")
    for imp in ImportJob.objects.filter(job__isnull=True).order_by("pk").iterator():
        result = dict(imp.result or {})
        if imp.status == "rejected":
            result["rejected"] = True
        started = imp.started_at is not None
        job = Job.objects.create(
            kind="core.import",
            status=TO_JOB.get(imp.status, "failed"),
            phase="" if imp.phase == "queued" else imp.phase,
            done=imp.processed_rows,
            total=imp.total_rows,
            result=result,
            attempts=1 if started else 0,
            max_attempts=2,
            org_unit_id=imp.org_unit_id,
            created_by_id=imp.created_by_id,
            created_at=imp.created_at,
            started_at=imp.started_at,
            finished_at=imp.finished_at,
            heartbeat_at=imp.finished_at or imp.started_at,
        )
        ImportJob.objects.filter(pk=imp.pk).update(job=job)


def backwards(apps, schema_editor):
    ImportJob = apps.get_model("core", "ImportJob")
    for imp in ImportJob.objects.select_related("job").exclude(job=None).iterator():
        job = imp.job
        status = {"queued": "pending", "cancelled": "failed"}.get(job.status, job.status)
        if job.status == "failed" and job.result.get("rejected"):
            status = "rejected"
        result = {k: v for k, v in job.result.items() if k != "rejected"}
        ImportJob.objects.filter(pk=imp.pk).update(
            status=status,
            phase=job.phase or "queued",
            processed_rows=job.done,
            total_rows=job.total,
            result=result,
            org_unit_id=job.org_unit_id,
            created_by_id=job.created_by_id,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0006_jobs")]

    operations = [migrations.RunPython(forwards, backwards)]
