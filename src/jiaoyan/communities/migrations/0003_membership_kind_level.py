"""Each membership keeps its community's kind and level (a community never changes
either), filled here for the memberships already there; an index covering what the
coverage aggregate reads of a membership."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Community = apps.get_model("communities", "Community")
    Membership = apps.get_model("communities", "Membership")
    of = Community.objects.filter(pk=OuterRef("community_id"))
    Membership.objects.update(
        kind=Subquery(of.values("kind")[:1]), level=Subquery(of.values("level")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('communities', '0002_feat_shared_files_task_due_notes'),
        ('orgs', '0002_seed_stages_and_subjects'),
        ('people', '0004_auditor_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='kind',
            field=models.CharField(blank=True, choices=[('consortium', 'School consortium'), ('principal', 'Principal community'), ('studio', 'Teacher studio')], editable=False, max_length=12, verbose_name='kind'),
        ),
        migrations.AddField(
            model_name='membership',
            name='level',
            field=models.CharField(blank=True, choices=[('city', 'City level'), ('county', 'County level'), ('school', 'School level')], editable=False, max_length=8, verbose_name='level'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='membership',
            index=models.Index(fields=['community', 'left_on', 'joined_on', 'kind', 'level', 'person', 'school'], name='membership_coverage'),
        ),
    ]
