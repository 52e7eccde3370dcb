from django.db import migrations


class Migration(migrations.Migration):
    """The analysis' progress, phase and error, and a pair's status, live on their jobs
    (carried over by 0005)."""

    dependencies = [("quality", "0005_analysis_state_onto_jobs")]

    operations = [
        migrations.RemoveField(model_name="exam", name="analysis_error"),
        migrations.RemoveField(model_name="exam", name="analysis_phase"),
        migrations.RemoveField(model_name="exam", name="analysis_progress"),
        migrations.RemoveField(model_name="valueaddedlink", name="status"),
    ]
