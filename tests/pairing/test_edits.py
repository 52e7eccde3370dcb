"""Correcting and removing what a pairing recorded (funds, people sent, periodic reports,
joint activities) through services with audit, side rules and optimistic locking; the
agreement document through the guarded upload path, pages and API alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.pairing import queries, services
from jiaoyan.pairing.models import Fund, JointActivity, PairingReport, PersonSent
from tests.activities.conftest import make_activity
from tests.activities.scope_cases import _activity

from .test_pairing import END, START, _pair

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def pairing(world):
    """临渭一中 (helping) and 华州一小 (helped, whose bureau admin is the outsider), made by
    the city bureau."""
    return _pair(world)


def _fund(world, pairing, amount="1000"):
    return services.add_fund(
        actor=world.users["city_admin"], pairing=pairing, amount=amount, date=START, purpose="图书"
    )


def test_a_fund_is_corrected_and_the_totals_follow(world, pairing):
    fund = _fund(world, pairing)
    services.update_fund(
        actor=world.users["city_admin"],
        fund=fund,
        data={"amount": "2050000", "purpose": "捐赠"},
        expected_version=fund.version,
    )
    assert queries.fund_totals([pairing.pk])["total"] == Decimal("2050000")
    assert AuditLog.objects.filter(object_id=fund.pk, changes__purpose=["图书", "捐赠"]).exists()
    with pytest.raises(ServiceError):  # stale
        services.update_fund(
            actor=world.users["city_admin"],
            fund=fund,
            data={"amount": "5"},
            expected_version=fund.version,
        )
    for bad in ("0", "-1", "x"):
        with pytest.raises(ServiceError) as e:
            services.update_fund(actor=world.users["city_admin"], fund=fund, data={"amount": bad})
        assert e.value.field == "amount"
    assert Fund.objects.get(pk=fund.pk).amount == Decimal("2050000")


def test_the_helped_side_does_not_touch_the_funds(world, pairing):
    fund = _fund(world, pairing)
    with pytest.raises(PermissionDenied):
        services.update_fund(actor=world.users["outsider"], fund=fund, data={"amount": "1"})
    with pytest.raises(PermissionDenied):
        services.delete_fund(actor=world.users["outsider"], fund=fund)
    services.delete_fund(actor=world.users["city_admin"], fund=fund)
    assert not Fund.objects.exists()
    assert AuditLog.objects.filter(object_id=pairing.pk, changes__fund__1=None).exists()


def test_a_person_sent_is_corrected_within_the_period(world, pairing):
    row = services.add_person_sent(
        actor=world.users["city_admin"],
        pairing=pairing,
        person="T002",
        role=PersonSent.Role.SUPPORT_TEACHING,
        start_date=START,
        end_date=dt.date(2025, 1, 20),
    )
    with pytest.raises(ServiceError) as e:
        services.update_person_sent(
            actor=world.users["city_admin"], row=row, data={"end_date": END + dt.timedelta(1)}
        )
    assert e.value.field == "start_date"
    services.update_person_sent(
        actor=world.users["city_admin"],
        row=row,
        data={"role": PersonSent.Role.STATIONED, "work": "驻校指导数学教研"},
        expected_version=row.version,
    )
    row.refresh_from_db()
    assert (row.role, row.work, row.end_date) == (
        "stationed",
        "驻校指导数学教研",
        dt.date(2025, 1, 20),
    )
    with pytest.raises(PermissionDenied):
        services.delete_person_sent(actor=world.users["outsider"], row=row)
    services.delete_person_sent(actor=world.users["city_admin"], row=row)
    assert not PersonSent.objects.exists()


def test_each_side_corrects_its_own_reports(world, pairing):
    helped = services.add_report(
        actor=world.users["outsider"], pairing=pairing, side="helped", period="2025上", text="进展"
    )
    helping = services.add_report(
        actor=world.users["district_researcher"],
        pairing=pairing,
        side="helping",
        period="2025上",
        text="送教三次",
    )
    assert {r.side for r in PairingReport.objects.all()} == {"helped", "helping"}
    # The helping side's researcher may not change the helped side's report, nor the
    # other way round.
    with pytest.raises(PermissionDenied):
        services.update_report(
            actor=world.users["district_researcher"], report=helped, data={"text": "x"}
        )
    with pytest.raises(PermissionDenied):
        services.delete_report(actor=world.users["outsider"], report=helping)
    services.update_report(
        actor=world.users["outsider"],
        report=helped,
        data={"text": "教研组建设有进展"},
        expected_version=helped.version,
    )
    with pytest.raises(ServiceError):
        services.update_report(actor=world.users["outsider"], report=helped, data={"text": " "})
    assert PairingReport.objects.get(pk=helped.pk).text == "教研组建设有进展"
    services.delete_report(actor=world.users["district_researcher"], report=helping)
    assert list(PairingReport.objects.values_list("side", flat=True)) == ["helped"]


def test_a_joint_activity_is_linked_and_unlinked(world, pairing):
    activity = make_activity(world)
    link = services.link_activity(
        actor=world.users["district_researcher"], pairing=pairing, activity=activity.pk
    )
    with pytest.raises(ServiceError):
        services.link_activity(
            actor=world.users["district_researcher"], pairing=pairing, activity=activity.pk
        )
    services.unlink_activity(actor=world.users["city_admin"], link=link)
    assert not JointActivity.objects.exists()
    assert activity.__class__.objects.filter(pk=activity.pk).exists()  # the activity stays


def test_edits_through_the_pages(world, pairing, client_for):
    fund = _fund(world, pairing)
    admin = client_for(world.users["city_admin"])
    page = admin.get(f"/pairing/{pairing.pk}/").content.decode()
    assert f"/pairing/funds/{fund.pk}/edit/" in page
    assert admin.get(f"/pairing/funds/{fund.pk}/edit/").status_code == 200
    resp = admin.post(
        f"/pairing/funds/{fund.pk}/edit/",
        {"amount": "1200.50", "date": "2024-10-01", "purpose": "图书", "version": fund.version},
    )
    assert resp.status_code == 302
    assert Fund.objects.get(pk=fund.pk).amount == Decimal("1200.50")
    bad = admin.post(
        f"/pairing/funds/{fund.pk}/edit/",
        {"amount": "-3", "date": "2024-10-01", "purpose": "图书", "version": fund.version + 1},
    )
    assert bad.status_code == 200 and Fund.objects.get(pk=fund.pk).amount == Decimal("1200.50")
    # The helped side sees the fund but has no edit page for it.
    helped = client_for(world.users["outsider"])
    assert helped.get(f"/pairing/funds/{fund.pk}/edit/").status_code == 403
    assert helped.post(f"/pairing/funds/{fund.pk}/delete/").status_code == 403
    assert admin.post(f"/pairing/funds/{fund.pk}/delete/").status_code == 302
    assert not Fund.objects.exists()
    report = services.add_report(
        actor=world.users["outsider"], pairing=pairing, side="helped", period="2025上", text="进展"
    )
    resp = helped.post(
        f"/pairing/reports/{report.pk}/edit/",
        {"period": "2025上半年", "text": "进展顺利", "version": report.version},
    )
    assert resp.status_code == 302
    assert PairingReport.objects.get(pk=report.pk).period == "2025上半年"


def test_reports_joint_activities_and_agreement_through_the_api(world, pairing, api_for):
    helped = api_for(world.users["outsider"])
    helping = api_for(world.users["district_researcher"])
    resp = helped.post(
        f"/api/v1/pairings/{pairing.pk}/reports",
        {"side": "helped", "period": "2025上", "text": "进展"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    wrong = helped.post(
        f"/api/v1/pairings/{pairing.pk}/reports",
        {"side": "helping", "period": "2025上", "text": "x"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and PairingReport.objects.count() == 1
    listed = helping.get(f"/api/v1/pairing-reports?pairing={pairing.pk}").json()
    assert [r["id"] for r in listed["items"]] == [rid]
    assert helping.delete(f"/api/v1/pairing-reports/{rid}").status_code == 403
    patched = helped.patch(
        f"/api/v1/pairing-reports/{rid}",
        {"text": "教研组建设", "version": resp.json()["version"]},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["text"] == "教研组建设"

    activity = make_activity(world)
    linked = helping.post(
        f"/api/v1/pairings/{pairing.pk}/activities",
        {"activity": activity.pk},
        content_type="application/json",
    )
    assert linked.status_code == 201, linked.content
    assert helped.get("/api/v1/pairing-activities").json()["count"] == 1
    assert helping.delete(f"/api/v1/pairing-activities/{linked.json()['id']}").status_code == 204

    # The agreement document: refused before the body for the helped side's principal
    # (no change right), stored for the owning bureau; pages and scripts refused.
    admin = api_for(world.users["city_admin"])
    url = f"/api/v1/pairings/{pairing.pk}/agreement"
    doc = SimpleUploadedFile("协议.pdf", b"%PDF-1.4 agreement", "application/pdf")
    refused = api_for(world.users["principal"]).post(url, {"signed_on": "2024-08-20", "file": doc})
    assert refused.status_code == 403
    html = SimpleUploadedFile("协议.html", b"<script>", "text/html")
    assert admin.post(url, {"signed_on": "2024-08-20", "file": html}).status_code == 400
    doc.seek(0)
    ok = admin.post(url, {"signed_on": "2024-08-20", "file": doc})
    assert ok.status_code == 200, ok.content
    assert ok.json()["has_agreement_file"] and ok.json()["agreement_signed_on"] == "2024-08-20"
    got = helped.get(url)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert b"".join(got.streaming_content).startswith(b"%PDF")


def test_other_districts_do_not_reach_the_rows(world, api_for):
    """华州区's own pairing (scope cases): 临渭区 gets 404 on every new endpoint."""
    from tests.pairing.scope_cases import _report

    report = _report(world)
    api = api_for(world.users["district_researcher"])
    assert api.get(f"/api/v1/pairing-reports/{report.pk}").status_code == 404
    assert api.get(f"/api/v1/pairing-reports/{report.pk}/file").status_code == 404
    assert api.get(f"/api/v1/pairings/{report.pairing_id}/agreement").status_code == 404
    assert api.post(
        f"/api/v1/pairings/{report.pairing_id}/activities",
        {"activity": _activity(world).pk},
        content_type="application/json",
    ).status_code in (404, 422)


def test_the_upload_guards_of_the_pages_answer_before_the_body(world, pairing, client_for):
    """The agreement and a report (with its file): someone of a side who may not write
    them gets the refusal (the agreement's guard is the API's too); nothing stored."""
    doc = SimpleUploadedFile("协议.pdf", b"%PDF-1.4 agreement", "application/pdf")
    principal = client_for(world.users["principal"])
    refused = principal.post(
        f"/pairing/{pairing.pk}/agreement/", {"signed_on": "2024-08-20", "file": doc}
    )
    assert refused.status_code == 403
    assert "您无权在此执行该操作。" in refused.content.decode()
    report = client_for(world.users["counsellor"]).post(
        f"/pairing/{pairing.pk}/reports/", {"side": "helping", "period": "x", "text": "x"}
    )
    assert report.status_code == 403
    pairing.refresh_from_db()
    assert not pairing.agreement_file and not PairingReport.objects.exists()
