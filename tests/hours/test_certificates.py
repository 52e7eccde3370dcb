"""Certificates: issued idempotently for a source, the PDF's Chinese text (pdftotext) and
a rendered page that is not blank (pdftoppm), public verification (page and API: masked
name, 404 for an unknown code, rate limit), revocation, who downloads, the ZIP job."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import zipfile
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test.utils import override_settings

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Job
from jiaoyan.hours import certificates
from jiaoyan.hours.models import Certificate

DAY = dt.date(2026, 5, 20)


def _issue(world, activity, people=("teacher",), hours="24"):
    return certificates.issue_for_source(
        activity,
        person_ids=[world.people[p].pk for p in people],
        title="临渭区初中数学骨干教师研修班",
        issuer_id=world.units["linwei_institute"].pk,
        issued_on=DAY,
        hours_by_person={world.people[p].pk: D(hours) for p in people},
    )


def _text(content: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_issuing_is_idempotent_and_codes_are_unique(world, linwei_activity):
    assert _issue(world, linwei_activity, ("teacher", "principal")) == 2
    codes = set(Certificate.objects.values_list("code", flat=True))
    assert len(codes) == 2 and all(len(c) == 16 for c in codes)
    assert _issue(world, linwei_activity, ("teacher", "principal"), hours="30") == 0
    assert set(Certificate.objects.values_list("code", flat=True)) == codes
    assert set(Certificate.objects.values_list("hours", flat=True)) == {D("30.0")}


def test_the_pdf_has_the_chinese_name_hours_and_code_and_renders(world, linwei_activity, tmp_path):
    _issue(world, linwei_activity)
    cert = Certificate.objects.get()
    content = certificates.render_pdf(cert)
    assert content.startswith(b"%PDF")
    text = _text(content, tmp_path)
    assert "继续教育学时证书" in text
    assert "张老师" in text
    assert "完成学时 24.0 学时" in text
    assert "临渭区教师发展中心" in text and "2026年5月20日" in text
    assert cert.code in text
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "30",
            "-png",
            "-singlefile",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    from PIL import Image

    image = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(1 for px in image.getdata() if px < 128)
    assert dark > 500  # text, frame and QR code, not a blank page


def test_verification_page_and_api_then_revocation(world, linwei_activity, client, api_for):
    cache.clear()
    _issue(world, linwei_activity)
    cert = Certificate.objects.get()
    r = client.get(f"/hours/verify/{cert.code}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="verify-valid"' in html and "张*师" in html and "张老师" not in html
    r = client.get(f"/api/v1/certificates/verify/{cert.code}")
    assert r.status_code == 200
    assert r.json() == {
        "valid": True,
        "revoked": False,
        "name": "张*师",
        "programme": "临渭区初中数学骨干教师研修班",
        "hours": 24.0,
        "issuer": "临渭区教师发展中心",
        "issued_on": "2026-05-20",
    }
    assert client.get("/api/v1/certificates/verify/ABCDEFGHJKLMNPQR").status_code == 404
    assert client.get("/api/v1/certificates/verify/%00'--").status_code == 404
    assert client.get("/hours/verify/NOPE/").status_code == 404
    with pytest.raises(PermissionDenied):
        certificates.revoke(world.users["teacher"], cert, "冒领")
    with pytest.raises(ServiceError):
        certificates.revoke(world.users["district_researcher"], cert, "")
    certificates.revoke(world.users["district_researcher"], cert, "考勤不实")
    body = client.get(f"/api/v1/certificates/verify/{cert.code}").json()
    assert body["valid"] is False and body["revoked"] is True
    assert (
        'data-testid="verify-revoked"' in client.get(f"/hours/verify/{cert.code}/").content.decode()
    )


def test_verification_is_rate_limited(world, linwei_activity, client):
    cache.clear()
    _issue(world, linwei_activity)
    code = Certificate.objects.get().code
    with override_settings(CERTIFICATE_VERIFY_PER_MINUTE=3):
        answers = [client.get(f"/api/v1/certificates/verify/{code}").status_code for _i in range(5)]
        assert answers == [200, 200, 200, 429, 429]
        assert client.get(f"/hours/verify/{code}/").status_code == 429
    cache.clear()


def test_who_downloads(world, linwei_activity, client_for, api_for):
    _issue(world, linwei_activity)
    cert = Certificate.objects.get()
    url = f"/hours/certificates/{cert.pk}/pdf/"
    assert client_for(world.users["teacher"]).get(url).status_code == 200  # her own
    assert client_for(world.users["district_researcher"]).get(url).status_code == 200
    assert client_for(world.users["principal"]).get(url).status_code == 404
    assert client_for(world.users["outsider"]).get(url).status_code == 404
    mine = api_for(world.users["teacher"]).get("/api/v1/certificates").json()
    assert [c["code"] for c in mine["items"]] == [cert.code]
    r = api_for(world.users["teacher"]).get(f"/api/v1/certificates/{cert.pk}/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"


def test_the_zip_job_holds_every_certificate(world, linwei_activity, client_for):
    _issue(world, linwei_activity, ("teacher", "principal", "counsellor"))
    researcher = client_for(world.users["district_researcher"])
    ct = Certificate.objects.first().source_type_id
    page = f"/hours/certificates/source/{ct}/{linwei_activity.pk}/"
    assert researcher.get(page).status_code == 200
    assert client_for(world.users["teacher"]).get(page).status_code == 404
    job = certificates.start_zip(actor=world.users["district_researcher"], source=linwei_activity)
    from jiaoyan.core import jobs

    assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.result["count"] == 3 and (job.done, job.total) == (3, 3)
    r = researcher.get(f"/hours/certificates/zip/{job.pk}/")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))).namelist()
    assert len(names) == 3 and all(n.endswith(".pdf") for n in names)
    default_storage.delete(job.result["file"])


def test_the_api_answers_in_chinese_and_the_scope_decides_download_and_revoke(
    world, linwei_activity, api_for, client
):
    from jiaoyan.core.scope import can
    from tests.support import zh

    cache.clear()
    r = client.get("/api/v1/certificates/verify/ABCDEFGHJKLMNPQR")
    assert r.status_code == 404
    assert (
        r.json()["detail"] == zh("No certificate has this code.") != "No certificate has this code."
    )
    with override_settings(CERTIFICATE_VERIFY_PER_MINUTE=0):
        r = client.get("/api/v1/certificates/verify/ABCDEFGHJKLMNPQR")
    assert r.status_code == 429
    assert r.json()["detail"] == zh("Too many look-ups from your address; try again in a minute.")
    cache.clear()
    r = api_for(world.users["outsider"]).get("/api/v1/hours-cycle")
    assert r.status_code == 404 and r.json()["detail"] == zh("You have no current cycle of hours.")

    _issue(world, linwei_activity)
    cert = Certificate.objects.get()
    users = world.users
    assert can(users["teacher"], "download", cert)  # her own
    assert not can(users["teacher"], "change", cert)  # but she does not revoke it
    assert can(users["district_researcher"], "download", cert)  # who manages the source
    assert can(users["district_researcher"], "change", cert)
    assert not can(users["principal"], "download", cert)
    assert not can(users["outsider"], "change", cert)
    assert not can(users["district_researcher"], "delete", cert)
