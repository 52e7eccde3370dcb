"""Import jobs: the browser's and the API's way into :mod:`jiaoyan.core.sheets`.

``start_import`` stores the upload beside a :class:`~jiaoyan.core.models.Job` of kind
``core.import`` (queued when the transaction commits, run by :mod:`jiaoyan.core.jobs`:
heartbeat, retry after a dead worker); the job page polls the job's phase and progress
until the report is ready. The command line runs :func:`jiaoyan.core.sheets.run_import` directly.

Kinds with parameters (the exam of a score sheet) get them checked by the kind when the job
is created, and again when it runs (the exam may have gone meanwhile); the job keeps the
cleaned values in ``params`` and belongs to the unit the kind names (the exam's owner), so
the admins over that unit see it beside its creator.
"""

from __future__ import annotations

import logging
import os
import time

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import artefacts, context, uploads
from .errors import ServiceError
from .jobs import JobError, Progress, job_kind, start_job
from .models import ImportJob, Job
from .scope import scope_paths, spec_for, user_scopes
from .sheets import get_kind, run_import

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}

#: The job kind of an upload.
IMPORT = "core.import"


def kinds_for(user, *, standalone: bool = False) -> list[type]:
    """The sheet kinds ``user`` may import somewhere in their scope (``standalone``: only
    those imported without parameters, which the generic import page offers)."""
    from .sheets import kinds

    result = []
    for kind in kinds().values():
        model = getattr(kind, "model", None)
        if model is None or (standalone and not kind.standalone()):
            continue
        if user.is_superuser or scope_paths(user, spec_for(model).roles_for("import")):
            result.append(kind)
    return result


def importable_kind(actor, kind: str) -> type:
    """The sheet kind ``kind`` if ``actor`` may import it somewhere: an unknown kind is a
    ``ServiceError``, one the actor may not import ``PermissionDenied`` — checked the same
    way before an upload's body is read (``core.uploads.may_import``) and when the job is
    stored (:func:`start_import`). Instantiating it with its parameters checks those."""
    try:
        sheet_cls = get_kind(kind)
    except LookupError as e:
        raise ServiceError(str(e), field="kind") from None
    if sheet_cls not in kinds_for(actor):
        # A refusal, not bad input: 403 in the API, like every other permission check.
        raise PermissionDenied(_("You may not import this kind of data."))
    return sheet_cls


@transaction.atomic
def start_import(
    *,
    actor,
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    valid_only: bool = False,
    params: dict | None = None,
) -> ImportJob:
    """Store the upload as a job and queue it. ``params`` are the kind's parameters (e.g.
    ``{"exam": 5}``), checked by the kind now: an unknown or out-of-scope object is a
    ``ServiceError``, one seen but not importable into ``PermissionDenied``."""
    sheet = importable_kind(actor, kind)(actor=actor, params=params)
    name = os.path.basename(filename or "upload")[:200]
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise ServiceError(
            _("Upload an Excel (.xlsx, .xls), OpenDocument (.ods) or CSV file."), field="file"
        )
    if not data:
        raise ServiceError(_("The file is empty."), field="file")
    if len(data) > uploads.limit("sheet"):
        # The command line's way in; uploads were refused while they streamed in.
        raise ServiceError(uploads.too_large_message("sheet"), field="file")
    owner = sheet.owner_unit_id()
    if owner is None:
        admin_units = [s.unit_id for s in user_scopes(actor)]
        owner = admin_units[0] if admin_units else None
    imp = ImportJob(
        job=start_job(IMPORT, actor=actor, org_unit=owner),
        kind=kind,
        original_name=name,
        dry_run=dry_run,
        valid_only=valid_only,
        params=sheet.param_values,
        target=sheet.describe()[:200],
    )
    imp.file.save(f"{kind}{ext}", ContentFile(data), save=False)
    imp.save()
    return imp


def gone_message(job: ImportJob) -> str:
    """Why a job's original file is no longer there (restricted data is not kept)."""
    if artefacts.restriction_of(job) is not None:
        return _(
            "The file of this import is no longer kept: files holding restricted data are "
            "deleted once imported, or %(h)s hours after a failed import. Upload it again."
        ) % {"h": f"{artefacts.keep_for().total_seconds() / 3600:g}"}
    return _("The file of this import is no longer kept. Upload it again.")


@transaction.atomic
def retry_valid_only(*, actor, job: ImportJob) -> ImportJob:
    """Run a rejected job's file again, writing only its valid rows. A restricted file
    moves to the new job (the rejected job's copy is deleted)."""
    if not artefacts.file_kept(job):
        raise ServiceError(gone_message(job))
    with job.file.open("rb") as fh:
        data = fh.read()
    new = start_import(
        actor=actor,
        kind=job.kind,
        filename=job.original_name,
        data=data,
        valid_only=True,
        params=job.params,
    )
    if artefacts.restriction_of(job) is not None:
        artefacts.discard_original(
            job, why=_("Restricted data: the file moved to import #%(id)d.") % {"id": new.pk}
        )
    return new


class _Progress:
    """Passes the import's phase and row counts to the job (seen by the job page's
    polling), and keeps how long each phase took (in the report as ``seconds``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.phase = ""
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self._lap()
            self.phase = phase
        self.progress(phase, done, total)

    def _lap(self) -> None:
        now = time.perf_counter()
        if self.phase:
            self.seconds[self.phase] = round(
                self.seconds.get(self.phase, 0) + now - self.started, 3
            )
        self.started = now

    def finish(self) -> dict[str, float]:
        self._lap()
        return self.seconds


def _error(message: str) -> dict:
    return {"errors": [{"row": 0, "column": "", "message": message, "value": ""}], "error_count": 1}


def _percent(job: Job) -> int:
    """Reading is quick, checking every row takes most of the time, then one write."""
    base = {"reading": 5, "validating": 10, "writing": 85, "done": 99}.get(job.phase, 0)
    if job.phase == ImportJob.Phase.VALIDATING and job.total:
        return base + int(75 * job.done / job.total)
    return base


def _detail(job: Job) -> str:
    if job.phase == ImportJob.Phase.WRITING:
        return _("Writing %(total)s rows…") % {"total": job.total} if job.total else ""
    if job.total:
        return _("%(done)s of %(total)s rows checked") % {"done": job.done, "total": job.total}
    if job.phase == ImportJob.Phase.READING:
        return _("Reading the file…")
    return _("Waiting for the background worker…")


@job_kind(
    IMPORT,
    percent=_percent,
    detail=_detail,
    label=_lazy("Import"),
    phases={
        "reading": ImportJob.Phase.READING.label,
        "validating": ImportJob.Phase.VALIDATING.label,
        "writing": ImportJob.Phase.WRITING.label,
    },
)
def run_import_job(job: Job, progress: Progress) -> dict:
    """The job of one upload: run the import and store its report as the job's result.

    A rejected sheet (errors found, nothing written) fails the job with the report as
    its result (``rejected``); a crash fails it with a reference for the logs. The
    import writes in one transaction, so a worker killed midway wrote nothing and the
    sweep may run it again.
    """
    imp = ImportJob.objects.get(job=job)
    progress("reading")
    ctx = context.current()
    try:
        if job.created_by is None:
            # The account is gone: never run with the command line's full rights.
            raise PermissionDenied(_("The account that started this import no longer exists."))
        if not artefacts.file_kept(imp):
            raise ServiceError(gone_message(imp))
        with imp.file.open("rb") as fh:
            data = fh.read()
        sheet = get_kind(imp.kind)(actor=job.created_by, params=imp.params)
        timer = _Progress(progress)
        result = run_import(
            sheet,
            data,
            imp.original_name,
            dry_run=imp.dry_run,
            valid_only=imp.valid_only,
            progress=timer,
            job_label=_("%(file)s (import #%(id)d)") % {"file": imp.original_name, "id": imp.pk},
        )
        payload = result.as_dict()
        payload["seconds"] = timer.finish()
        ok = result.ok
    except (ServiceError, PermissionDenied) as e:
        # The parameters no longer hold (the exam was deleted, the right withdrawn).
        payload, ok = _error(e.text if isinstance(e, ServiceError) else str(e)), False
    except Exception:
        log.exception("import job %s failed", imp.pk)
        payload = _error(
            _("The import failed unexpectedly; nothing was written. Reference: %(ref)s")
            % {"ref": ctx.request_id[:12]}
        )
        raise JobError(payload["errors"][0]["message"], result=payload) from None
    rows = payload.get("rows", 0)
    progress("done", rows, rows)
    if ok:
        artefacts.after_success(imp)
    else:
        payload["rejected"] = True
        raise JobError(
            _("The sheet has errors (%(n)d); see the report.")
            % {"n": payload.get("error_count", 0)},
            result=payload,
        )
    return payload
