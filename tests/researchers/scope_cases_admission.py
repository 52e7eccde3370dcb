"""Scope cases of admission (准入): 华州区教育局's published round, a 华州区 teacher's
application to it with a piece of evidence — none of it visible to, or changeable by,
anyone of 临渭区 (imported by this app's scope_cases.py)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person
from jiaoyan.researchers import services_admission as services
from jiaoyan.researchers.models import AdmissionApplication, AdmissionEvidence, AdmissionRound
from tests.conftest import make_person, make_unit
from tests.scope_cases import ScopeCase, register


def huazhou_round(w) -> AdmissionRound:
    found = AdmissionRound.objects.filter(title="华州区小学数学教研员准入").first()
    if found is not None:
        return found
    institute = OrgUnit.objects.filter(code="610503902").first() or make_unit(
        "610503902", "华州区教研室", w.units["huazhou"], "county", "institute"
    )
    today = timezone.localdate()
    rnd = services.create_round(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        institute=institute,
        title="华州区小学数学教研员准入",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        requirements=[{"kind": "years", "years": 3}, {"kind": "interview"}],
    )
    return services.publish_round(actor=w.users["outsider"], round=rnd)


def huazhou_application(w) -> AdmissionApplication:
    found = AdmissionApplication.objects.filter(person__staff_no="HZT01").first()
    if found is not None:
        return found
    person = Person.objects.filter(staff_no="HZT01").first() or make_person(
        "HZT01",
        "华州申请人",
        w.schools["school_c"].org_unit,
        role="teacher",
        username="hz_shenqing",
    )
    return services.apply(
        actor=person.user,
        round=huazhou_round(w),
        statement="华州区一小数学教师的准入申请陈述",
        evidence=[SimpleUploadedFile("华州证书.pdf", b"%PDF-1.4 huazhou")],
    )


def _evidence(w) -> AdmissionEvidence:
    return huazhou_application(w).evidence.get()


register(
    ScopeCase(
        AdmissionRound,
        huazhou_round,
        page=lambda r: f"/researchers/admission/{r.pk}/",
        list_page="/researchers/admission/",
        api=lambda r: f"/api/v1/admission-rounds/{r.pk}",
        api_list="/api/v1/admission-rounds",
        marker=lambda r: r.title,
    )
)
register(
    ScopeCase(
        AdmissionApplication,
        huazhou_application,
        page=lambda a: f"/researchers/admission/applications/{a.pk}/",
        list_page="/researchers/admission/applications/",
        api=lambda a: f"/api/v1/admission-applications/{a.pk}",
        api_list="/api/v1/admission-applications",
        marker=lambda a: a.person.name,
    )
)
register(
    ScopeCase(
        AdmissionEvidence,
        _evidence,
        page=lambda e: f"/researchers/admission/evidence/{e.pk}/",
        marker=lambda e: e.file_name,
    )
)
