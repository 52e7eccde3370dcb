"""Link the observations and 同课异构 rounds recorded before the activity link existed.

Until then the activity was a free-text title (``activity_title``). A row whose title is
exactly the title of one activity, and of no other, is linked to it; the others keep
their text (an ambiguous or unknown title is never guessed). Reversing does nothing:
the titles were never changed, and the links go with the column (0003).
"""

from collections import defaultdict

from django.db import migrations

CHUNK = 500


def link(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    for name in ("Observation", "ComparisonRound"):
        model = apps.get_model("observations", name)
        titles = sorted(
            set(
                model.objects.filter(activity__isnull=True)
                .exclude(activity_title="")
                .values_list("activity_title", flat=True)
                .distinct()
            )
        )
        for i in range(0, len(titles), CHUNK):
            part = titles[i : i + CHUNK]
            found = defaultdict(list)
            for pk, title in Activity.objects.filter(title__in=part).values_list("pk", "title"):
                found[title].append(pk)
            for title, ids in found.items():
                if len(ids) == 1:
                    model.objects.filter(activity__isnull=True, activity_title=title).update(
                        activity_id=ids[0]
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("observations", "0003_link_to_activities"),
    ]

    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
