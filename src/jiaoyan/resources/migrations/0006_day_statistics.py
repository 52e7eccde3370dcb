"""The statistics' day table (``ResourceDayStat``, resources/summary.py): per unit, local
day and fact, how many resources were submitted (by status, kind and subject; with
authors; per author), published, decided (by turnaround in tenths of a day) and used in
lessons — filled here from the rows already recorded, as ``summary.rebuild`` fills it;
and the indexes the statistics' top lists walk (published resources by views, by uses)."""

from collections import Counter, defaultdict

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

TENTH_OF_A_DAY = 8640
BATCH = 5000


def day(moment):
    return timezone.localtime(moment).date()


def fill(apps, schema_editor):
    Resource = apps.get_model("resources", "Resource")
    Event = apps.get_model("resources", "ResourceEvent")
    Application = apps.get_model("resources", "Application")
    Stat = apps.get_model("resources", "ResourceDayStat")
    Authors = Resource.authors.through
    db = schema_editor.connection.alias
    total = Counter()
    units = {}
    counted = {}
    rows = Resource.objects.using(db).values_list(
        "pk", "org_unit_id", "status", "kind", "subject_id", "submitted_at", "published_at"
    )
    for pk, unit, status, kind, subject, submitted, published in rows.iterator(BATCH):
        units[pk] = unit
        if status != "draft" and submitted is not None:
            counted[pk] = (unit, day(submitted))
            total[(unit, "submitted", day(submitted), status, kind, subject or 0, 0)] += 1
        if status == "published" and published is not None:
            total[(unit, "published", day(published), "", "", 0, 0)] += 1
    authors = defaultdict(set)
    links = Authors.objects.using(db).values_list("resource_id", "person_id")
    for pk, person in links.iterator(BATCH):
        if pk in counted:
            authors[pk].add(person)
    for pk, people in authors.items():
        unit, on = counted[pk]
        total[(unit, "authored", on, "", "", 0, 0)] += 1
        for person in people:
            total[(unit, "author", on, "", "", 0, person)] += 1
    events = Event.objects.using(db).filter(turnaround__isnull=False)
    for pk, at, seconds in events.values_list("resource_id", "created_at", "turnaround").iterator(
        BATCH
    ):
        bucket = max(0, seconds // TENTH_OF_A_DAY)
        total[(units[pk], "decided", day(at), "", "", 0, bucket)] += 1
    uses = Application.objects.using(db).values_list("resource_id", "day")
    for pk, on in uses.iterator(BATCH):
        total[(units[pk], "used", on, "", "", 0, 0)] += 1
    fields = ("org_unit_id", "fact", "day", "status", "kind", "subject", "key")
    keys = sorted(k for k, n in total.items() if n)
    for start in range(0, len(keys), BATCH):
        Stat.objects.using(db).bulk_create(
            [
                Stat(n=total[k], **dict(zip(fields, k, strict=True)))
                for k in keys[start : start + BATCH]
            ]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0002_seed_stages_and_subjects'),
        ('resources', '0005_decision_turnaround'),
    ]

    operations = [
        migrations.CreateModel(
            name='ResourceDayStat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fact', models.CharField(choices=[('submitted', 'Submitted'), ('authored', 'Submitted with authors'), ('author', 'Submitted by an author'), ('published', 'Published'), ('decided', 'Decided'), ('used', 'Used in lessons')], max_length=10, verbose_name='fact')),
                ('day', models.DateField(verbose_name='day')),
                ('status', models.CharField(blank=True, default='', max_length=10, verbose_name='status')),
                ('kind', models.CharField(blank=True, default='', max_length=20, verbose_name='kind')),
                ('subject', models.BigIntegerField(default=0, verbose_name='subject')),
                ('key', models.BigIntegerField(default=0, verbose_name='key')),
                ('n', models.IntegerField(default=0, verbose_name='count')),
                ('org_unit', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.orgunit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'resource statistics of a day',
                'verbose_name_plural': 'resource statistics of days',
                'ordering': ['org_unit_id', 'fact', 'day', 'id'],
                'indexes': [models.Index(fields=['org_unit', 'fact', 'day', 'status', 'kind', 'subject', 'key', 'n'], name='resourcedaystat_read')],
                'constraints': [models.UniqueConstraint(fields=('org_unit', 'fact', 'day', 'status', 'kind', 'subject', 'key'), name='resourcedaystat_key')],
            },
        ),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                fields=["status", "view_count", "id", "org_unit"], name="resource_top_views"
            ),
        ),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                fields=["status", "use_count", "id", "org_unit"], name="resource_top_uses"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
