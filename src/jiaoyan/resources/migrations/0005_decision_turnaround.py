"""The review turnaround kept on each decision (``ResourceEvent.turnaround``: whole seconds
from the (re)submission it answered), filled for the decisions already recorded; and the
indexes the statistics page reads its figures from (resources/stats.py): the unit's
resources by status (it replaces ``resource_unit_status``, its first two columns) with
every column a figure counts, and each resource's decisions with their turnaround.

A decision answers the last submission or resubmission of its resource at or before it;
one with none before it keeps the resource's submission moment when that came first,
else no turnaround (it is not counted, as before)."""

import datetime as dt

from django.db import migrations, models

DECISIONS = ("published", "returned", "rejected")
SUBMISSIONS = ("submitted", "resubmitted")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
BATCH = 5000


def seconds(submitted, decided) -> int:
    return (decided - EPOCH) // SECOND - (submitted - EPOCH) // SECOND


def fill(apps, schema_editor):
    Event = apps.get_model("resources", "ResourceEvent")
    Resource = apps.get_model("resources", "Resource")
    db = schema_editor.connection.alias
    quote = schema_editor.connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Event._meta.db_table)} SET {quote('turnaround')} = %s "
        f"WHERE {quote('id')} = %s"
    )
    rows = (
        Event.objects.using(db)
        .filter(step__in=DECISIONS + SUBMISSIONS)
        .order_by("resource_id", "created_at", "id")
        .values_list("id", "resource_id", "step", "created_at")
    )
    done: list[tuple[int, int]] = []
    orphans: list[tuple[int, int, dt.datetime]] = []  # decisions with no submission before

    def flush(force: bool = False) -> None:
        if done and (force or len(done) >= BATCH):
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany(sql, done)
            done.clear()

    def settle(events) -> None:
        # at one moment, a submission comes before a decision
        events.sort(key=lambda e: (e[3], e[2] not in SUBMISSIONS, e[0]))
        answered = None
        for pk, resource_id, step, at in events:
            if step in SUBMISSIONS:
                answered = at
            elif answered is not None:
                done.append((seconds(answered, at), pk))
            else:
                orphans.append((pk, resource_id, at))
        flush()

    current, events = None, []
    for row in rows.iterator(chunk_size=BATCH):
        if row[1] != current and events:
            settle(events)
            events = []
        current = row[1]
        events.append(row)
    if events:
        settle(events)
    for start in range(0, len(orphans), BATCH):
        part = orphans[start : start + BATCH]
        submitted = dict(
            Resource.objects.using(db)
            .filter(pk__in={r for _pk, r, _at in part}, submitted_at__isnull=False)
            .values_list("pk", "submitted_at")
        )
        for pk, resource_id, at in part:
            if resource_id in submitted and submitted[resource_id] <= at:
                done.append((seconds(submitted[resource_id], at), pk))
        flush()
    flush(force=True)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0004_use"),
    ]

    operations = [
        migrations.AddField(
            model_name="resourceevent",
            name="turnaround",
            field=models.IntegerField(
                blank=True, editable=False, null=True, verbose_name="review turnaround (seconds)"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(model_name="resource", name="resource_unit_status"),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                fields=[
                    "org_unit",
                    "status",
                    "submitted_at",
                    "published_at",
                    "kind",
                    "subject",
                    "view_count",
                    "use_count",
                    "rating_count",
                    "rating_sum",
                ],
                name="resource_stats",
            ),
        ),
        migrations.AddIndex(
            model_name="resourceevent",
            index=models.Index(
                condition=models.Q(("turnaround__isnull", False)),
                fields=["resource", "created_at", "turnaround"],
                name="resourceevent_decision",
            ),
        ),
    ]
