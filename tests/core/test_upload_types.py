"""``core.uploads.check_file``: a shared document is refused when too large for its kind
or when its name says it is a page, a script or a program (whatever case, whatever the
other suffixes); its clean name is kept without folders."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jiaoyan.core import uploads
from jiaoyan.core.errors import ServiceError


def _file(name: str, size: int = 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size)


@pytest.mark.parametrize(
    "name", ["a.html", "A.HTM", "plan.svg", "x.exe", "setup.MSI", "run.sh", "x.html.pdf", "p.js"]
)
def test_pages_scripts_and_programs_are_refused(name):
    with pytest.raises(ServiceError) as e:
        uploads.check_file(_file(name), "attachment", field="doc")
    assert e.value.field == "doc"


@pytest.mark.parametrize(
    "name", ["计划.pdf", "课件.pptx", "成绩.xlsx", "纪要.docx", "照片.JPG", "README"]
)
def test_documents_pass_with_a_clean_name(name):
    assert uploads.check_file(_file(name), "attachment") == name


def test_folders_are_dropped_and_the_size_is_checked():
    assert uploads.check_file(_file("C:\\docs\\计划.pdf"), "attachment") == "计划.pdf"
    assert uploads.check_file(_file("../../etc/计划.pdf"), "attachment") == "计划.pdf"
    with pytest.raises(ServiceError):
        uploads.check_file(SimpleNamespace(name="", size=0), "attachment")
    with override_settings(UPLOAD_LIMITS={**settings.UPLOAD_LIMITS, "attachment": 100}):
        with pytest.raises(ServiceError) as e:
            uploads.check_file(_file("a.pdf", 101), "attachment")
        assert e.value.text == uploads.too_large_message("attachment")
        assert uploads.check_file(_file("a.pdf", 100), "attachment") == "a.pdf"


# --- typed by content: core.uploads.sniff / check_typed_file ------------------------------

TAKES = {"document": 1000, "image": 1000, "video": 10_000}


@pytest.mark.parametrize(
    ("data", "category", "ext"),
    [
        (b"%PDF-1.7\n...", "document", "pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "image", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image", "jpg"),
        (b"\x00\x00\x00\x20ftypmp42" + b"\x00" * 8, "video", "mp4"),
        (b"\x00\x00\x00\x20ftypqt  " + b"\x00" * 8, "video", "mov"),
        (b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 8, "audio", "m4a"),
        (b"ID3\x04\x00" + b"\x00" * 8, "audio", "mp3"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio", "wav"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "document", "doc"),
    ],
)
def test_sniff_names_what_the_bytes_are(data, category, ext):
    found = uploads.sniff(SimpleUploadedFile("whatever.bin", data))
    assert (found.category, found.ext) == (category, ext)


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00" + b"\x00" * 16,  # a Windows program
        b"\x7fELF\x02\x01",  # a Linux program
        b"#!/usr/bin/env python\n",
        b"<!DOCTYPE html><p>hi",
        b"  <html><script>x()</script>",
        b'<?xml version="1.0"?><svg/>',
        b"<svg onload=alert(1)>",
        b"PK\x03\x04not a real zip",
        b"plain text",
        b"",
    ],
)
def test_sniff_knows_no_page_script_program_or_unknown(data):
    assert uploads.sniff(SimpleUploadedFile("a.pdf", data)) is None


def test_check_typed_file_names_by_content_and_limits_by_category():
    name, found = uploads.check_typed_file(
        SimpleUploadedFile("../x/教案.exe", b"%PDF-1.4 ..."), "attachment", categories=TAKES
    )
    assert (name, found.content_type) == ("教案.pdf", "application/pdf")
    with pytest.raises(uploads.RefusedContent):
        uploads.check_typed_file(
            SimpleUploadedFile("a.pdf", b"MZ" + b"\x00" * 10), "attachment", categories=TAKES
        )
    with pytest.raises(ServiceError) as e:  # an image, but over the images' own limit
        uploads.check_typed_file(
            SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000),
            "attachment",
            categories=TAKES,
        )
    assert e.value.field == "file"
    with pytest.raises(uploads.RefusedContent):  # audio is not among the categories taken
        uploads.check_typed_file(
            SimpleUploadedFile("a.mp3", b"ID3\x04" + b"\x00" * 10), "attachment", categories=TAKES
        )


def test_clean_name_drops_folders_controls_and_overrides():
    assert uploads.clean_name("C:\\a\\b\\课件.PPT", "pptx") == "课件.pptx"
    assert uploads.clean_name("evil\u202egpj.exe", "pdf") == "evil gpj.pdf"
    assert uploads.clean_name('a<b>"c|d?.pdf', "pdf") == "a b c d.pdf"
    assert uploads.clean_name("...", "pdf") == "file.pdf"
    assert len(uploads.clean_name("长" * 500, "mp4")) == 120
