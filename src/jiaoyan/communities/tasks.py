"""Background work of communities: rendering a community's yearly report (.docx) — python-docx
stays out of the web processes; the report page shows the job's progress."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind

YEARLY_REPORT = "communities.yearly_report"


@job_kind(
    YEARLY_REPORT,
    label=_lazy("Community yearly report"),
    phases={"rendering": _lazy("Rendering the document")},
)
def render_yearly_report(job, progress) -> dict:
    """Job: render and store a community's yearly report (``documents.store``)."""
    from .documents import store
    from .models import YearlyReport

    progress("rendering")
    report = YearlyReport.objects.filter(pk=job.params.get("report")).first()
    if report is None:
        raise JobError(_("The report no longer exists."))
    return store(report)
