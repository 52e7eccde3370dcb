"""Scope cases of the communities models: each row belongs to 华州区 (a studio owned by its
bureau, whose admin is the ``outsider``, hosted by 华州区's teacher; the bureau's own
settings)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.communities import services
from jiaoyan.communities.models import (
    Community,
    CommunityTask,
    Evidence,
    Kind,
    KindPolicy,
    Measure,
    Membership,
    PointItem,
    PointRule,
    SharedFile,
    TaskTemplate,
    YearlyReport,
)
from tests.scope_cases import ScopeCase, register

YEAR = timezone.localdate().year


def _studio(w):
    """华州区's studio (made once: the cases share it, as its host leads one studio)."""
    made = Community.objects.filter(code="MS-HZ-001").first()
    if made is not None:
        return made
    return services.create_community(
        actor=w.users["outsider"],
        kind=Kind.STUDIO,
        org_unit=w.units["huazhou_bureau"],
        name="华州区陈老师小学数学工作室",
        code="MS-HZ-001",
        start_on=dt.date(YEAR - 1, 9, 1),
        end_on=dt.date(YEAR + 2, 8, 31),
        leader=w.people["teacher_c"],
    )


def _task(w):
    studio = _studio(w)
    services.generate_tasks(actor=w.users["outsider"], community=studio, year=YEAR)
    return studio.tasks.get(measure=Measure.EVIDENCE, name="课题研究")


def _evidence(w):
    return services.add_evidence(
        actor=w.users["outsider"],
        task=_task(w),
        date=dt.date(YEAR, 3, 1),
        count=1,
        description="华州区课题立项",
    )


register(
    ScopeCase(
        Community,
        _studio,
        page=lambda c: f"/communities/{c.pk}/",
        list_page="/communities/",
        api=lambda c: f"/api/v1/communities/{c.pk}",
        api_list="/api/v1/communities?limit=500",
        marker=lambda c: c.name,
    )
)
register(
    ScopeCase(
        Membership,
        lambda w: _studio(w).members.get(),
        list_page="/communities/members/",
        api_list="/api/v1/memberships?limit=500",
        marker=lambda m: m.person.name,
    )
)
register(ScopeCase(CommunityTask, _task, marker=lambda t: t.name))
register(ScopeCase(Evidence, _evidence, actions=("change", "delete", "add")))
register(
    ScopeCase(
        YearlyReport,
        lambda w: services.request_report(
            actor=w.users["outsider"], community=_studio(w), year=YEAR
        ),
        page=lambda r: f"/communities/reports/{r.pk}/",
    )
)
register(
    ScopeCase(
        TaskTemplate,
        lambda w: services.add_template(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            kind=Kind.STUDIO,
            name="华州区示范课",
            measure=Measure.ACTIVITIES,
            target=3,
        ),
    )
)
register(
    ScopeCase(
        PointRule,
        lambda w: services.save_point_rule(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            item=PointItem.DEMONSTRATION,
            level="county",
            points=4,
        ),
    )
)
register(
    ScopeCase(
        KindPolicy,
        lambda w: services.save_policy(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            kind=Kind.STUDIO,
            target_share=60,
            max_per_person=1,
        ),
    )
)
register(
    ScopeCase(
        SharedFile,
        lambda w: services.share_file(
            actor=w.users["outsider"],
            community=_studio(w),
            file=SimpleUploadedFile("华州区工作室计划.pdf", b"%PDF-1.4 plan"),
        ),
        page=lambda f: f"/communities/files/{f.pk}/",
        api=lambda f: f"/api/v1/community-files/{f.pk}",
        marker=lambda f: f.name,
    )
)
