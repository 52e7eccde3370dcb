"""Background work of hours: a source's certificates as one ZIP (fpdf2 and the CJK font
stay out of the web processes for batches; the page shows the job's progress)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind

from .certificates import ZIP_JOB


@job_kind(
    ZIP_JOB,
    label=_lazy("Certificates (ZIP)"),
    phases={"rendering": _lazy("Rendering the certificates")},
)
def certificates_zip(job, progress) -> dict:
    """Job: render every certificate of the source named by the job's parameters."""
    from .certificates import source_of, write_zip

    params = job.params or {}
    source = source_of(int(params.get("source_type", 0)), int(params.get("source_id", 0)))
    if source is None:
        raise JobError(_("The certificates' source no longer exists."))
    return write_zip(int(params["source_type"]), int(params["source_id"]), job.pk, progress)
