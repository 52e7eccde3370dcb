"""A stored file served with byte ranges (``core.pages.stored_file_response``): what a
video player's seek asks (RFC 9110 single ranges), 206 with exactly those bytes, a range
past the end 416, what the server does not read ignored (the whole file, 200); inline
only for the types a browser shows without running anything."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory

from jiaoyan.core.pages import (
    INLINE_TYPES,
    RangeNotSatisfiable,
    byte_range,
    stored_file_response,
)
from jiaoyan.resources.models import ResourceFile

DATA = bytes(range(256)) * 40  # 10,240 bytes, each position's value known


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-0", (0, 0)),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 10239)),
        ("bytes=10000-20000", (10000, 10239)),  # the end is clipped to the file
        ("bytes=-500", (9740, 10239)),  # the last 500 bytes
        ("bytes=-20000", (0, 10239)),
        ("bytes = 5-9", (5, 9)),
        ("bytes=0-1,5-9", None),  # several ranges: the whole file
        ("items=0-9", None),  # another unit: ignored
        ("bytes=9-5", None),  # invalid: ignored
        ("bytes=-", None),
        ("bytes=abc-", None),
    ],
)
def test_the_range_asked(header, expected):
    assert byte_range(header, len(DATA)) == expected


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_a_range_past_the_end_is_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, len(DATA))


@pytest.fixture
def stored(db):
    name = default_storage.save("tests/ranges/clip.mp4", ContentFile(DATA))
    yield FieldFile(None, ResourceFile._meta.get_field("file"), name)
    default_storage.delete(name)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_range_is_answered_206_with_exactly_those_bytes(stored):
    request = RequestFactory().get("/", HTTP_RANGE="bytes=1000-1999")
    r = stored_file_response(stored, "clip.mp4", "video/mp4", request=request, inline=True)
    assert r.status_code == 206
    assert r["Content-Range"] == "bytes 1000-1999/10240"
    assert r["Content-Length"] == "1000"
    assert r["Accept-Ranges"] == "bytes"
    assert r["Content-Type"] == "video/mp4"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("inline")
    assert _body(r) == DATA[1000:2000]


def test_the_last_bytes_and_an_open_range(stored):
    factory = RequestFactory()
    tail = stored_file_response(
        stored, "clip.mp4", "video/mp4", request=factory.get("/", HTTP_RANGE="bytes=-10")
    )
    assert tail.status_code == 206 and _body(tail) == DATA[-10:]
    assert tail["Content-Range"] == "bytes 10230-10239/10240"
    rest = stored_file_response(
        stored, "clip.mp4", "video/mp4", request=factory.get("/", HTTP_RANGE="bytes=10000-")
    )
    assert rest.status_code == 206 and _body(rest) == DATA[10000:]


def test_a_range_past_the_end_is_416_with_the_size(stored):
    request = RequestFactory().get("/", HTTP_RANGE="bytes=20000-")
    r = stored_file_response(stored, "clip.mp4", "video/mp4", request=request, inline=True)
    assert r.status_code == 416
    assert r["Content-Range"] == "bytes */10240"
    assert r.content == b""


def test_without_a_range_or_with_if_range_the_whole_file_is_sent(stored):
    factory = RequestFactory()
    whole = stored_file_response(stored, "clip.mp4", "video/mp4", request=factory.get("/"))
    assert whole.status_code == 200 and _body(whole) == DATA
    assert whole["Accept-Ranges"] == "bytes"
    # If-Range (a validator we do not keep): the whole file, never a stale part.
    guarded = stored_file_response(
        stored,
        "clip.mp4",
        "video/mp4",
        request=factory.get("/", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"x"'),
    )
    assert guarded.status_code == 200 and _body(guarded) == DATA


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "image/svg+xml",
        "application/xhtml+xml",
        "application/x-msdownload",
        "application/javascript",
        "text/xml",
        None,
    ],
)
def test_pages_svg_and_programs_are_never_inline(stored, content_type):
    assert content_type not in INLINE_TYPES
    request = RequestFactory().get("/", HTTP_RANGE="bytes=0-9")
    for asked in (
        stored_file_response(stored, "x.html", content_type, inline=True),
        stored_file_response(stored, "x.html", content_type, request=request, inline=True),
    ):
        assert asked["Content-Disposition"].startswith("attachment")
        assert asked["X-Content-Type-Options"] == "nosniff"


def test_a_download_stays_an_attachment_even_for_a_pdf(stored):
    r = stored_file_response(stored, "a.pdf", "application/pdf")
    assert r["Content-Disposition"].startswith("attachment")
    shown = stored_file_response(stored, "a.pdf", "application/pdf", inline=True)
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Type"] == "application/pdf"
