"""The statistics' month table (``ResourceMonthStat``, resources/summary.py): the day
table added up per month and per unit on the path of each row's unit (that unit
included), the per-author rows left out — filled here from the day rows already kept, as
``summary.rebuild`` fills it, and marked as rolled up under the units' tree of now."""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def fill(apps, schema_editor):
    Day = apps.get_model("resources", "ResourceDayStat")
    Month = apps.get_model("resources", "ResourceMonthStat")
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    Stamp = apps.get_model("core", "Stamp")
    db = schema_editor.connection.alias
    paths = {
        pk: [int(p) for p in path.strip("/").split("/") if p] or [pk]
        for pk, path in OrgUnit.objects.using(db).values_list("pk", "path").iterator(BATCH)
    }
    total = Counter()
    rows = (
        Day.objects.using(db)
        .exclude(fact="author")
        .values_list("org_unit_id", "fact", "day", "status", "kind", "subject", "key", "n")
    )
    for unit, fact, day, status, kind, subject, key, n in rows.iterator(BATCH):
        month = day.replace(day=1)
        for above in paths.get(unit, [unit]):
            total[(above, fact, month, status, kind, subject, key)] += n
    fields = ("org_unit_id", "fact", "month", "status", "kind", "subject", "key")
    keys = sorted(k for k, n in total.items() if n)
    for start in range(0, len(keys), BATCH):
        Month.objects.using(db).bulk_create(
            [
                Month(n=total[k], **dict(zip(fields, k, strict=True)))
                for k in keys[start : start + BATCH]
            ]
        )
    units = Stamp.objects.using(db).filter(key="orgs.units").values_list("value", flat=True)
    Stamp.objects.using(db).update_or_create(
        key="resources.month_tree", defaults={"value": units.first() or 0}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0010_data_versions'),
        ('orgs', '0002_seed_stages_and_subjects'),
        ('resources', '0006_day_statistics'),
    ]

    operations = [
        migrations.CreateModel(
            name='ResourceMonthStat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fact', models.CharField(choices=[('submitted', 'Submitted'), ('authored', 'Submitted with authors'), ('author', 'Submitted by an author'), ('published', 'Published'), ('decided', 'Decided'), ('used', 'Used in lessons')], max_length=10, verbose_name='fact')),
                ('month', models.DateField(verbose_name='month')),
                ('status', models.CharField(blank=True, default='', max_length=10, verbose_name='status')),
                ('kind', models.CharField(blank=True, default='', max_length=20, verbose_name='kind')),
                ('subject', models.BigIntegerField(default=0, verbose_name='subject')),
                ('key', models.BigIntegerField(default=0, verbose_name='key')),
                ('n', models.IntegerField(default=0, verbose_name='count')),
                ('org_unit', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.orgunit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'resource statistics of a month',
                'verbose_name_plural': 'resource statistics of months',
                'ordering': ['org_unit_id', 'fact', 'month', 'id'],
                'indexes': [models.Index(fields=['org_unit', 'fact', 'month', 'status', 'kind', 'subject', 'key', 'n'], name='resourcemonthstat_read')],
                'constraints': [models.UniqueConstraint(fields=('org_unit', 'fact', 'month', 'status', 'kind', 'subject', 'key'), name='resourcemonthstat_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
