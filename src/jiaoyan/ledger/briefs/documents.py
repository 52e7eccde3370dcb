"""The weekly brief's .docx: a background job renders it (``tasks.render_brief_document``,
with :mod:`jiaoyan.ledger.documents` doing the drawing), so web processes never load
python-docx; the download waits on the job's progress."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import translation

from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import Job

from ..models import Brief


def document_job(brief: Brief) -> Job | None:
    """The job rendering ``brief``'s current version (queued, running, failed or done),
    or ``None``. Reads only: what the download's GET may ask."""
    job = brief.document_job
    if job is not None and job.params.get("version") == brief.version:
        return job
    return None


def request_document(brief: Brief, *, actor=None) -> Job:
    """Start the job rendering ``brief``'s .docx (its current version) in the task worker,
    unless one for this version is queued, running or has failed (its page says so; a
    new version starts a new one). Returns that job. A write: started by a POST (the
    download page's button) or by issuing, never by a GET."""
    from ..tasks import BRIEF_DOCUMENT

    job = brief.document_job
    same = job is not None and job.params.get("version") == brief.version
    if same and (job.status != Job.Status.SUCCEEDED or brief.document_ready):
        return job
    job = start_job(
        BRIEF_DOCUMENT,
        actor=actor,
        org_unit=brief.org_unit_id,
        params={"brief": brief.pk, "version": brief.version},
        defer=False,
    )
    Brief.objects.filter(pk=brief.pk).update(document_job=job)
    brief.document_job = job
    return job


def store_document(brief_id: int, version: int) -> bool:
    """Render and store the .docx of ``brief_id`` if it is still at ``version`` and not
    stored yet; returns whether it rendered. Runs in the task worker."""
    from .. import documents as brief_docx

    brief = Brief.objects.select_related("org_unit").filter(pk=brief_id).first()
    if brief is None or brief.version != version or brief.document_ready:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        data = brief_docx.render(brief)
    if brief.number:
        name = f"{brief.org_unit.code}-{brief.year}-{brief.number:03d}.docx"
    else:
        name = f"{brief.org_unit.code}-{brief.year}-draft-{brief.pk}-v{version}.docx"
    old = brief.docx.name if brief.docx else ""
    brief.docx.save(name, ContentFile(data), save=False)
    # Only if nobody changed the brief meanwhile (a newer version renders on its own).
    stored = Brief.objects.filter(pk=brief.pk, version=version).update(
        docx=brief.docx.name, document_version=version
    )
    if old and old != brief.docx.name and stored:
        brief.docx.storage.delete(old)
    return bool(stored)
