"""Scope cases of research projects: a call of 华州区's bureau (the ``outsider``) and a
project of 华州区第一小学 it approves, with its member, stages, document and review, and
华州区's project settings, are invisible to 临渭区 — to its researchers, principals and
teachers alike."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.projects import services
from jiaoyan.projects.models import (
    Project,
    ProjectCall,
    ProjectMember,
    ProjectPolicy,
    Review,
    StageDocument,
    StageRecord,
)
from tests.scope_cases import ScopeCase, register

CALL = "华州区2025年教育科研课题指南"
TITLE = "华州区小学劳动教育课题"


def huazhou_call(w) -> ProjectCall:
    found = ProjectCall.objects.filter(title=CALL).first()
    if found is not None:
        return found
    outsider = w.users["outsider"]
    call = services.create_call(
        actor=outsider,
        org_unit=w.units["huazhou_bureau"].pk,
        title=CALL,
        level="county",
        year=2025,
        opens_on=dt.date(2025, 1, 1),
        closes_on=dt.date(2099, 12, 31),
        topics="劳动教育",
    )
    return services.set_call_status(actor=outsider, call=call, status="open")


def huazhou_project(w) -> Project:
    found = Project.objects.filter(title=TITLE).first()
    if found is not None:
        return found
    return services.apply(
        actor=w.users["outsider"],
        call=huazhou_call(w).pk,
        title=TITLE,
        pi="H101",
        theme="劳动教育",
        application_form=SimpleUploadedFile("华州区申报书.pdf", b"%PDF-1.4 huazhou"),
    )


def _review(w) -> Review:
    p = huazhou_project(w)
    found = Review.objects.filter(project=p).first()
    if found is not None:
        return found
    return services.assign_experts(actor=w.users["outsider"], project=p, experts=["H001"])[0]


def _policy(w) -> ProjectPolicy:
    return services.set_policy(actor=w.users["outsider"], org_unit=w.units["huazhou"].pk, max_led=3)


register(
    ScopeCase(
        ProjectCall,
        huazhou_call,
        page=lambda c: f"/projects/calls/{c.pk}/",
        list_page="/projects/calls/",
        api=lambda c: f"/api/v1/project-calls/{c.pk}",
        api_list="/api/v1/project-calls",
        marker=lambda c: c.title,
    )
)
register(
    ScopeCase(
        Project,
        huazhou_project,
        page=lambda p: f"/projects/{p.pk}/",
        list_page="/projects/",
        api=lambda p: f"/api/v1/projects/{p.pk}",
        api_list="/api/v1/projects",
        marker=lambda p: p.title,
    )
)
register(
    ScopeCase(
        ProjectMember,
        lambda w: huazhou_project(w).members.get(role="pi"),
        marker=lambda m: m.person.name,
    )
)
register(
    ScopeCase(
        StageRecord,
        lambda w: huazhou_project(w).stages.get(stage="application"),
        api=lambda s: f"/api/v1/project-stages/{s.pk}",
        api_list="/api/v1/project-stages",
        marker=lambda s: f'"project": {s.project_id}',
        actions=("change",),
    )
)
register(
    ScopeCase(
        StageDocument,
        lambda w: StageDocument.objects.get(record__project=huazhou_project(w)),
        page=lambda d: f"/projects/documents/{d.pk}/",
        marker=lambda d: d.file_name,
        actions=("change",),
    )
)
register(
    ScopeCase(
        Review,
        _review,
        page=lambda r: f"/projects/reviews/{r.pk}/",
        api=lambda r: f"/api/v1/project-reviews/{r.pk}",
        api_list="/api/v1/project-reviews",
        marker=lambda r: r.project.title,
    )
)
register(
    ScopeCase(
        ProjectPolicy,
        _policy,
        marker=lambda p: str(p.max_led),
    )
)
