import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """An exam's analysis and a value-added pair point at the job computing them."""

    dependencies = [
        ("core", "0006_jobs"),
        ("quality", "0003_scoped_stat_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="analysis_job",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="core.job"),
        ),
        migrations.AddField(
            model_name="valueaddedlink",
            name="job",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="core.job"),
        ),
    ]
