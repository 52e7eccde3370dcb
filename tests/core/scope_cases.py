from jiaoyan.core.models import AuditLog, ImportJob, Job, Notification, ScopeGrant
from tests.scope_cases import ScopeCase, register


def _audit(w):
    from jiaoyan.core import audit

    return audit.record(
        w.users["outsider"], w.schools["school_c"], "update", {"address": ["旧址", "新址"]}
    )


def _grant(w):
    from django.contrib.contenttypes.models import ContentType

    return ScopeGrant.objects.create(
        content_type=ContentType.objects.get_for_model(type(w.schools["school_c"])),
        object_id=w.schools["school_c"].pk,
        unit=w.units["huazhou"],
    )


def _job(w):
    from django.core.files.base import ContentFile

    job = ImportJob(
        job=Job.objects.create(
            kind="core.import", created_by=w.users["outsider"], org_unit=w.units["huazhou"]
        ),
        kind="schools",
        original_name="华州区学校.xlsx",
    )
    job.file.save("x.csv", ContentFile(b"a,b\n"), save=True)
    return job


def _note(w):
    return Notification.objects.create(recipient=w.users["outsider"], title="华州区的私人通知")


register(ScopeCase(AuditLog, _audit, list_page="/audit/", marker=lambda a: "新址", actions=()))
register(ScopeCase(ScopeGrant, _grant, actions=()))
register(
    ScopeCase(
        ImportJob,
        _job,
        page=lambda j: f"/imports/{j.pk}/",
        list_page="/imports/",
        api=lambda j: f"/api/v1/import-jobs/{j.pk}",
        marker=lambda j: "华州区学校.xlsx",
        actions=("change",),
    )
)
register(
    ScopeCase(
        Notification,
        _note,
        page=lambda n: f"/notifications/{n.pk}/",
        page_status=302,  # opening a notification marks it read and goes to its target
        list_page="/notifications/",
        marker=lambda n: n.title,
        personal=True,
        actions=("change",),
    )
)


def _bg_job(w):
    return Job.objects.create(
        kind="core.import",
        org_unit=w.units["huazhou"],
        created_by=w.users["outsider"],
        message="华州区的后台任务",
    )


register(
    ScopeCase(
        Job,
        _bg_job,
        page=lambda j: f"/jobs/{j.pk}/progress/",
        marker=lambda j: j.message,
        actions=("change",),
    )
)
