"""Scope cases of pairing assistance: a pairing between two schools of 华州区, made by its
bureau (the ``outsider``), and every row below it, are invisible to 临渭区."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.orgs.models import OrgUnit
from jiaoyan.pairing import services
from jiaoyan.pairing.models import Fund, JointActivity, Pairing, PairingReport, PersonSent
from tests.activities.scope_cases import _activity
from tests.conftest import make_school
from tests.scope_cases import ScopeCase, register

TITLE = "华州区一小帮扶华州区二小"


def huazhou_pairing(w) -> Pairing:
    other = (
        OrgUnit.objects.filter(code="6105030002").first()
        or make_school(
            "6105030002", "华州区第二小学", w.units["huazhou"], location="rural"
        ).org_unit
    )
    return services.create_pairing(
        actor=w.users["outsider"],
        title=TITLE,
        helping=w.schools["school_c"].org_unit.code,
        helped=other.code,
        start_date=dt.date(2025, 3, 1),
        end_date=dt.date(2027, 2, 28),
        agreement_signed_on=dt.date(2025, 2, 20),
        agreement_file=SimpleUploadedFile("华州区结对协议.pdf", b"%PDF-1.4 agreement"),
    )


def _fund(w) -> Fund:
    return services.add_fund(
        actor=w.users["outsider"],
        pairing=huazhou_pairing(w),
        amount="123456.78",
        date=dt.date(2025, 4, 1),
        purpose="华州区购置图书",
    )


def _sent(w) -> PersonSent:
    return services.add_person_sent(
        actor=w.users["outsider"],
        pairing=huazhou_pairing(w),
        person=w.people["teacher_c"].staff_no,
        role=PersonSent.Role.SUPPORT_TEACHING,
        start_date=dt.date(2025, 3, 1),
        end_date=dt.date(2025, 7, 1),
        work="华州区支教数学",
    )


def _joint(w) -> JointActivity:
    return services.link_activity(
        actor=w.users["outsider"], pairing=huazhou_pairing(w), activity=_activity(w).pk
    )


def _report(w) -> PairingReport:
    return services.add_report(
        actor=w.users["outsider"],
        pairing=huazhou_pairing(w),
        side="helping",
        period="2025上半年",
        text="华州区帮扶进展",
        file=SimpleUploadedFile("华州区帮扶进展.pdf", b"%PDF-1.4 report"),
    )


register(
    ScopeCase(
        Pairing,
        huazhou_pairing,
        page=lambda p: f"/pairing/{p.pk}/",
        list_page="/pairing/",
        api=lambda p: f"/api/v1/pairings/{p.pk}",
        api_list="/api/v1/pairings",
        marker=lambda p: p.title,
    )
)
register(
    ScopeCase(
        Fund,
        _fund,
        list_page="/pairing/funds/",
        api=lambda f: f"/api/v1/pairing-funds/{f.pk}",
        api_list="/api/v1/pairing-funds",
        marker=lambda f: f.purpose,
    )
)
register(
    ScopeCase(
        PersonSent,
        _sent,
        list_page="/pairing/people/",
        api=lambda r: f"/api/v1/pairing-people/{r.pk}",
        api_list="/api/v1/pairing-people",
        marker=lambda r: r.work,
    )
)
register(
    ScopeCase(
        JointActivity,
        _joint,
        page=lambda j: f"/pairing/{j.pairing_id}/",
        api=lambda j: f"/api/v1/pairing-activities/{j.pk}",
        api_list="/api/v1/pairing-activities",
        marker=lambda j: j.activity.title,
    )
)
register(
    ScopeCase(
        PairingReport,
        _report,
        page=lambda r: f"/pairing/{r.pairing_id}/",
        api=lambda r: f"/api/v1/pairing-reports/{r.pk}",
        api_list="/api/v1/pairing-reports",
        marker=lambda r: r.text,
    )
)
