"""Scope cases of the researchers app: a researcher of 华州区 with a profile, a year's
duties, a residency at a 华州区 school with a visit, and an exchange in the history —
none of it visible to, or changeable by, anyone of 临渭区."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiaoyan.orgs.models import OrgUnit
from jiaoyan.researchers import services
from jiaoyan.researchers.models import Duty, ResearcherProfile, Residency, RoleChange, Visit
from tests.conftest import make_person, make_unit
from tests.scope_cases import ScopeCase, register


def huazhou_profile(w) -> ResearcherProfile:
    found = ResearcherProfile.objects.filter(person__staff_no="HZR01").first()
    if found is not None:
        return found
    institute = OrgUnit.objects.filter(code="610503902").first() or make_unit(
        "610503902", "华州区教研室", w.units["huazhou"], "county", "institute"
    )
    person = make_person(
        "HZR01",
        "华州教研员",
        institute,
        role="researcher",
        subjects=["数学"],
        username="hz_jiaoyanyuan",
    )
    return services.create_profile(actor=w.users["outsider"], person=person, org_unit=institute)


def _duty(w) -> Duty:
    return services.set_duties(
        actor=w.users["outsider"],
        profile=huazhou_profile(w),
        year=2025,
        text="华州区初中数学教研职责",
    )


def _residency(w) -> Residency:
    p = huazhou_profile(w)
    found = Residency.objects.filter(profile=p).first()
    if found is not None:
        return found
    today = timezone.localdate()
    return services.create_residency(
        actor=w.users["outsider"],
        profile=p,
        school=w.schools["school_c"].org_unit,
        start_date=today - dt.timedelta(days=30),
        end_date=today - dt.timedelta(days=1),
        goals="华州区一小蹲点目标",
    )


def _visit(w) -> Visit:
    return services.log_visit(
        actor=w.users["outsider"],
        residency=_residency(w),
        kind="observed",
        date=timezone.localdate() - dt.timedelta(days=5),
        note="华州区一小听课走访",
    )


def _change(w) -> RoleChange:
    from tests.conftest import make_unit as mk

    p = huazhou_profile(w)
    other = OrgUnit.objects.filter(code="610503903").first() or mk(
        "610503903", "华州区教师进修学校", w.units["huazhou"], "county", "institute"
    )
    return services.exchange_researcher(
        actor=w.users["outsider"], profile=p, to_unit=other, reason="transfer", note="华州区内交流"
    )


register(
    ScopeCase(
        ResearcherProfile,
        huazhou_profile,
        page=lambda p: f"/researchers/{p.pk}/",
        list_page="/researchers/",
        api=lambda p: f"/api/v1/researchers/{p.pk}",
        api_list="/api/v1/researchers",
        marker=lambda p: p.person.name,
    )
)
register(
    ScopeCase(
        Duty,
        _duty,
        page=lambda d: f"/researchers/{d.profile_id}/",
        marker=lambda d: d.text,
    )
)
register(
    ScopeCase(
        Residency,
        _residency,
        page=lambda r: f"/researchers/residencies/{r.pk}/",
        api=lambda r: f"/api/v1/residencies/{r.pk}",
        api_list="/api/v1/residencies",
        marker=lambda r: r.goals,
    )
)
register(
    ScopeCase(
        Visit,
        _visit,
        list_page="/researchers/visits/",
        api=lambda v: f"/api/v1/residency-visits/{v.pk}",
        marker=lambda v: v.note,
    )
)
register(
    ScopeCase(
        RoleChange,
        _change,
        page=lambda c: f"/researchers/{c.profile_id}/",
        marker=lambda c: c.note,
    )
)

# Admission (准入) registers its own cases.
from tests.researchers import scope_cases_admission  # noqa: E402, F401

# The self-review and the annual appraisal register theirs in their own module.
from . import scope_cases_appraisal  # noqa: E402, F401
