"""A resource's mean rating kept by the database (``rating_mean``, a stored generated
column: rating_sum / rating_count, NULL before the first rating) and the index
``resource_top_rated``, which the statistics' best rated walk in that order until ten of
a scope are found, instead of computing the mean of every rated resource and sorting
them all."""

import django.db.models.expressions
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_seed_stages_and_subjects"),
        ("resources", "0007_month_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="rating_mean",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.expressions.CombinedExpression(
                    django.db.models.functions.comparison.Cast("rating_sum", models.FloatField()),
                    "/",
                    django.db.models.functions.comparison.NullIf(models.F("rating_count"), 0),
                ),
                output_field=models.FloatField(),
                verbose_name="mean rating",
            ),
        ),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                fields=["status", "rating_mean", "rating_count", "id", "org_unit"],
                name="resource_top_rated",
            ),
        ),
    ]
