"""Background work of the screening data's governance: building an approved export, and
the daily retention run (imported by :mod:`.tasks`, which core loads)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind, periodic
from jiaoyan.core.sheets import write_table_xlsx

from .services_governance import BUILD_EXPORT, RETENTION


@job_kind(
    BUILD_EXPORT,
    label=_lazy("Building an approved screening export"),
    phases={"writing": _lazy("Writing the file")},
)
def build_export_job(job, progress) -> dict:
    from .models import ExportRequest
    from .services_governance import export_rows, store_export

    req = (
        ExportRequest.objects.filter(pk=job.params.get("export")).select_related("org_unit").first()
    )
    if req is None or req.status != ExportRequest.Status.APPROVED:
        raise JobError(_("The export request is no longer approved."))
    header, rows = export_rows(req)
    progress("writing", 0, len(rows))
    content = write_table_xlsx(
        header, rows, sheet_title=str(req.get_what_display())[:30], title=str(req)
    )
    store_export(req, content, len(rows))
    progress("writing", len(rows), len(rows))
    return {"rows": len(rows)}


@job_kind(RETENTION, label=_lazy("Screening data retention"))
def retention_job(job, progress) -> dict:
    from .services_governance import apply_retention

    return apply_retention()


periodic(RETENTION, every=dt.timedelta(days=1))
