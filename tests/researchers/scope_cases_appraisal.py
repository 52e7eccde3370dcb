"""Scope cases of the self-review and the annual appraisal: 华州区's own professional
standard, a 华州区 researcher's self-review, 华州区教育局's appraisal scheme with an
indicator of its own, and the researcher's appraisal — none of it visible to, or
changeable by, anyone of 临渭区 (imported by scope_cases.py)."""

from __future__ import annotations

from jiaoyan.researchers import services_appraisal
from jiaoyan.researchers.models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    ReviewStandard,
    SelfReview,
)
from tests.scope_cases import ScopeCase, register

from .scope_cases import huazhou_profile

YEAR = 2024


def _standard(w) -> ReviewStandard:
    found = ReviewStandard.objects.filter(org_unit=w.units["huazhou_bureau"]).first()
    return found or services_appraisal.create_standard(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        name="华州区教研员专业标准",
        dimensions="课程理解：华州区读懂课标\n教学指导：华州区听评课有诊断",
    )


def _self_review(w) -> SelfReview:
    p = huazhou_profile(w)
    standard = _standard(w)
    return services_appraisal.save_self_review(
        actor=p.person.user,
        profile=p,
        year=YEAR,
        ratings={s["code"]: 3 for _d, s in standard.statements()},
        reflection="华州区自评反思",
        submit=True,
    )


def _scheme(w) -> AppraisalScheme:
    found = AppraisalScheme.objects.filter(org_unit=w.units["huazhou_bureau"]).first()
    if found is not None:
        return found
    scheme = services_appraisal.create_scheme(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        year=YEAR,
        name="华州区2024年度教研员考核",
    )
    services_appraisal.save_indicator(
        actor=w.users["outsider"],
        scheme=scheme,
        name="华州区特色指标",
        kind="scored",
        max_score=10,
    )
    return scheme


def _indicator(w) -> AppraisalIndicator:
    return AppraisalIndicator.objects.get(scheme=_scheme(w), name="华州区特色指标")


def _appraisal(w) -> Appraisal:
    huazhou_profile(w)
    scheme = _scheme(w)
    AppraisalIndicator.objects.filter(scheme=scheme, name="华州区特色指标").delete()
    services_appraisal.open_scheme(actor=w.users["outsider"], scheme=scheme)
    return Appraisal.objects.select_related("profile__person").get(scheme=scheme)


register(
    ScopeCase(
        ReviewStandard,
        _standard,
        page=lambda s: f"/researchers/appraisal/standards/{s.pk}/",
        list_page="/researchers/appraisal/schemes/",
        api=lambda s: f"/api/v1/review-standards/{s.pk}",
        api_list="/api/v1/review-standards",
        marker=lambda s: s.name,
    )
)
register(
    ScopeCase(
        SelfReview,
        _self_review,
        page=lambda r: f"/researchers/appraisal/self-reviews/{r.pk}/",
        list_page=lambda r: f"/researchers/appraisal/self-reviews/?year={r.year}",
        api=lambda r: f"/api/v1/self-reviews/{r.pk}",
        api_list="/api/v1/self-reviews",
        marker=lambda r: r.profile.person.name,
    )
)
register(
    ScopeCase(
        AppraisalScheme,
        _scheme,
        page=lambda s: f"/researchers/appraisal/schemes/{s.pk}/",
        list_page="/researchers/appraisal/schemes/",
        api=lambda s: f"/api/v1/appraisal-schemes/{s.pk}",
        api_list="/api/v1/appraisal-schemes",
        marker=lambda s: s.name,
    )
)
register(
    ScopeCase(
        AppraisalIndicator,
        _indicator,
        page=lambda i: f"/researchers/appraisal/schemes/{i.scheme_id}/",
        marker=lambda i: i.name,
    )
)
register(
    ScopeCase(
        Appraisal,
        _appraisal,
        page=lambda a: f"/researchers/appraisal/{a.pk}/",
        list_page="/researchers/appraisal/",
        api=lambda a: f"/api/v1/appraisals/{a.pk}",
        api_list="/api/v1/appraisals",
        marker=lambda a: a.profile.person.name,
    )
)
