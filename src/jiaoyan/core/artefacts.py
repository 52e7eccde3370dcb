"""What an import leaves behind, when its file holds restricted data (DESIGN.md "Restricted
data": restricted inputs' artefacts restricted alike).

An import job keeps its upload (the original file) and a report whose errors quote the cells
they are about. When the sheet kind declares ``restricted`` (an exam's scores: the
``student_data`` kind of :mod:`jiaoyan.core.restricted`), those artefacts are the students'
data as much as the rows the import wrote, so:

* **Reading** the cell values of the report, the error report (.xlsx) and the original file
  needs that permission on the job's unit (the exam's owner: the file may hold any school of
  it), and a reason; every such read is an audited read (:func:`restricted.record_read`).
  Whoever else sees the job (its creator, the admins over its unit) sees its status,
  progress, counts and notices, and each error as row, column and rule, the values quoted
  in the message blanked (:func:`redact_error`): “…”. A cell's value in a row error's
  message is always quoted “like this”, so that it can be blanked.
* **Retention**: the original of a restricted import is deleted as soon as its job
  succeeds (the rows are stored; a re-import needs the file from its owner). A job that
  failed or was rejected keeps it for :func:`keep_for` (``RESTRICTED_IMPORT_KEEP_HOURS``,
  24 hours by default) so that "import the valid rows only" can run it again; the
  periodic ``core.purge_restricted_imports`` job (:mod:`jiaoyan.core.tasks`, hourly under
  ``jiaoyan jobs schedule``) then deletes it and blanks the values in the report, which
  keeps its rows, columns and rules. A retry takes the file over (the rejected job's copy
  is deleted once the retry holds its own). Every deletion is an audit row.

Kinds whose files hold no restricted data (org units, people …) are unchanged: whoever
sees the job reads its report and file.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import restricted
from .models import ImportJob, Job

log = logging.getLogger(__name__)

#: Hours a failed or rejected restricted import keeps its file and its report's values.
DEFAULT_KEEP_HOURS = 24

#: What a blanked value reads in a message.
HIDDEN = "“…”"

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def keep_for() -> dt.timedelta:
    hours = getattr(settings, "RESTRICTED_IMPORT_KEEP_HOURS", DEFAULT_KEEP_HOURS)
    return dt.timedelta(hours=max(0, float(hours)))


def restriction_of(imp: ImportJob) -> str | None:
    """The restricted-data kind (``student_data`` …) the job's file holds, or None."""
    from .sheets import kinds

    sheet = kinds().get(imp.kind)
    return getattr(sheet, "restricted", None) if sheet is not None else None


def restricted_kinds() -> list[str]:
    """The sheet kinds whose files hold restricted data."""
    from .sheets import kinds

    return sorted(k for k, cls in kinds().items() if getattr(cls, "restricted", None))


def permitted(user, imp: ImportJob) -> bool:
    """May ``user`` read the job's artefacts in full (given a reason, when restricted)?
    The caller has fetched the job through ``visible_to``."""
    kind = restriction_of(imp)
    if kind is None:
        return True
    return restricted.has_permission(user, kind, imp.job.org_unit)


def file_kept(imp: ImportJob) -> bool:
    """Is the original file still stored?"""
    name = imp.file.name
    if not name:
        return False
    try:
        return imp.file.storage.exists(name)
    except OSError:
        return False


# --- the report ------------------------------------------------------------------------


def redact_error(error: dict[str, Any]) -> dict[str, Any]:
    """A row error without the cell's value: row, column and the rule it broke. The value
    is dropped, and so is every quoted text of the message (“9999999” is not a school of
    渭南市 → “…” is not a school of 渭南市), and the value itself where it still shows.
    Errors about the whole file (row 0: a missing column) quote no cell and are kept."""
    out = dict(error)
    value = str(out.get("value") or "").strip()
    out["value"] = ""
    if not out.get("row"):
        return out
    message = _QUOTED.sub(HIDDEN, str(out.get("message") or ""))
    if len(value) >= 2:
        message = message.replace(value, "…")
    out["message"] = message
    return out


def redact_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [redact_error(e) for e in errors]


@dataclass
class Report:
    """What one viewer reads of an import job's report."""

    restricted: str | None  # the kind of restricted data the file holds, or None
    permitted: bool  # holds that permission on the job's unit (True when not restricted)
    shown: bool  # cell values (and the downloads) are shown: not restricted, or audited
    errors: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""  # the reason the read was audited with
    problem: str = ""  # why a reason given was refused

    @property
    def redacted(self) -> bool:
        return not self.shown

    @property
    def label(self) -> str:
        return str(restricted.kind_of(self.restricted).label) if self.restricted else ""


def report_for(
    user, imp: ImportJob, reason: str | None = None, *, limit: int | None = None
) -> Report:
    """The job's errors as ``user`` may read them (the first ``limit``). Restricted ones:
    in full only with the permission and a ``reason`` — that read is audited — else
    redacted (:func:`redact_error`)."""
    errors = imp.errors
    kind = restriction_of(imp)
    if kind is None:
        return Report(None, True, True, errors[:limit] if limit else list(errors))
    allowed = restricted.has_permission(user, kind, imp.job.org_unit)
    report = Report(kind, allowed, False)
    if allowed and (reason or "").strip():
        text, report.problem = restricted.reason_or_problem(reason)
        if text is not None:
            shown = errors[:limit] if limit else list(errors)
            restricted.record_read(user, kind, imp, text, unit=imp.job.org_unit, rows=len(shown))
            report.shown, report.reason, report.errors = True, text, shown
            return report
    report.errors = redact_errors(errors[:limit] if limit else errors)
    return report


def open_artefact(user, imp: ImportJob, reason: str | None, *, rows: int | None = None):
    """Before a download of the job's file or error report: ``""`` when the kind holds no
    restricted data; for a restricted one, ``PermissionDenied`` without the permission,
    ``None`` when no acceptable reason was given (ask for one), else the reason, the read
    audited as an export."""
    kind = restriction_of(imp)
    if kind is None:
        return ""
    restricted.require_permission(user, kind, imp.job.org_unit)
    text, _problem = restricted.reason_or_problem(reason)
    if text is None:
        return None
    restricted.record_read(user, kind, imp, text, unit=imp.job.org_unit, rows=rows, export=True)
    return text


# --- retention -------------------------------------------------------------------------


def _unit_path(imp: ImportJob) -> str:
    unit = imp.job.org_unit
    return unit.path if unit is not None else ""


def discard_original(imp: ImportJob, *, why: str) -> bool:
    """Delete the job's original file (audited). False when it was already gone."""
    from . import audit

    name = imp.file.name
    if not name:
        return False
    try:
        imp.file.storage.delete(name)
    except OSError:  # gone already, or the store refused: the row no longer names it
        log.warning("could not delete %s of import %s", name, imp.pk, exc_info=True)
    ImportJob.objects.filter(pk=imp.pk).update(file="")
    imp.file.name = ""
    audit.record(
        None,
        imp,
        audit.AuditLog.Action.DELETE,
        {"file": [imp.original_name, None]},
        message=why,
        unit_path=_unit_path(imp),
    )
    return True


def blank_values(imp: ImportJob) -> None:
    """Blank the cell values of the job's report (rows, columns and rules stay)."""
    job = imp.job
    result = dict(job.result or {})
    if "errors" in result:
        result["errors"] = redact_errors(result["errors"])
    result["values_removed"] = True
    Job.objects.filter(pk=job.pk).update(result=result)
    job.result = result


def after_success(imp: ImportJob) -> None:
    """A restricted import that succeeded: its original goes at once."""
    if restriction_of(imp) is not None:
        discard_original(imp, why=_("Restricted data: the original file is deleted once imported."))


@dataclass
class Purged:
    files: int = 0
    reports: int = 0


def purge(*, now: dt.datetime | None = None) -> Purged:
    """Apply the retention rule to every finished restricted import: originals of the
    succeeded ones (should one have survived), and the originals and report values of
    those finished more than :func:`keep_for` ago."""
    now = now or timezone.now()
    cutoff = now - keep_for()
    kinds = restricted_kinds()
    out = Purged()
    if not kinds:
        return out
    finished = ImportJob.objects.filter(
        kind__in=kinds, job__status__in=list(Job.FINISHED)
    ).select_related("job__org_unit")
    why = _("Restricted data: the original file is deleted %(h)s hours after the import ended.")
    hours = {"h": f"{keep_for().total_seconds() / 3600:g}"}
    for imp in finished.exclude(file="").filter(
        Q(job__status=Job.Status.SUCCEEDED) | Q(job__finished_at__lt=cutoff)
    ):
        if imp.job.status == Job.Status.SUCCEEDED:
            out.files += discard_original(
                imp, why=_("Restricted data: the original file is deleted once imported.")
            )
        else:
            out.files += discard_original(imp, why=why % hours)
    for imp in finished.filter(
        job__finished_at__lt=cutoff, job__result__values_removed__isnull=True
    ):
        blank_values(imp)
        out.reports += 1
    return out
