"""Scope cases of the screening models: rows of 华州区 are invisible to 临渭区 — and
restricted rows are seen only with the wellbeing permission (华州区's admin and the city
admin hold it on their regions here)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiaoyan.wellbeing.models import (
    Alert,
    Campaign,
    FollowUpCase,
    FollowUpEntry,
    Participation,
    RiskRule,
    Scale,
    Student,
    WellbeingPermission,
)
from jiaoyan.wellbeing.models_governance import ExportRequest
from tests.scope_cases import ScopeCase, register

INSIDERS = ("district_researcher", "principal", "teacher", "counsellor")


def _permissions(w) -> None:
    for user, unit in (("outsider", "huazhou"), ("city_admin", "city")):
        WellbeingPermission.objects.get_or_create(
            user=w.users[user], org_unit=w.units[unit], defaults={"reason": "测试"}
        )


def make_permission(w) -> WellbeingPermission:
    return WellbeingPermission.objects.create(
        user=w.users["outsider"], org_unit=w.units["huazhou"], reason="华州区心理筛查"
    )


def make_scale(w) -> Scale:
    return Scale.objects.create(
        org_unit=w.units["huazhou_bureau"],
        code="hz-mood",
        name="华州区情绪自评",
        definition={
            "items": ["我感到快乐", "我睡得好"],
            "options": [{"label": "否", "score": 0}, {"label": "是", "score": 1}],
            "cutoffs": [{"key": "low", "low": 0, "high": 1}, {"key": "high", "low": 2, "high": 2}],
        },
    )


def make_rule(w) -> RiskRule:
    return RiskRule.objects.create(
        org_unit=w.units["huazhou_bureau"], scale="phq9", level="华州红色", min_total=20
    )


def make_student(w) -> Student:
    _permissions(w)
    return Student.objects.create(
        school=w.schools["school_c"].org_unit,
        key=f"HZ{Student.objects.count() + 1:04d}",
        name="华州学生",
        gender="male",
        grade=5,
        class_name="1班",
    )


def make_campaign(w) -> Campaign:
    now = timezone.now()
    c = Campaign.objects.create(
        org_unit=w.units["huazhou"],
        name="华州区秋季筛查",
        scales=["phq9"],
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=3),
        class_code=f"HZCLASS{Campaign.objects.count() + 1}",
        status="open",
    )
    c.schools.set([w.schools["school_c"].org_unit])
    return c


def make_participation(w) -> Participation:
    s = make_student(w)
    return Participation.objects.create(
        campaign=make_campaign(w),
        student=s,
        school=s.school,
        code=f"HZCODE{Participation.objects.count() + 1:04d}",
    )


def make_alert(w) -> Alert:
    p = make_participation(w)
    return Alert.objects.create(
        participation=p, student=p.student, school=p.school, reason="crisis", scale="phq9"
    )


register(ScopeCase(WellbeingPermission, make_permission, marker=lambda p: p.reason))
register(
    ScopeCase(
        Scale,
        make_scale,
        list_page="/wellbeing/scales/",
        api_list=None,
        marker=lambda s: s.name,
    )
)
register(ScopeCase(RiskRule, make_rule, marker=lambda r: r.level))
register(
    ScopeCase(
        Student,
        make_student,
        page=lambda s: f"/wellbeing/students/{s.pk}/?reason=review",
        marker=lambda s: s.key,
    )
)
register(
    ScopeCase(
        Campaign,
        make_campaign,
        page=lambda c: f"/wellbeing/campaigns/{c.pk}/",
        list_page="/wellbeing/",
        api=lambda c: f"/api/v1/wellbeing/campaigns/{c.pk}",
        api_list="/api/v1/wellbeing/campaigns",
        marker=lambda c: c.name,
    )
)
register(
    ScopeCase(
        Participation,
        make_participation,
        page=lambda p: f"/wellbeing/participations/{p.pk}/paper/",
        marker=lambda p: p.code,
    )
)
register(
    ScopeCase(
        Alert,
        make_alert,
        page=lambda a: f"/wellbeing/alerts/{a.pk}/",
        list_page="/wellbeing/alerts/",
        api=lambda a: f"/api/v1/wellbeing/alerts/{a.pk}?reason=review",
        api_list="/api/v1/wellbeing/alerts",
        marker=lambda a: a.student.key,
        list_refused=INSIDERS,
    )
)


def make_export(w) -> ExportRequest:
    _permissions(w)
    return ExportRequest.objects.create(
        org_unit=w.units["huazhou"],
        what="alerts",
        reason="华州区转介复核导出",
        requested_by=w.users["outsider"],
    )


def make_case(w) -> FollowUpCase:
    a = make_alert(w)
    return FollowUpCase.objects.create(
        student=a.student,
        school=a.school,
        alert=a,
        level="attention",
        next_due=timezone.localdate(),
    )


def make_entry(w) -> FollowUpEntry:
    case = make_case(w)
    return FollowUpEntry.objects.create(
        case=case,
        school=case.school,
        kind="interview",
        on=timezone.localdate(),
        assessment="华州区约谈评估",
        plan="华州区干预计划",
    )


register(
    ScopeCase(
        ExportRequest,
        make_export,
        page=lambda r: f"/wellbeing/governance/exports/{r.pk}/",
        list_page="/wellbeing/governance/exports/",
        api=lambda r: f"/api/v1/wellbeing/exports/{r.pk}",
        api_list="/api/v1/wellbeing/exports",
        marker=lambda r: r.reason,
        actions=("change",),
        list_refused=INSIDERS,
    )
)
register(
    ScopeCase(
        FollowUpCase,
        make_case,
        page=lambda c: f"/wellbeing/follow-ups/{c.pk}/?reason=review",
        list_page="/wellbeing/follow-ups/",
        api=lambda c: f"/api/v1/wellbeing/follow-ups/{c.pk}?reason=review",
        api_list="/api/v1/wellbeing/follow-ups",
        marker=lambda c: c.student.key,
        list_refused=INSIDERS,
    )
)
register(
    ScopeCase(
        FollowUpEntry,
        make_entry,
        page=lambda e: f"/wellbeing/follow-ups/{e.case_id}/?reason=review",
        marker=lambda e: e.assessment,
        actions=("change", "delete"),
    )
)
