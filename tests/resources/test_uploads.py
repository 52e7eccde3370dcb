"""Upload hardening of a resource's files: typed by content, never by name — a renamed
program, a web page, an SVG and an oversized file are refused (nothing stored); what is
taken is served as an attachment with its sniffed type and ``nosniff``."""

from __future__ import annotations

import os

import pytest
from django.test.utils import override_settings

from jiaoyan.core import uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.resources import services
from jiaoyan.resources.models import ResourceFile
from tests.resources.conftest import EXE, HTML, MP4, PDF, PNG, SVG, docx, draft, upload
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


def _stored(settings) -> set[str]:
    root = settings.MEDIA_ROOT
    found = set()
    for folder, _dirs, files in os.walk(os.path.join(root, "resources")):
        found |= {os.path.join(folder, f) for f in files}
    return found


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("教案.pdf", EXE),  # a program renamed as a PDF
        ("课件.docx", EXE),
        ("图片.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 40),
        ("说明.pdf", HTML),  # a web page renamed
        ("说明.html", HTML),
        ("图.svg", SVG),
        ("图.png", SVG),  # an SVG renamed as a PNG
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("notes.pdf", b"just some text, not a document"),
    ],
)
def test_pages_scripts_and_programs_are_refused_whatever_their_name(world, settings, name, data):
    r = draft(world, with_file=False)
    before = _stored(settings)
    with pytest.raises(ServiceError) as e:
        services.attach_file(actor=world.users["teacher"], resource=r, file=upload(name, data))
    assert e.value.field == "file"
    assert not ResourceFile.objects.filter(resource=r).exists()
    assert _stored(settings) == before


def test_an_oversized_file_is_refused_before_it_is_stored(world, settings):
    r = draft(world, with_file=False)
    limits = {**settings.RESOURCE_FILE_LIMITS, "document": 1024}
    with override_settings(RESOURCE_FILE_LIMITS=limits), pytest.raises(ServiceError) as e:
        services.attach_file(
            actor=world.users["teacher"],
            resource=r,
            file=upload("大文件.pdf", PDF + b"0" * 4096),
        )
    assert e.value.text == zh("The file is larger than %(kb)d KB.", kb=1)
    assert not ResourceFile.objects.filter(resource=r).exists()
    # A video of the same size is within its own limit.
    with override_settings(RESOURCE_FILE_LIMITS=limits):
        row = services.attach_file(
            actor=world.users["teacher"], resource=r, file=upload("微课.mp4", MP4 + b"0" * 4096)
        )
    assert row.category == "video"


def test_an_oversized_upload_stops_at_the_guard(world, client_for, settings):
    r = draft(world, with_file=False)
    with override_settings(UPLOAD_LIMITS={**settings.UPLOAD_LIMITS, "resource": 1000}):
        resp = client_for(world.users["teacher"]).post(
            f"/resources/{r.pk}/files/", {"file": upload("大.pdf", PDF + b"0" * 5000)}
        )
    assert resp.status_code == 413
    assert not ResourceFile.objects.filter(resource=r).exists()


def test_a_colleague_cannot_post_a_file_to_someone_elses_draft(world, client_for):
    r = draft(world, with_file=False)
    resp = client_for(world.users["counsellor"]).post(
        f"/resources/{r.pk}/files/", {"file": upload("a.pdf", PDF)}
    )
    assert resp.status_code == 404  # the draft is not theirs to see
    assert not ResourceFile.objects.filter(resource=r).exists()


@pytest.mark.parametrize(
    ("name", "data", "category", "ctype", "stored"),
    [
        ("教学设计.pdf", PDF, "document", "application/pdf", "教学设计.pdf"),
        ("设计.exe", PDF, "document", "application/pdf", "设计.pdf"),  # named by its content
        ("教案", docx(), "document", uploads._OOXML[0][1].content_type, "教案.docx"),
        ("板书.jpg", PNG, "image", "image/png", "板书.png"),
        ("微课.mp4", MP4, "video", "video/mp4", "微课.mp4"),
        ("../../etc/<b>passwd\u202e.pdf", PDF, "document", "application/pdf", "passwd.pdf"),
    ],
)
def test_files_are_typed_and_named_by_their_content(world, name, data, category, ctype, stored):
    r = draft(world, with_file=False)
    row = services.attach_file(actor=world.users["teacher"], resource=r, file=upload(name, data))
    assert (row.category, row.content_type) == (category, ctype)
    assert row.name == stored or row.name.endswith(stored)
    assert "/" not in row.name and "<" not in row.name and "\u202e" not in row.name


def test_files_are_served_as_attachments_with_their_sniffed_type(world, client_for, api_for):
    r = draft(world, with_file=False)
    row = services.attach_file(
        actor=world.users["teacher"], resource=r, file=upload("page.jpg", PNG)
    )
    for resp in (
        client_for(world.users["teacher"]).get(f"/resources/files/{row.pk}/"),
        api_for(world.users["teacher"]).get(f"/api/v1/resource-files/{row.pk}/download"),
    ):
        assert resp.status_code == 200
        assert resp["Content-Type"] == "image/png"
        assert resp["Content-Disposition"].startswith("attachment")
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert b"".join(resp.streaming_content) == PNG


def test_a_macro_document_is_refused(world):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", b"\x00macro")
    r = draft(world, with_file=False)
    with pytest.raises(ServiceError):
        services.attach_file(
            actor=world.users["teacher"], resource=r, file=upload("宏.docx", buf.getvalue())
        )


def test_the_api_upload_refuses_an_html_file_and_takes_a_pdf(world, api_for):
    r = draft(world, with_file=False)
    api = api_for(world.users["teacher"])
    bad = api.post(f"/api/v1/resources/{r.pk}/files", {"file": upload("a.pdf", HTML)})
    assert bad.status_code == 400
    assert "a.pdf" in bad.json()["detail"]
    good = api.post(f"/api/v1/resources/{r.pk}/files", {"file": upload("a.pdf", PDF)})
    assert good.status_code == 201, good.content
    assert good.json()["content_type"] == "application/pdf"
    assert [f["id"] for f in api.get(f"/api/v1/resources/{r.pk}/files").json()["items"]] == [
        good.json()["id"]
    ]
