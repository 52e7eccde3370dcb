"""Scope cases of the quality models: rows owned in 华州区 are invisible to 临渭区."""

from __future__ import annotations

from jiaoyan.quality import analysis, services
from jiaoyan.quality.models import (
    BalanceInput,
    Candidate,
    Exam,
    GroupStat,
    Level,
    StudentDataPermission,
    ValueAddedLink,
    ValueAddedStat,
)
from tests.quality.helpers import dataset, header, make_exam, xlsx_bytes
from tests.scope_cases import ScopeCase, register


def huazhou_exam(w, name="华州区期末") -> Exam:
    exam = make_exam(
        w, owner=w.units["huazhou"], name=name, actor=w.users["outsider"], stage="primary", grade=6
    )
    code = w.schools["school_c"].org_unit.code
    rows = [r for r in dataset(w) if r[1] == code]
    services.import_scores(
        actor=w.users["outsider"],
        exam=exam,
        data=xlsx_bytes([header(), *rows]),
        filename="s.xlsx",
    )
    analysis.run_analysis(exam.pk)
    exam.refresh_from_db()
    return exam


def _with_permissions(w) -> None:
    """Give the 华州区 admin and the city admin the student-data permission on their own
    regions, and a 临渭区 insider one on 临渭区: none of them reaches the other district."""
    for user, unit in (
        ("outsider", "huazhou"),
        ("city_admin", "city"),
    ):
        if not StudentDataPermission.objects.filter(user=w.users[user]).exists():
            StudentDataPermission.objects.create(
                user=w.users[user], org_unit=w.units[unit], reason="测试", granted_by=None
            )
    StudentDataPermission.objects.get_or_create(
        user=w.users["district_researcher"], org_unit=w.units["linwei"], reason="测试"
    )


def make_candidate(w) -> Candidate:
    exam = huazhou_exam(w)
    _with_permissions(w)
    return Candidate.objects.filter(exam=exam).first()


def make_stat(w) -> GroupStat:
    exam = huazhou_exam(w)
    return GroupStat.objects.get(
        exam=exam, level=Level.SCHOOL, subject__isnull=True, org_unit=w.schools["school_c"].pk
    )


def make_link(w) -> ValueAddedLink:
    entry = huazhou_exam(w, "华州区入学测试")
    exit_exam = huazhou_exam(w, "华州区期末")
    link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=exit_exam)
    analysis.run_value_added(link.pk)
    return link


def make_va_stat(w) -> ValueAddedStat:
    link = make_link(w)
    return ValueAddedStat.objects.get(link=link, level=Level.SCHOOL)


register(
    ScopeCase(
        Exam,
        huazhou_exam,
        page=lambda e: f"/quality/{e.pk}/",
        list_page="/quality/",
        api=lambda e: f"/api/v1/exams/{e.pk}",
        api_list="/api/v1/exams?limit=500",
        marker=lambda e: e.name,
    )
)
register(
    ScopeCase(
        GroupStat,
        make_stat,
        page=lambda s: f"/quality/{s.exam_id}/schools/{s.org_unit_id}/",
        api=lambda s: f"/api/v1/exams/{s.exam_id}/analysis?level=school",
        marker=lambda s: s.org_unit.name,
    )
)
register(
    ScopeCase(
        Candidate,
        make_candidate,
        page=lambda c: f"/quality/{c.exam_id}/students/?school={c.school_id}&reason=review",
        api=lambda c: f"/api/v1/exams/{c.exam_id}/students?school={c.school_id}&reason=review",
        marker=lambda c: c.exam_no,
    )
)
register(
    ScopeCase(
        ValueAddedLink,
        make_link,
        page=lambda lk: f"/quality/value-added/?entry={lk.entry_exam_id}&exit={lk.exit_exam_id}",
        api=lambda lk: f"/api/v1/value-added?entry={lk.entry_exam_id}&exit={lk.exit_exam_id}",
        marker=lambda lk: lk.exit_exam.name,
        actions=("change", "delete", "add"),
    )
)
register(
    ScopeCase(
        ValueAddedStat,
        make_va_stat,
        api=lambda s: (
            f"/api/v1/value-added?entry={s.link.entry_exam_id}&exit={s.link.exit_exam_id}"
        ),
        marker=lambda s: s.org_unit.name,
    )
)


def make_balance_input(w) -> BalanceInput:
    return BalanceInput.objects.create(
        school=w.schools["school_c"].org_unit, students=300, values={"key_teachers": 6}
    )


register(
    ScopeCase(
        BalanceInput,
        make_balance_input,
        # The page shows only aggregates; its export lists every visible school's row.
        list_page="/quality/balance/?stage=primary&export=xlsx",
        marker=lambda b: b.school.name,
    )
)


def make_permission(w) -> StudentDataPermission:
    return StudentDataPermission.objects.create(
        user=w.users["outsider"], org_unit=w.units["huazhou"], reason="华州区质量分析"
    )


register(
    ScopeCase(
        StudentDataPermission,
        make_permission,
        list_page="/quality/permissions/",
        marker=lambda p: p.reason,
    )
)
