from django.db import migrations


def forwards(apps, schema_editor):
    """Carry the failures over to jobs (their message stays on the exam's page); a ready
    analysis or pair needs none (ready is what a pair computed without a job is), and a
    waiting one is run by the task queued before the upgrade, or queued again on request."""
    Exam = apps.get_model("quality", "Exam")
    Link = apps.get_model("quality", "ValueAddedLink")
    Job = apps.get_model("core", "Job")
    for exam in Exam.objects.filter(analysis_status="failed").iterator():
        job = Job.objects.create(
            kind="quality.analysis",
            status="failed",
            phase=exam.analysis_phase[:40],
            done=exam.analysis_progress,
            total=100,
            message=exam.analysis_error[:500],
            params={"exam": exam.pk, "version": exam.data_version},
            attempts=1,
            org_unit_id=exam.org_unit_id,
            created_by_id=exam.created_by_id,
        )
        Exam.objects.filter(pk=exam.pk).update(analysis_job=job)
    for link in Link.objects.filter(status="failed").select_related("exit_exam").iterator():
        job = Job.objects.create(
            kind="quality.value_added",
            status="failed",
            params={"link": link.pk},
            attempts=1,
            org_unit_id=link.exit_exam.org_unit_id,
        )
        Link.objects.filter(pk=link.pk).update(job=job)


def backwards(apps, schema_editor):
    Exam = apps.get_model("quality", "Exam")
    Link = apps.get_model("quality", "ValueAddedLink")
    for exam in Exam.objects.exclude(analysis_job=None).select_related("analysis_job"):
        job = exam.analysis_job
        Exam.objects.filter(pk=exam.pk).update(
            analysis_progress=min(job.done, 100),
            analysis_phase=job.phase,
            analysis_error=job.message[:300],
        )
    status = {"queued": "pending", "running": "running", "succeeded": "ready"}
    for link in Link.objects.select_related("job"):
        if link.job is None:
            value = "ready" if link.computed_at else "pending"
        else:
            value = status.get(link.job.status, "failed")
        Link.objects.filter(pk=link.pk).update(status=value)


class Migration(migrations.Migration):
    dependencies = [("quality", "0004_analysis_and_value_added_jobs")]

    operations = [migrations.RunPython(forwards, backwards)]
