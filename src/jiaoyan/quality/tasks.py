"""Background work of quality, as jobs (:mod:`jiaoyan.core.jobs`): an exam's analysis,
the value-added of a pair of exams, and a school's report as .docx (python-docx stays
out of the web processes; the download waits on the job's progress)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind
from jiaoyan.core.models import Job

ANALYSIS = "quality.analysis"
VALUE_ADDED = "quality.value_added"
SCHOOL_REPORT = "quality.school_report"


def _analysis_abandoned(job: Job) -> None:
    """The sweep gave the analysis up: the exam says it failed (its previous figures,
    if any, are kept)."""
    from .models import Exam

    Exam.objects.filter(pk=job.params.get("exam"), analysis_job=job).update(
        analysis_status=Exam.Status.FAILED
    )


@job_kind(ANALYSIS, label=_lazy("Exam analysis"), on_abandoned=_analysis_abandoned)
def analyse(job: Job, progress) -> dict:
    """Job: :func:`analysis.run_analysis` of one exam at one version of its data."""
    from .analysis import run_analysis

    return {"outcome": run_analysis(job.params["exam"], job.params["version"], progress)}


@job_kind(VALUE_ADDED, label=_lazy("Value-added"))
def value_added(job: Job, progress) -> dict:
    """Job: :func:`analysis.run_value_added` of one pair of exams."""
    from .analysis import run_value_added
    from .models import ValueAddedLink

    if not ValueAddedLink.objects.filter(pk=job.params["link"]).exists():
        raise JobError(_("The pair of exams no longer exists."))
    return {"outcome": run_value_added(job.params["link"], progress)}


@job_kind(
    SCHOOL_REPORT,
    label=_lazy("School quality report"),
    phases={"rendering": _lazy("Rendering the document")},
)
def school_report_document(job: Job, progress) -> dict:
    """Job: a school's report as .docx, as its requester sees it (their scope, the
    suppression of small groups), stored for their download (``result["file"]``)."""
    from . import queries, reports
    from .models import Exam

    progress("rendering")
    user = get_user_model().objects.filter(pk=job.created_by_id, is_active=True).first()
    exam = Exam.objects.visible_to(user).filter(pk=job.params["exam"]).first() if user else None
    if exam is None or not exam.is_ready or exam.data_version != job.params["version"]:
        raise JobError(_("The exam's analysis changed meanwhile; download the report again."))
    from jiaoyan.orgs.models import OrgUnit

    school = OrgUnit.objects.visible_to(user).filter(pk=job.params["school"]).first()
    try:
        subject = queries.subject_by_key(exam, job.params.get("subject"))
    except LookupError:
        subject = None
    rep = queries.school_report(user, exam, school, subject) if school else None
    if rep is None:
        raise JobError(_("The school did not take part in this exam."))
    name = default_storage.save(
        f"reports/quality/{job.pk}.docx", ContentFile(reports.school_report_docx(rep))
    )
    return {"file": name}
