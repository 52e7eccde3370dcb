import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The one job record of background work; imports point at theirs (filled by 0007)."""

    dependencies = [
        ("core", "0005_import_job_params"),
        ("orgs", "0002_seed_stages_and_subjects"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed"), ("cancelled", "Cancelled")], default="queued", max_length=16, verbose_name="status")),
                ("phase", models.CharField(blank=True, max_length=40, verbose_name="phase")),
                ("done", models.PositiveIntegerField(default=0, verbose_name="done")),
                ("total", models.PositiveIntegerField(default=0, verbose_name="total")),
                ("message", models.CharField(blank=True, max_length=500, verbose_name="message")),
                ("params", models.JSONField(blank=True, default=dict, verbose_name="parameters")),
                ("result", models.JSONField(blank=True, default=dict, verbose_name="result")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("max_attempts", models.PositiveSmallIntegerField(default=2, verbose_name="maximum attempts")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="last heartbeat")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("org_unit", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="orgs.orgunit")),
            ],
            options={
                "verbose_name": "background job",
                "verbose_name_plural": "background jobs",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
                    models.Index(fields=["kind", "-created_at"], name="job_kind_created"),
                ],
            },
        ),
        migrations.AddField(
            model_name="importjob",
            name="job",
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="import_job", to="core.job"),
        ),
    ]
