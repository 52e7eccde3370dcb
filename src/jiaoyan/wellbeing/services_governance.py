"""Governance of the screening data (every write here is audited):

* **exports of identified data need a second approver**: :func:`request_export` (a holder
  of the wellbeing permission on the unit, with a reason), :func:`approve_export` /
  :func:`reject_export` (another holder of it there — never the requester), then a job
  builds the file (:mod:`.tasks`), which only the requester opens (:func:`open_export`,
  each download an audited export) until it expires;
* **retention** (:func:`apply_retention`, the daily job ``wellbeing.retention``): what
  identifies a student or was said about them is removed once the campaign closed more
  than ``WELLBEING_RETENTION_YEARS`` ago — answers item by item, opt-out and alert notes,
  and the name and birth date of a student with no newer screening; what the steps of a
  follow-up case closed that long ago say (assessment, plan, notes, referral); the rows themselves
  (school, grade, gender, status, totals, levels, each step's kind and date) stay, so the
  aggregates stay. A student whose follow-up is still open keeps the name. Expired
  export files are deleted.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.notifications import notify
from jiaoyan.core.scope import locked, require

from .models import (
    Alert,
    Campaign,
    ExportRequest,
    FollowUpCase,
    FollowUpEntry,
    Participation,
    Student,
)

Action = audit.AuditLog.Action
BUILD_EXPORT = "wellbeing.build_export"
RETENTION = "wellbeing.retention"


def export_hours() -> int:
    return int(getattr(settings, "WELLBEING_EXPORT_HOURS", 48))


def retention_years() -> int:
    return int(getattr(settings, "WELLBEING_RETENTION_YEARS", 5))


@transaction.atomic
def request_export(*, actor, org_unit, what: str, reason: str) -> ExportRequest:
    """Ask for an export of ``what`` (identified data of ``org_unit``'s subtree)."""
    if what not in ExportRequest.What.values:
        raise ServiceError(_("Choose what to export."), field="what")
    req = ExportRequest(org_unit=org_unit, what=what, requested_by=actor)
    require(actor, "add", req)
    req.reason = restricted.clean_reason(reason)
    req.save()
    audit.record(
        actor,
        req,
        Action.CREATE,
        {"what": [None, req.get_what_display()], "reason": [None, req.reason]},
    )
    return req


def _decide(actor, req: ExportRequest) -> ExportRequest:
    req = locked(actor, "change", req)
    if req.requested_by_id == actor.pk:
        raise ServiceError(
            _("Another person holding the wellbeing permission must approve your request.")
        )
    if req.status != ExportRequest.Status.PENDING:
        raise ServiceError(_("This request has already been decided."))
    return req


@transaction.atomic
def approve_export(*, actor, export: ExportRequest) -> ExportRequest:
    """Approve another person's request: the file is built in the background."""
    req = _decide(actor, export)
    req.status = ExportRequest.Status.APPROVED
    req.decided_by, req.decided_at = actor, timezone.now()
    req.job = start_job(BUILD_EXPORT, actor=actor, org_unit=req.org_unit, params={"export": req.pk})
    req.version += 1
    req.save(update_fields=["status", "decided_by", "decided_at", "job", "version", "updated_at"])
    audit.record(actor, req, Action.STATUS, {"status": ["pending", req.status]})
    if req.requested_by_id:
        notify(
            [req.requested_by],
            title=_("Your export request was approved."),
            url=req.get_absolute_url(),
            about=req,
        )
    return req


@transaction.atomic
def reject_export(*, actor, export: ExportRequest) -> ExportRequest:
    req = _decide(actor, export)
    req.status = ExportRequest.Status.REJECTED
    req.decided_by, req.decided_at = actor, timezone.now()
    req.version += 1
    req.save(update_fields=["status", "decided_by", "decided_at", "version", "updated_at"])
    audit.record(actor, req, Action.STATUS, {"status": ["pending", req.status]})
    return req


def export_rows(req: ExportRequest) -> tuple[list[str], list[list]]:
    """The header and rows of an approved export (identified: the caller is the job)."""
    under = {"school__path__under": req.org_unit.path}
    if req.what == ExportRequest.What.ALERTS:
        header = ["学校", "学生编号", "姓名", "年级", "班级", "原因", "量表", "状态", "预警时间"]
        rows = [
            [
                a.school.name,
                a.student.key,
                a.student.name,
                a.student.grade,
                a.student.class_name,
                a.get_reason_display(),
                a.scale,
                a.get_status_display(),
                timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
            for a in Alert.objects.filter(**under).select_related("student", "school")
        ]
    else:
        header = ["学校", "学生编号", "姓名", "性别", "出生日期", "年级", "班级"]
        rows = [
            [
                s.school.name,
                s.key,
                s.name,
                s.get_gender_display(),
                s.birth_date.isoformat() if s.birth_date else "",
                s.grade,
                s.class_name,
            ]
            for s in Student.objects.filter(**under).select_related("school")
        ]
    return header, rows


def store_export(req: ExportRequest, content: bytes, rows: int) -> None:
    """Keep the built file (the job's last step) until it expires."""
    from django.core.files.base import ContentFile

    from jiaoyan.core.crypto import random_code

    with transaction.atomic():
        req = ExportRequest.objects.select_for_update().get(pk=req.pk)
        req.file.save(f"{req.pk}-{random_code(16)}.xlsx", ContentFile(content), save=False)
        req.rows = rows
        req.status = ExportRequest.Status.READY
        req.expires_at = timezone.now() + dt.timedelta(hours=export_hours())
        req.save(update_fields=["file", "rows", "status", "expires_at", "updated_at"])
        audit.record(None, req, Action.STATUS, {"status": ["approved", req.status]})


def open_export(*, actor, export: ExportRequest) -> ExportRequest:
    """The requester's download of a ready file: refused after expiry or to anyone else;
    every download is an audited export carrying the request's reason."""
    if export.requested_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked for this export may download it."))
    if not export.downloadable:
        raise ServiceError(_("This export is not available (not ready, or expired)."))
    restricted.record_read(
        actor,
        restricted.WELLBEING,
        export,
        export.reason,
        unit=export.org_unit,
        rows=export.rows,
        export=True,
    )
    return export


# --- retention ---------------------------------------------------------------------------


def apply_retention(*, now: dt.datetime | None = None) -> dict[str, int]:
    """De-identify what the retention period no longer allows to keep (see the module
    text); each campaign treated leaves an audit row. Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=365 * retention_years())
    out = {
        "campaigns": 0,
        "participations": 0,
        "alerts": 0,
        "cases": 0,
        "students": 0,
        "exports": 0,
    }
    for campaign in Campaign.objects.filter(ends_at__lt=cutoff).order_by("pk"):
        with transaction.atomic():
            parts = Participation.objects.filter(campaign=campaign).exclude(answers={})
            n = parts.update(answers={}, opt_out_note="")
            notes = (
                Alert.objects.filter(participation__campaign=campaign)
                .exclude(status=Alert.Status.OPEN)
                .exclude(note="")
                .update(note="")
            )
            if n or notes:
                out["campaigns"] += 1
                out["participations"] += n
                out["alerts"] += notes
                audit.record(
                    None,
                    campaign,
                    Action.UPDATE,
                    {"answers_removed": [None, n], "notes_removed": [None, notes]},
                    message=_("Retention: identified answers and notes removed"),
                )
    said = FollowUpEntry.objects.filter(case=OuterRef("pk")).exclude(
        assessment="", plan="", note="", institution="", outcome=""
    )
    old_cases = FollowUpCase.objects.filter(
        status=FollowUpCase.Status.CLOSED, closed_at__lt=cutoff
    ).filter(Exists(said))
    for case in old_cases.order_by("pk"):
        with transaction.atomic():
            n = FollowUpEntry.objects.filter(case=case).update(
                assessment="", plan="", note="", institution="", outcome=""
            )
            out["cases"] += 1
            audit.record(
                None,
                case,
                Action.UPDATE,
                {"entries_cleared": [None, n]},
                message=_("Retention: what the follow-up's steps said removed"),
            )
    newer = Participation.objects.filter(student=OuterRef("pk"), campaign__ends_at__gte=cutoff)
    open_alert = Alert.objects.filter(student=OuterRef("pk"), status=Alert.Status.OPEN)
    open_case = FollowUpCase.objects.filter(student=OuterRef("pk")).exclude(
        status=FollowUpCase.Status.CLOSED
    )
    stale = (
        Student.objects.filter(participations__campaign__ends_at__lt=cutoff)
        .exclude(Exists(newer))
        .exclude(Exists(open_alert))
        .exclude(Exists(open_case))
        .exclude(name="")
        .values_list("pk", flat=True)
        .distinct()
    )
    ids = list(stale)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        with transaction.atomic():
            out["students"] += Student.objects.filter(pk__in=chunk).update(name="", birth_date=None)
    expired = ExportRequest.objects.filter(status=ExportRequest.Status.READY, expires_at__lte=now)
    for req in expired:
        with transaction.atomic():
            if req.file:
                req.file.delete(save=False)
            ExportRequest.objects.filter(pk=req.pk).update(
                status=ExportRequest.Status.EXPIRED, file=""
            )
            audit.record(None, req, Action.STATUS, {"status": ["ready", "expired"]})
            out["exports"] += 1
    return out
