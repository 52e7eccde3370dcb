"""Take back the grants of joint activities that were unlinked before unlinking did so.

Linking an activity to a pairing grants it to both sides' units (reason "pairing joint
activity"); until now unlinking left those grants, so the other side kept seeing the
activity. A grant of that reason whose activity no pairing of that side still names is
deleted. Reversing does nothing (the links that gave them are gone).
"""

from django.db import migrations

REASON = "pairing joint activity"
CHUNK = 1000


def revoke(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ScopeGrant = apps.get_model("core", "ScopeGrant")
    JointActivity = apps.get_model("pairing", "JointActivity")
    ct = ContentType.objects.filter(app_label="activities", model="activity").first()
    if ct is None:
        return
    needed = set()
    for activity_id, helping, helped in JointActivity.objects.values_list(
        "activity_id", "pairing__helping_unit_id", "pairing__helped_unit_id"
    ).iterator(chunk_size=CHUNK):
        needed.add((activity_id, helping))
        needed.add((activity_id, helped))
    stale = [
        pk
        for pk, object_id, unit_id in ScopeGrant.objects.filter(
            content_type=ct, reason=REASON, unit__isnull=False
        )
        .values_list("pk", "object_id", "unit_id")
        .iterator(chunk_size=CHUNK)
        if (object_id, unit_id) not in needed
    ]
    for i in range(0, len(stale), CHUNK):
        ScopeGrant.objects.filter(pk__in=stale[i : i + CHUNK]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0008_import_job_state_on_job"),
        ("pairing", "0002_feat_row_versions_and_deletes"),
    ]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
