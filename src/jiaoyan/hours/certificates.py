"""Certificates of any source (a training programme, or any module's object that grants
them): issuing, revoking, the PDF, the public verification, and a source's ZIP.

The module that owns the source decides who gets one and calls
:func:`issue_for_source` inside its own transaction (after its permission check); who may
revoke or download all of a source's certificates is decided by the source's owner:
``can(user, "change", source)``, which the certificate's scope follows (its ``change`` and
``download``). A person always downloads their own.

Each certificate has a random code (16 characters from an alphabet without look-alikes,
80 bits): the QR code on the PDF opens the public page ``/hours/verify/<code>/``, which
answers with only the masked name, the programme, hours, issuer and date (and whether it
was revoked) — the same as ``GET /api/v1/certificates/verify/{code}``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, pdf, ratelimit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.middleware import client_ip
from jiaoyan.core.models import AuditLog, Job
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import clean_text

from .models import Certificate

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
ZIP_JOB = "hours.certificates_zip"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:32]


def issue_for_source(
    source: models.Model,
    *,
    person_ids: Iterable[int],
    title: str,
    issuer_id: int,
    issued_on: dt.date,
    hours_by_person: dict[int, Decimal],
) -> int:
    """Give each of ``person_ids`` a certificate of ``source`` (idempotent: a person who
    has one keeps it and its code; its title, hours and date follow the latest call unless
    it was revoked). Runs inside the caller's transaction. Returns how many were new."""
    ct = ContentType.objects.get_for_model(type(source))
    wanted = sorted(set(person_ids))
    existing = {
        c.person_id: c
        for c in Certificate.objects.filter(
            source_type=ct, source_id=source.pk, person_id__in=wanted
        )
    }
    title = title[:200]
    changed = []
    for pid, cert in existing.items():
        hours = Decimal(hours_by_person.get(pid, cert.hours))
        if cert.revoked_at is None and (
            cert.title != title
            or cert.hours != hours
            or cert.issued_on != issued_on
            or cert.issuer_id != issuer_id
        ):
            cert.title, cert.hours, cert.issued_on, cert.issuer_id = (
                title,
                hours,
                issued_on,
                issuer_id,
            )
            changed.append(cert)
    if changed:
        Certificate.objects.bulk_update(changed, ["title", "hours", "issued_on", "issuer_id"])
    new = [
        Certificate(
            person_id=pid,
            source_type=ct,
            source_id=source.pk,
            title=title,
            hours=Decimal(hours_by_person.get(pid, 0)),
            issuer_id=issuer_id,
            issued_on=issued_on,
            code=new_code(),
        )
        for pid in wanted
        if pid not in existing
    ]
    Certificate.objects.bulk_create(new, batch_size=2000)
    return len(new)


@transaction.atomic
def revoke(actor, certificate: Certificate, reason: str) -> Certificate:
    """Revoke with a reason: verification then says revoked (the code stays known).
    Whoever may change the certificate's source may (the scope's ``change``)."""
    cert = locked(actor, "change", certificate)
    reason = clean_text(reason, field="reason", label=_("Reason"), limit=300, required=True)
    if cert.revoked_at is not None:
        raise ServiceError(_("This certificate is already revoked."))
    cert.revoked_at = timezone.now()
    cert.revoke_reason = reason
    cert.revoked_by = actor
    cert.save(update_fields=["revoked_at", "revoke_reason", "revoked_by"])
    audit.record(
        actor,
        cert,
        AuditLog.Action.STATUS,
        {"revoked": [None, reason]},
        unit_path=cert.issuer.path,
    )
    return cert


# --- verification -------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张*（two characters）, 王*明 (three or more: first and last shown)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def may_look_up(request) -> bool:
    """Count one public look-up from the request's address (page and API share the
    count): False once over ``CERTIFICATE_VERIFY_PER_MINUTE``."""
    limit = int(getattr(settings, "CERTIFICATE_VERIFY_PER_MINUTE", 30))
    return ratelimit.hit("certificate-verify", client_ip(request) or "-", limit=limit)


def verify(code: str) -> dict | None:
    """What the public may know about the certificate with ``code`` (None: no such code)."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    cert = Certificate.objects.select_related("person", "issuer").filter(code=code).first()
    if cert is None:
        return None
    return {
        "valid": cert.revoked_at is None,
        "revoked": cert.revoked_at is not None,
        "name": mask_name(cert.person.name),
        "programme": cert.title,
        "hours": float(cert.hours),
        "issuer": cert.issuer.name,
        "issued_on": cert.issued_on,
    }


def verify_url(code: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}/hours/verify/{code}/"


# --- the PDF ------------------------------------------------------------------------------


def _texts(cert: Certificate) -> list[str]:
    return [
        "继续教育学时证书",
        cert.person.name,
        f"参加“{cert.title}”，",
        f"完成学时 {cert.hours} 学时，特发此证。",
        cert.issuer.name,
        f"{cert.issued_on.year}年{cert.issued_on.month}月{cert.issued_on.day}日",
        f"核验码 {cert.code}",
        "扫码或访问核验",
        verify_url(cert.code),
        "已撤销",
    ]


STATIC_TEXT = "继续教育学时证书参加“”，完成学时特发此证。年月日核验码扫码或访问核验已撤销"


def render_pdf(certificate: Certificate, *, font: pdf.FontSource | None = None) -> bytes:
    """The certificate as a one-page PDF (A4 landscape): name, programme, hours, issuer,
    date, the code and its QR code. ``font``: a batch's :func:`jiaoyan.core.pdf.batch_font`."""
    texts = _texts(certificate)
    doc = pdf.document(texts, font=font, orientation="L", format="A4")
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_draw_color(150, 30, 30)
    doc.set_line_width(1.2)
    doc.rect(10, 10, 277, 190)
    doc.set_line_width(0.3)
    doc.rect(14, 14, 269, 182)
    doc.set_text_color(150, 30, 30)
    doc.set_font_size(32)
    doc.set_xy(10, 30)
    doc.cell(277, 16, texts[0], align="C")
    doc.set_text_color(20, 20, 20)
    doc.set_font_size(22)
    doc.set_xy(40, 65)
    doc.cell(217, 12, texts[1], align="L")
    doc.set_font_size(16)
    doc.set_xy(48, 85)
    doc.multi_cell(200, 10, texts[2] + texts[3], align="L")
    doc.set_xy(150, 140)
    doc.cell(100, 10, texts[4], align="R")
    doc.set_xy(150, 152)
    doc.cell(100, 10, texts[5], align="R")
    doc.set_font_size(10)
    doc.set_xy(30, 176)
    doc.cell(120, 6, texts[6], align="L")
    doc.set_xy(30, 182)
    doc.cell(160, 6, texts[8], align="L")
    doc.qr(texts[8], x=30, y=140, size=32)
    if certificate.revoked_at is not None:
        doc.set_text_color(200, 0, 0)
        doc.set_font_size(40)
        doc.set_xy(180, 40)
        doc.cell(90, 20, texts[9], align="C")
    return doc.bytes()


def pdf_name(cert: Certificate) -> str:
    return f"证书-{cert.person.name}-{cert.code}.pdf"


# --- a source's ZIP -----------------------------------------------------------------------


def source_of(source_type_id: int, source_id: int) -> models.Model | None:
    try:
        model = ContentType.objects.get_for_id(source_type_id).model_class()
    except ContentType.DoesNotExist:
        return None
    if model is None:
        return None
    return model._default_manager.filter(pk=source_id).first()


@transaction.atomic
def start_zip(*, actor, source: models.Model) -> Job:
    """Start the background job writing every certificate of ``source`` into one ZIP."""
    require(actor, "change", source)
    ct = ContentType.objects.get_for_model(type(source))
    if not Certificate.objects.filter(source_type=ct, source_id=source.pk).exists():
        raise ServiceError(_("No certificates have been issued for this yet."))
    return start_job(
        ZIP_JOB,
        actor=actor,
        org_unit=getattr(source, "org_unit_id", None),
        params={"source_type": ct.pk, "source_id": source.pk},
    )


def write_zip(source_type_id: int, source_id: int, job_id: int, progress) -> dict:
    """Render every certificate of the source into a ZIP stored under
    ``hours/certificates/`` (a temporary file first, so memory stays flat; the store
    writes it under its name only whole). Progress every 50 certificates."""
    rows = (
        Certificate.objects.filter(source_type_id=source_type_id, source_id=source_id)
        .select_related("person", "issuer")
        .order_by("person__name", "id")
    )
    certs = list(rows)
    total = len(certs)
    progress("rendering", 0, total)
    font = pdf.batch_font([STATIC_TEXT, *(t for c in certs for t in _texts(c))])
    fd, tmp = tempfile.mkstemp(suffix=".zip", prefix="jiaoyan-certs-")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for i, cert in enumerate(certs, 1):
                zf.writestr(pdf_name(cert), render_pdf(cert, font=font))
                if i % 50 == 0 or i == total:
                    progress("rendering", i, total)
        size = os.path.getsize(tmp)
        with open(tmp, "rb") as f:
            name = default_storage.save(f"hours/certificates/{job_id}.zip", File(f))
    finally:
        os.unlink(tmp)
    return {"file": name, "count": total, "bytes": size}


def zip_bytes_name(job: Job) -> str:
    return f"证书-{job.pk}.zip"
