"""Resource library fixtures: files of every kind (real headers, tiny bodies) and a
resource of 临渭区第一初级中学 written by its math teacher, at each step of its review
(the principal assigns, the district researcher reviews)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.resources import services
from jiaoyan.resources.models import Resource, ReviewRubric

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def criteria_scores(review, value=None) -> dict:
    return {c["name"]: (c["max"] if value is None else value) for c in review.criteria}


def draft(w, *, actor="teacher", with_file=True, **kwargs) -> Resource:
    data = {
        "org_unit": w.schools["school_a"].org_unit,
        "kind": "lesson_design",
        "title": "一元二次方程的解法教学设计",
        "summary": "人教版九年级上册第二十一章",
        "stage": Stage.objects.get(code="junior"),
        "subject": Subject.objects.get(name="数学"),
        "grade": 9,
        "edition": "人教版",
        "themes": ["新课标", "大单元"],
    }
    data.update(kwargs)
    r = services.create_resource(actor=w.users[actor], **data)
    if with_file:
        services.attach_file(actor=w.users[actor], resource=r, file=upload("设计.pdf", PDF))
    return Resource.objects.get(pk=r.pk)


def submitted(w, *, actor="teacher", **kwargs) -> Resource:
    r = draft(w, actor=actor, **kwargs)
    return services.submit_resource(actor=w.users[actor], resource=r)


def in_review(w, **kwargs):
    r = submitted(w, **kwargs)
    review = services.assign_reviewer(
        actor=w.users["principal"], resource=r, reviewer=w.people["district_researcher"]
    )
    return Resource.objects.get(pk=r.pk), review


def reviewed(w, recommendation="publish", comment="结构清晰", **kwargs):
    r, review = in_review(w, **kwargs)
    services.record_review(
        actor=w.users["district_researcher"],
        review=review,
        scores=criteria_scores(review, 12),
        comment=comment,
        recommendation=recommendation,
    )
    return Resource.objects.get(pk=r.pk), review


@pytest.fixture
def rubric(db):
    return ReviewRubric.objects.get(org_unit__isnull=True)
