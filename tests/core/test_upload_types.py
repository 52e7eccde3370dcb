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
