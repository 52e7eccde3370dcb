"""External declarations: declared with evidence by the teacher, approved by her principal
(the hours count), rejected with a reason; duplicates of a platform record or of another
declaration are refused naming it; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Notification
from jiaoyan.hours import services
from jiaoyan.hours.models import ExternalDeclaration, HoursCycle, HoursRecord
from tests.hours.conftest import credit
from tests.support import zh

NOW = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)


def pdf_file(name="结业证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 a scanned certificate", "application/pdf")


def declare(world, **kw):
    values = {
        "title": "陕西师范大学初中数学骨干教师研修班",
        "organiser": "陕西师范大学",
        "start_date": dt.date(2026, 4, 10),
        "end_date": dt.date(2026, 4, 12),
        "hours": "18",
        "evidence": pdf_file(),
        **kw,
    }
    return services.declare_external(actor=world.users["teacher"], **values)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_approval_credits_the_hours_and_the_cycle_rises(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decl = declare(world)
    assert decl.status == "pending" and decl.evidence_name == "结业证书.pdf"
    principal_user = world.users["principal"]
    assert Notification.objects.filter(recipient=principal_user).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_declaration(actor=principal_user, declaration=decl)
    decl.refresh_from_db()
    assert decl.status == "approved" and decl.decided_by == principal_user
    record = HoursRecord.objects.get(person=world.people["teacher"])
    assert (record.kind, record.hours, record.date, record.source) == (
        "external",
        D("18.0"),
        dt.date(2026, 4, 12),
        decl,
    )
    assert HoursCycle.objects.get(person=world.people["teacher"], is_current=True).earned == D(
        "18.0"
    )
    assert Notification.objects.filter(recipient=world.users["teacher"]).count() == 1


def test_rejection_needs_a_reason_and_credits_nothing(world):
    decl = declare(world)
    with pytest.raises(ServiceError):
        services.reject_declaration(actor=world.users["principal"], declaration=decl, reason=" ")
    services.reject_declaration(
        actor=world.users["principal"], declaration=decl, reason="证书与培训时间不符"
    )
    decl.refresh_from_db()
    assert decl.status == "rejected" and decl.reason == "证书与培训时间不符"
    assert not HoursRecord.objects.exists()
    with pytest.raises(ServiceError):  # decided once
        services.approve_declaration(actor=world.users["principal"], declaration=decl)


def test_a_duplicate_of_a_platform_record_is_refused_naming_it(world, linwei_activity):
    credit(
        linwei_activity,
        [world.people["teacher"]],
        date=dt.date(2026, 4, 11),
        title="初中数学骨干教师研修班（第二期）",
    )
    with pytest.raises(ServiceError) as e:
        declare(world)
    assert "初中数学骨干教师研修班（第二期）" in e.value.text
    assert "2026-04-11" in e.value.text
    assert not ExternalDeclaration.objects.exists()


def test_a_second_declaration_of_the_same_training_is_refused(world):
    first = declare(world)
    with pytest.raises(ServiceError) as e:
        declare(world, title="陕西师范大学初中数学骨干教师研修", start_date=dt.date(2026, 4, 11))
    assert first.title in e.value.text
    # Another training on the same days is fine.
    declare(world, title="信息技术应用能力提升工程2.0", evidence=pdf_file("b.pdf"))
    assert ExternalDeclaration.objects.count() == 2


@pytest.mark.parametrize(
    "kw",
    [
        {"hours": "0"},
        {"hours": "500"},
        {"hours": "abc"},
        {"end_date": dt.date(2026, 4, 1)},
        {"end_date": dt.date(2026, 7, 1), "start_date": dt.date(2026, 6, 30)},
        {"title": ""},
        {"evidence": None},
        {"evidence": SimpleUploadedFile("x.html", b"<script>", "text/html")},
        {"evidence": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")},
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, kw):
    with pytest.raises(ServiceError):
        declare(world, **kw)
    assert not ExternalDeclaration.objects.exists()


def test_only_the_persons_school_decides(world):
    decl = declare(world)
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    for name in ("teacher", "outsider", "counsellor"):
        with pytest.raises((PermissionDenied, Http404, ServiceError)):
            services.approve_declaration(actor=world.users[name], declaration=decl)
    assert ExternalDeclaration.objects.get().status == "pending"


def test_the_pages_declare_and_approve(world, client_for):
    teacher = client_for(world.users["teacher"])
    r = teacher.post(
        "/hours/declarations/new/",
        {
            "title": "陕西师范大学初中数学骨干教师研修班",
            "organiser": "陕西师范大学",
            "start_date": "2026-04-10",
            "end_date": "2026-04-12",
            "hours": "18",
            "evidence": pdf_file(),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    decl = ExternalDeclaration.objects.get()
    principal = client_for(world.users["principal"])
    page = principal.get(f"/hours/declarations/{decl.pk}/").content.decode()
    assert 'data-testid="approve"' in page
    evidence = principal.get(f"/hours/declarations/{decl.pk}/evidence/")
    assert evidence.status_code == 200 and "attachment" in evidence["Content-Disposition"]
    r = principal.post(f"/hours/declarations/{decl.pk}/approve/", {"version": decl.version})
    assert r.status_code == 302
    assert ExternalDeclaration.objects.get().status == "approved"
    ledger = teacher.get("/hours/").content.decode()
    assert 'data-testid="cycle-progress">18.0 / 360.0' in ledger
    assert (
        client_for(world.users["outsider"])
        .get(f"/hours/declarations/{decl.pk}/evidence/")
        .status_code
        == 404
    )


def test_the_api_declares_with_a_file_and_rejects(world, api_for):
    api = api_for(world.users["teacher"])
    r = api.post(
        "/api/v1/hours-declarations",
        {
            "title": "陕西师范大学初中数学骨干教师研修班",
            "organiser": "陕西师范大学",
            "start_date": "2026-04-10",
            "end_date": "2026-04-12",
            "hours": "18",
            "evidence": pdf_file(),
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending" and body["hours"] == 18.0
    principal = api_for(world.users["principal"])
    r = principal.post(
        f"/api/v1/hours-declarations/{body['id']}/reject",
        {"reason": "材料不全"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = principal.post(
        f"/api/v1/hours-declarations/{body['id']}/approve", content_type="application/json"
    )
    assert r.status_code == 400
    r = api.post(
        "/api/v1/hours-declarations",
        {
            "title": "x",
            "organiser": "y",
            "start_date": "2026-04-10",
            "end_date": "2026-04-12",
            "hours": "3",
            "evidence": SimpleUploadedFile("a.svg", b"<svg/>"),
        },
    )
    assert (
        r.status_code == 400
        and zh("Evidence must be a PDF, JPG, PNG or OFD file.") in (r.json()["detail"])
    )
