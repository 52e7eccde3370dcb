"""Core's own periodic work beside the job sweep (which lives with the jobs): pruning the
audit log past ``AUDIT_KEEP_DAYS`` where a deployment sets it (never under six months), and
deleting what restricted imports leave behind (:func:`jiaoyan.core.artefacts.purge`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from .jobs import job_kind, periodic
from .models import AuditLog

PRUNE_AUDIT = "core.prune_audit"


def prune_audit(*, now: dt.datetime | None = None) -> int:
    """Delete audit rows older than ``AUDIT_KEEP_DAYS`` (0: keep everything). A setting
    under ``AUDIT_MIN_KEEP_DAYS`` is read as that minimum."""
    days = settings.AUDIT_KEEP_DAYS
    if not days:
        return 0
    days = max(days, settings.AUDIT_MIN_KEEP_DAYS)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _rows = AuditLog.objects.filter(timestamp__lt=cutoff).delete()
    return deleted


@job_kind(PRUNE_AUDIT, label=_lazy("Pruning of the audit log"), max_attempts=1)
def _prune_audit_job(job, progress) -> dict[str, int]:
    return {"deleted": prune_audit()}


periodic(PRUNE_AUDIT, every=dt.timedelta(days=1))


PURGE_RESTRICTED_IMPORTS = "core.purge_restricted_imports"


@job_kind(
    PURGE_RESTRICTED_IMPORTS, label=_lazy("Deletion of restricted import files"), max_attempts=1
)
def _purge_restricted_imports_job(job, progress) -> dict[str, int]:
    from .artefacts import purge

    out = purge()
    return {"files": out.files, "reports": out.reports}


periodic(PURGE_RESTRICTED_IMPORTS, every=dt.timedelta(hours=1))
