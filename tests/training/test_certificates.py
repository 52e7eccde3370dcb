"""A closed programme's certificates: exactly one per completed participant with the hours
they were credited (both hours modes), none for the others; closing again is idempotent
(codes stable); a correction after closing updates the certificate; revocation shows in
the public verification; the PDF's text holds the Chinese name, the title and the hours."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.hours import certificates
from jiaoyan.hours.models import Certificate, HoursRecord
from jiaoyan.training import services
from jiaoyan.training.models import Attendance, Programme
from tests.conftest import make_person

from .conftest import make_programme

pytestmark = pytest.mark.usefixtures("chinese")


def _teachers(w, names):
    unit = w.schools["school_a"].org_unit
    return [
        make_person(f"C{i:03d}", name, unit, role="teacher", username=f"c{i}")
        for i, name in enumerate(names)
    ]


def _attend(session, person):
    services.write_attendance(session, {person.pk: (Attendance.Status.PRESENT, None)}, actor=None)


def _certs(p):
    return {
        c.person_id: c for c in Certificate.objects.filter(source_id=p.pk).order_by("person_id")
    }


def test_closing_issues_one_certificate_per_completed_participant(world):
    w = world
    p = make_programme(w, sessions=(Decimal("3"), Decimal("2.5"), Decimal("4")), min_attendance=60)
    a, b, c = _teachers(w, ["欧阳晓明", "李红", "王五"])
    for person in (a, b, c):
        services.enrol(actor=person.user, programme=p)
    s1, s2, s3 = p.sessions.order_by("starts_at")
    for s in (s1, s2, s3):
        _attend(s, a)
    for s in (s1, s3):
        _attend(s, b)
    _attend(s1, c)  # 1 of 3: below 60 %
    # Computing on demand credits hours but issues no certificate before the close.
    services.compute_completion(actor=w.users["district_researcher"], programme=p)
    assert not Certificate.objects.exists()
    out = services.close_programme(actor=w.users["district_researcher"], programme=p)
    assert out == {"completed": 2, "not_completed": 1, "credited": 0}
    certs = _certs(p)
    assert set(certs) == {a.pk, b.pk}
    assert Certificate.objects.count() == 2
    # "all" mode: the programme's 9.5 hours for each completed participant.
    assert {certs[a.pk].hours, certs[b.pk].hours} == {Decimal("9.5")}
    assert certs[a.pk].title == p.title and certs[a.pk].issuer_id == p.org_unit_id
    assert HoursRecord.objects.get(person=a).hours == Decimal("9.5")
    codes = {pid: c.code for pid, c in certs.items()}
    assert len(set(codes.values())) == 2

    # Closing again, even from a stale copy, is refused and moves nothing (not the date);
    # issuing the closed programme's certificates again changes nothing.
    closed_at = Programme.objects.get(pk=p.pk).closed_at
    with pytest.raises(ServiceError):
        services.close_programme(actor=w.users["district_researcher"], programme=p)
    with pytest.raises(ServiceError):
        services.compute_completion(actor=w.users["district_researcher"], programme=p)
    assert Programme.objects.get(pk=p.pk).closed_at == closed_at
    fresh = Programme.objects.get(pk=p.pk)
    assert services._issue_certificates(fresh, [a.pk, b.pk]) == 0
    again = _certs(p)
    assert {pid: c.code for pid, c in again.items()} == codes
    assert Certificate.objects.count() == 2
    assert {c.hours for c in again.values()} == {Decimal("9.5")}


def test_per_session_hours_and_a_correction_after_closing(world):
    w = world
    p = make_programme(
        w,
        sessions=(Decimal("3"), Decimal("2.5"), Decimal("4")),
        min_attendance=50,
        hours_mode=Programme.HoursMode.PER_SESSION,
    )
    a, b, c = _teachers(w, ["欧阳晓明", "李红", "王五"])
    for person in (a, b, c):
        services.enrol(actor=person.user, programme=p)
    s1, s2, s3 = p.sessions.order_by("starts_at")
    for s in (s1, s2, s3):
        _attend(s, a)
    for s in (s2, s3):
        _attend(s, b)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    certs = _certs(p)
    assert set(certs) == {a.pk, b.pk}  # c attended nothing
    assert certs[a.pk].hours == Decimal("9.5")
    assert certs[b.pk].hours == Decimal("6.5")
    code_b = certs[b.pk].code

    enrolment = p.enrolments.get(person=b)
    services.adjust_hours(
        actor=w.users["city_admin"], enrolment=enrolment, hours="-1.5", reason="第二讲早退"
    )
    cert_b = Certificate.objects.get(source_id=p.pk, person=b)
    assert cert_b.hours == Decimal("5.0") and cert_b.code == code_b
    assert HoursRecord.objects.get(person=b).hours == Decimal("5.0")
    assert Certificate.objects.get(source_id=p.pk, person=a).hours == Decimal("9.5")
    assert certificates.verify(code_b)["hours"] == 5.0


def test_revocation_shows_in_the_verification(world):
    w = world
    p = make_programme(w, sessions=(Decimal("3"), Decimal("2.5")), min_attendance=100)
    (a,) = _teachers(w, ["欧阳晓明"])
    services.enrol(actor=a.user, programme=p)
    for s in p.sessions.all():
        _attend(s, a)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    cert = Certificate.objects.get(source_id=p.pk)
    seen = certificates.verify(cert.code)
    assert seen["valid"] is True and seen["revoked"] is False
    assert seen["name"] == "欧**明" and seen["hours"] == 5.5 and seen["programme"] == p.title
    certificates.revoke(w.users["district_researcher"], cert, "重复发放")
    seen = certificates.verify(cert.code)
    assert seen["valid"] is False and seen["revoked"] is True
    # A correction after revocation leaves the revoked certificate as it was.
    services.adjust_hours(
        actor=w.users["city_admin"], enrolment=p.enrolments.get(person=a), hours=1, reason="补录"
    )
    assert Certificate.objects.get(pk=cert.pk).hours == Decimal("5.5")


def test_the_pdf_holds_the_chinese_name_title_and_hours(world, tmp_path):
    w = world
    p = make_programme(
        w,
        sessions=(Decimal("3"), Decimal("2.5")),
        min_attendance=100,
        title="临渭区心理健康教育研修",
    )
    (a,) = _teachers(w, ["欧阳晓明"])
    services.enrol(actor=a.user, programme=p)
    for s in p.sessions.all():
        _attend(s, a)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    cert = Certificate.objects.get(source_id=p.pk)
    content = certificates.render_pdf(cert)
    assert content.startswith(b"%PDF")
    path = tmp_path / "c.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    flat = "".join(text.split())
    assert "欧阳晓明" in flat
    assert "临渭区心理健康教育研修" in flat
    assert "5.5" in flat
    assert cert.code in flat
