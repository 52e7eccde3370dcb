"""Previews of a resource's files on its page: a PDF in a frame (served inline, framable
by our own pages only), an image, audio and video in players whose seeks are byte ranges
(206, 416), an office document as its PDF rendition made in the background by an office
converter (a child process with a time limit; without one the page says so), anything
else a download — and never a page, an SVG or a program inline. Previews follow the
file's scope, and reading them writes nothing."""

from __future__ import annotations

import stat
import sys
import textwrap

import pytest
from django.test.utils import override_settings

from jiaoyan.core.models import Job
from jiaoyan.resources import previews, services
from jiaoyan.resources.models import ResourceFile, ResourceHit
from tests.resources.conftest import MP4, PDF, PNG, docx, draft, upload

pytestmark = pytest.mark.usefixtures("chinese")

VIDEO = MP4 + bytes(range(256)) * 20  # 5,208 bytes, a valid MP4 head
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


def _with_files(w, files, *, publish=True, **kwargs):
    r = draft(w, with_file=False, **kwargs)
    for name, data in files.items():
        services.attach_file(actor=w.users["teacher"], resource=r, file=upload(name, data))
    if publish:
        services.submit_resource(actor=w.users["teacher"], resource=r)
        review = services.assign_reviewer(
            actor=w.users["principal"], resource=r, reviewer=w.people["district_researcher"]
        )
        services.record_review(
            actor=w.users["district_researcher"],
            review=review,
            scores={c["name"]: c["max"] for c in review.criteria},
            recommendation="publish",
        )
        services.decide(actor=w.users["principal"], resource=r, decision="publish")
    r.refresh_from_db()
    return r


def _file(r, category) -> ResourceFile:
    return ResourceFile.objects.get(resource=r, category=category)


@override_settings(OFFICE_CONVERTER="")
def test_each_kind_of_file_is_shown_its_way(world, client_for):
    r = _with_files(
        world,
        {"设计.pdf": PDF, "板书.png": PNG, "微课.mp4": VIDEO, "朗读.wav": WAV, "教案.docx": docx()},
    )
    modes = {p.file.name: p.mode for p in previews.previews_of(list(r.files.all()))}
    assert modes == {
        "设计.pdf": "pdf",
        "板书.png": "image",
        "微课.mp4": "video",
        "朗读.wav": "audio",
        "教案.docx": "no_converter",  # no converter here: download only, and the page says so
    }
    page = client_for(world.users["counsellor"]).get(r.get_absolute_url()).content.decode()
    pdf, video = _file_by_name(r, "设计.pdf"), _file_by_name(r, "微课.mp4")
    assert f'src="/resources/files/{pdf.pk}/preview/"' in page
    assert 'data-testid="preview-pdf"' in page and "<iframe" in page
    assert 'data-testid="preview-image"' in page
    assert f'src="/resources/files/{video.pk}/preview/" data-testid="preview-video"' in page
    assert 'data-testid="preview-audio"' in page
    assert 'data-testid="preview-none"' in page  # the office document: download only, and why


def _file_by_name(r, name) -> ResourceFile:
    return ResourceFile.objects.get(resource=r, name=name)


def test_a_pdf_is_inline_and_only_our_pages_may_frame_it(world, client_for):
    r = _with_files(world, {"设计.pdf": PDF})
    pdf = r.files.get()
    c = client_for(world.users["counsellor"])
    shown = c.get(f"/resources/files/{pdf.pk}/preview/")
    assert shown.status_code == 200
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert shown["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in shown["Content-Security-Policy"]
    assert b"".join(shown.streaming_content) == PDF
    # The download stays a download, and the page itself is never framed.
    assert c.get(f"/resources/files/{pdf.pk}/")["Content-Disposition"].startswith("attachment")
    assert c.get(r.get_absolute_url())["X-Frame-Options"] == "DENY"


def test_a_video_seeks_by_byte_ranges(world, client_for):
    r = _with_files(world, {"微课.mp4": VIDEO})
    video = r.files.get()
    url = f"/resources/files/{video.pk}/preview/"
    c = client_for(world.users["counsellor"])
    part = c.get(url, HTTP_RANGE="bytes=100-1123")
    assert part.status_code == 206
    assert part["Content-Type"] == "video/mp4"
    assert part["Content-Range"] == f"bytes 100-1123/{len(VIDEO)}"
    assert part["Content-Length"] == "1024"
    assert b"".join(part.streaming_content) == VIDEO[100:1124]
    first = c.get(url, HTTP_RANGE="bytes=0-1")  # what a browser asks first
    assert first.status_code == 206 and b"".join(first.streaming_content) == VIDEO[:2]
    beyond = c.get(url, HTTP_RANGE=f"bytes={len(VIDEO)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(VIDEO)}"
    whole = c.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == VIDEO


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        ("页面.html", "text/html", b"<html><script>alert(1)</script></html>"),
        ("图.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("程序.mp4", "application/x-msdownload", b"MZ\x90\x00" + b"\x00" * 60),
    ],
)
def test_a_page_an_svg_or_a_program_is_never_served_inline(
    world, client_for, name, content_type, data
):
    """Uploads refuse them (test_uploads.py); a row holding one anyway (stored before the
    sniffing, or by hand) is still only a download with nosniff — preview or not."""
    from django.core.files.base import ContentFile

    r = _with_files(world, {"设计.pdf": PDF})
    row = ResourceFile(
        resource=r, name=name, size=len(data), category="document", content_type=content_type
    )
    row.file.save(name, ContentFile(data), save=False)
    row.save()
    assert previews.preview_of(row).mode == "download"
    c = client_for(world.users["counsellor"])
    for url in (f"/resources/files/{row.pk}/preview/", f"/resources/files/{row.pk}/"):
        resp = c.get(url, HTTP_RANGE="bytes=0-3")
        assert resp["Content-Disposition"].startswith("attachment"), url
        assert resp["X-Content-Type-Options"] == "nosniff"
    page = c.get(r.get_absolute_url()).content.decode()
    assert f"/resources/files/{row.pk}/preview/" not in page


def test_a_renamed_program_cannot_become_a_video_to_preview(world):
    from jiaoyan.core.errors import ServiceError
    from tests.resources.conftest import EXE

    r = draft(world, with_file=False)
    with pytest.raises(ServiceError):
        services.attach_file(actor=world.users["teacher"], resource=r, file=upload("微课.mp4", EXE))
    assert not r.files.exists()


def test_previews_have_the_scope_of_the_download(world, client_for):
    internal = _with_files(world, {"设计.pdf": PDF, "微课.mp4": VIDEO})
    mine = draft(world, with_file=False)
    services.attach_file(actor=world.users["teacher"], resource=mine, file=upload("草稿.pdf", PDF))
    outsider = client_for(world.users["outsider"])
    colleague = client_for(world.users["counsellor"])
    for row in internal.files.all():
        for suffix in ("preview/", "pdf/"):
            assert outsider.get(f"/resources/files/{row.pk}/{suffix}").status_code == 404
        assert colleague.get(f"/resources/files/{row.pk}/preview/").status_code == 200
    draft_file = mine.files.get()
    assert colleague.get(f"/resources/files/{draft_file.pk}/preview/").status_code == 404
    assert (
        client_for(world.users["teacher"])
        .get(f"/resources/files/{draft_file.pk}/preview/")
        .status_code
        == 200
    )
    # No account: the log-in page, never the file.
    from django.test import Client

    anonymous = Client().get(f"/resources/files/{draft_file.pk}/preview/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    # A rendition of what is no office document does not exist.
    pdf = internal.files.get(content_type="application/pdf")
    assert colleague.get(f"/resources/files/{pdf.pk}/pdf/").status_code == 404


def _converter(tmp_path, body: str):
    """A stand-in office converter (a real program run as a child process): it writes the
    PDF LibreOffice would, or what ``body`` says."""
    script = tmp_path / "soffice"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            """
            import os, sys, time
            args = sys.argv[1:]
            outdir = args[args.index("--outdir") + 1]
            source = args[-1]
            stem = os.path.splitext(os.path.basename(source))[0]
            """
        )
        + textwrap.dedent(body)
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


WRITES_PDF = """
with open(os.path.join(outdir, stem + ".pdf"), "wb") as f:
    f.write(b"%PDF-1.4\\n% converted\\n%%EOF\\n")
"""


def test_an_office_document_is_shown_as_its_pdf_rendition(
    world, client_for, tmp_path, django_capture_on_commit_callbacks
):
    with override_settings(OFFICE_CONVERTER=_converter(tmp_path, WRITES_PDF)):
        r = draft(world, with_file=False)
        with django_capture_on_commit_callbacks(execute=True):
            row = services.attach_file(
                actor=world.users["teacher"], resource=r, file=upload("单元教案一.docx", docx())
            )
        job = Job.objects.get(kind=previews.CONVERT, params__file=row.pk)
        assert job.status == Job.Status.SUCCEEDED, job.message
        assert previews.preview_of(row).mode == "rendition"
        c = client_for(world.users["teacher"])
        page = c.get(r.get_absolute_url()).content.decode()
        assert f'src="/resources/files/{row.pk}/pdf/"' in page
        shown = c.get(f"/resources/files/{row.pk}/pdf/")
        assert shown.status_code == 200 and shown["Content-Type"] == "application/pdf"
        assert shown["Content-Disposition"].startswith("inline")
        assert b"".join(shown.streaming_content).startswith(b"%PDF-1.4\n% converted")
        # Removing the file removes its rendition.
        name, storage = previews.rendition_name(row), row.file.storage
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_file(actor=world.users["teacher"], file=row)
        assert not storage.exists(name)


def test_a_conversion_that_hangs_is_stopped_and_the_page_offers_the_download(
    world, client_for, tmp_path, django_capture_on_commit_callbacks
):
    hangs = _converter(tmp_path, "time.sleep(30)\n")
    with override_settings(OFFICE_CONVERTER=hangs, OFFICE_CONVERT_SECONDS=0.5):
        r = draft(world, with_file=False)
        with django_capture_on_commit_callbacks(execute=True):
            row = services.attach_file(
                actor=world.users["teacher"], resource=r, file=upload("单元教案二.docx", docx())
            )
        job = Job.objects.get(kind=previews.CONVERT, params__file=row.pk)
        assert job.status == Job.Status.FAILED
        assert job.message  # why, for people (translated by the catalogue)
        assert not row.file.storage.exists(previews.rendition_name(row))
        page = client_for(world.users["teacher"]).get(r.get_absolute_url()).content.decode()
        assert 'data-testid="preview-failed"' in page


def test_a_converter_that_makes_no_pdf_fails_cleanly(
    world, tmp_path, django_capture_on_commit_callbacks
):
    with override_settings(OFFICE_CONVERTER=_converter(tmp_path, "sys.exit(1)\n")):
        r = draft(world, with_file=False)
        with django_capture_on_commit_callbacks(execute=True):
            row = services.attach_file(
                actor=world.users["teacher"], resource=r, file=upload("单元教案三.docx", docx())
            )
    job = Job.objects.get(kind=previews.CONVERT, params__file=row.pk)
    assert job.status == Job.Status.FAILED and job.message


def test_reading_previews_writes_nothing_and_starts_no_conversion(
    world, client_for, tmp_path, django_assert_max_num_queries
):
    with override_settings(OFFICE_CONVERTER=_converter(tmp_path, WRITES_PDF)):
        r = _with_files(world, {"设计.pdf": PDF, "微课.mp4": VIDEO})
        jobs, hits = Job.objects.count(), ResourceHit.objects.count()
        c = client_for(world.users["counsellor"])
        for row in r.files.all():
            c.get(f"/resources/files/{row.pk}/preview/", HTTP_RANGE="bytes=0-9")
        assert (Job.objects.count(), ResourceHit.objects.count()) == (jobs, hits)
        with django_assert_max_num_queries(12):
            c.get(f"/resources/files/{r.files.first().pk}/preview/")
