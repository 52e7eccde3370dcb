"""Import jobs: the browser's and the API's way into :mod:`jiaoyan.core.sheets`.

``start_import`` stores the upload and schedules ``run_import_job`` on the task queue once
the transaction commits; the job page polls the job's phase and progress until the report
is ready. The command line runs :func:`jiaoyan.core.sheets.run_import` directly.

Kinds with parameters (the exam of a score sheet) get them checked by the kind when the job
is created, and again when it runs (the exam may have gone meanwhile); the job keeps the
cleaned values in ``params`` and belongs to the unit the kind names (the exam's owner), so
the admins over that unit see it beside its creator.
"""

from __future__ import annotations

import logging
import os
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from . import context
from .errors import ServiceError
from .models import ImportJob
from .scope import scope_paths, spec_for, user_scopes
from .sheets import get_kind, run_import

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}


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
    try:
        sheet_cls = get_kind(kind)
    except LookupError as e:
        raise ServiceError(str(e), field="kind") from None
    if sheet_cls not in kinds_for(actor):
        # A refusal, not bad input: 403 in the API, like every other permission check.
        raise PermissionDenied(_("You may not import this kind of data."))
    sheet = sheet_cls(actor=actor, params=params)
    name = os.path.basename(filename or "upload")[:200]
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise ServiceError(
            _("Upload an Excel (.xlsx, .xls), OpenDocument (.ods) or CSV file."), field="file"
        )
    if not data:
        raise ServiceError(_("The file is empty."), field="file")
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ServiceError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20},
            field="file",
        )
    owner = sheet.owner_unit_id()
    if owner is None:
        admin_units = [s.unit_id for s in user_scopes(actor)]
        owner = admin_units[0] if admin_units else None
    job = ImportJob(
        kind=kind,
        original_name=name,
        dry_run=dry_run,
        valid_only=valid_only,
        params=sheet.param_values,
        target=sheet.describe()[:200],
        created_by=actor,
        org_unit_id=owner,
    )
    job.file.save(f"{kind}{ext}", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


@transaction.atomic
def retry_valid_only(*, actor, job: ImportJob) -> ImportJob:
    """Run a rejected job's file again, writing only its valid rows."""
    with job.file.open("rb") as fh:
        data = fh.read()
    return start_import(
        actor=actor,
        kind=job.kind,
        filename=job.original_name,
        data=data,
        valid_only=True,
        params=job.params,
    )


class _Progress:
    """Stores the job's phase and row counts as the import reports them (seen by the job
    page's polling), and how long each phase took (kept in the report as ``seconds``)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.phase = ""
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self._lap()
            self.phase = phase
        fields = {"phase": phase}
        if total:
            fields.update(processed_rows=done, total_rows=total)
        ImportJob.objects.filter(pk=self.job_id).update(**fields)

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


@task()
def run_import_job(job_id: int) -> str:
    """Background task: run one import job and store its report."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.PENDING:
        return job.status
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), phase="reading"
    )
    lang = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with context.write_context("task") as ctx, translation.override(lang):
        try:
            if job.created_by is None:
                # The account is gone: never run with the command line's full rights.
                raise PermissionDenied(_("The account that started this import no longer exists."))
            with job.file.open("rb") as fh:
                data = fh.read()
            sheet = get_kind(job.kind)(actor=job.created_by, params=job.params)
            progress = _Progress(job_id)
            result = run_import(
                sheet,
                data,
                job.original_name,
                dry_run=job.dry_run,
                valid_only=job.valid_only,
                progress=progress,
                job_label=_("%(file)s (import #%(id)d)")
                % {"file": job.original_name, "id": job.pk},
            )
            status = ImportJob.Status.SUCCEEDED if result.ok else ImportJob.Status.REJECTED
            payload = result.as_dict()
            payload["seconds"] = progress.finish()
        except (ServiceError, PermissionDenied) as e:
            # The parameters no longer hold (the exam was deleted, the right withdrawn).
            status = ImportJob.Status.REJECTED
            text = e.text if isinstance(e, ServiceError) else str(e)
            payload = {
                "errors": [{"row": 0, "column": "", "message": text, "value": ""}],
                "error_count": 1,
            }
        except Exception:
            log.exception("import job %s failed", job_id)
            status = ImportJob.Status.FAILED
            payload = {
                "errors": [
                    {
                        "row": 0,
                        "column": "",
                        "message": _(
                            "The import failed unexpectedly; nothing was written. "
                            "Reference: %(ref)s"
                        )
                        % {"ref": ctx.request_id[:12]},
                        "value": "",
                    }
                ],
                "error_count": 1,
            }
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        phase="done",
        result=payload,
        finished_at=timezone.now(),
        total_rows=payload.get("rows", 0),
        processed_rows=payload.get("rows", 0),
    )
    return status
