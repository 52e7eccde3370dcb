"""The one download of a stored file every app uses (``core.pages.file_download_view`` /
``stored_row_response`` over ``stored_file_response``): signed in, the row through
``visible_to`` (out of scope: 404), always ``nosniff``, inline only for what a browser
shows without running it, and served with a type its content has — a page, a script or a
program, whatever its name or recorded type says, is an ``application/octet-stream``
attachment (``core.uploads.served_type``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from jiaoyan.core import uploads
from jiaoyan.core.pages import file_download_view
from jiaoyan.core.uploads import OCTET_STREAM, SNIFFED_TYPES, served_type
from jiaoyan.resources.models import ResourceFile
from tests.resources.conftest import MP4, PDF, PNG, docx, draft

HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
PROGRAM = b"MZ\x90\x00" + b"\x00" * 60
TEXT = "会议纪要\n".encode()


@pytest.mark.parametrize(
    ("name", "data", "declared", "served"),
    [
        # recorded when stored (sniffed): kept, unless it is not a type sniffing gives …
        ("a.png", PNG, "image/png", "image/png"),
        ("a.html", HTML, "text/html", OCTET_STREAM),
        ("a.svg", SVG, "image/svg+xml", OCTET_STREAM),
        ("a.mp4", PROGRAM, "application/x-msdownload", OCTET_STREAM),
        # … or the bytes are a page or a program after all (a row written by hand)
        ("a.mp4", PROGRAM, "video/mp4", OCTET_STREAM),
        ("a.pdf", HTML, "application/pdf", OCTET_STREAM),
        # nothing recorded (documents stored as they came): what the bytes are now
        ("设计.pdf", PDF, None, "application/pdf"),
        ("教案.docx", docx(), None, uploads._OOXML[0][1].content_type),
        ("微课.mp4", MP4, None, "video/mp4"),
        ("说明.pdf", HTML, None, OCTET_STREAM),  # a page named as a PDF
        ("报告.pdf", PROGRAM, None, OCTET_STREAM),  # a renamed program
        ("页面.html", HTML, None, OCTET_STREAM),
        ("纪要.txt", TEXT, None, OCTET_STREAM),
    ],
)
def test_the_type_a_stored_file_is_served_with(name, data, declared, served):
    handle = io.BytesIO(data)
    assert served_type(handle, name, declared) == served
    assert handle.tell() == 0  # the response still sends the file from its start


def test_every_type_sniffing_gives_may_be_served():
    """A type added to ``sniff`` and not to SNIFFED_TYPES would be served as a download of
    unknown type: the list follows the sniffer."""
    source = Path(uploads.__file__).read_text()
    told = set(re.findall(r'Sniffed\(\s*\w+,\s*"([^"]+)"', source))
    assert told and told <= SNIFFED_TYPES
    assert not {"text/html", "image/svg+xml", "application/javascript"} & SNIFFED_TYPES


def _row(world, name: str, data: bytes, content_type: str = "") -> ResourceFile:
    r = draft(world, with_file=False)
    row = ResourceFile(
        resource=r, name=name, size=len(data), category="document", content_type=content_type
    )
    row.file.save(name, ContentFile(data), save=False)
    row.save()
    return row


def _call(view, user, pk, **headers):
    request = RequestFactory().get("/", **headers)
    request.user = user
    return view(request, pk=pk)


def test_the_view_serves_only_what_the_viewer_sees(world):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    row = _row(world, "说明.pdf", HTML)
    view = file_download_view(ResourceFile, content_type="content_type")
    got = _call(view, world.users["teacher"], row.pk)
    assert got.status_code == 200
    assert got["Content-Type"] == OCTET_STREAM
    assert got["Content-Disposition"].startswith("attachment")
    assert "filename" in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    assert b"".join(got.streaming_content) == HTML
    with pytest.raises(Http404):
        _call(view, world.users["outsider"], row.pk)
    with pytest.raises(Http404):
        _call(view, world.users["teacher"], row.pk + 1000)
    anonymous = _call(view, AnonymousUser(), row.pk)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_inline_only_for_a_shown_type_and_ranges_when_asked(world):
    pdf = _row(world, "设计.pdf", PDF, "application/pdf")
    page = _row(world, "设计2.pdf", HTML, "application/pdf")
    counted = []
    view = file_download_view(
        ResourceFile,
        content_type="content_type",
        inline=True,
        ranges=True,
        before=lambda request, row: counted.append(row.pk),
    )
    shown = _call(view, world.users["teacher"], pdf.pk)
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Type"] == "application/pdf"
    part = _call(view, world.users["teacher"], pdf.pk, HTTP_RANGE="bytes=0-4")
    assert part.status_code == 206 and b"".join(part.streaming_content) == b"%PDF-"
    hidden = _call(view, world.users["teacher"], page.pk, HTTP_RANGE="bytes=0-4")
    assert hidden["Content-Disposition"].startswith("attachment")
    assert hidden["Content-Type"] == OCTET_STREAM
    assert hidden["X-Content-Type-Options"] == "nosniff"
    assert counted == [pdf.pk, pdf.pk, page.pk]
    plain = file_download_view(ResourceFile, content_type="content_type")
    whole = _call(plain, world.users["teacher"], pdf.pk, HTTP_RANGE="bytes=0-4")
    assert whole.status_code == 200 and whole["Content-Disposition"].startswith("attachment")
