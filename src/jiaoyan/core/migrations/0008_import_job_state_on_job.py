import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """An import's state lives on its job (copied by 0007): drop it from the import."""

    dependencies = [("core", "0007_import_jobs_onto_jobs")]

    operations = [
        migrations.AlterModelOptions(
            name="importjob",
            options={"ordering": ["-id"], "verbose_name": "import", "verbose_name_plural": "imports"},
        ),
        migrations.RemoveField(model_name="importjob", name="created_at"),
        migrations.RemoveField(model_name="importjob", name="created_by"),
        migrations.RemoveField(model_name="importjob", name="finished_at"),
        migrations.RemoveField(model_name="importjob", name="org_unit"),
        migrations.RemoveField(model_name="importjob", name="phase"),
        migrations.RemoveField(model_name="importjob", name="processed_rows"),
        migrations.RemoveField(model_name="importjob", name="result"),
        migrations.RemoveField(model_name="importjob", name="started_at"),
        migrations.RemoveField(model_name="importjob", name="status"),
        migrations.RemoveField(model_name="importjob", name="total_rows"),
        migrations.AlterField(
            model_name="importjob",
            name="job",
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="import_job", to="core.job"),
        ),
    ]
