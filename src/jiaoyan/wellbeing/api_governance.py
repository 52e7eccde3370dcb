"""API of the screening data's governance, with the pages' permissions and audit: the
read audit (who read which identified record, with the reason; filtered), and exports of
identified data — asked for with a reason by a holder of the wellbeing permission,
approved or rejected by another holder, the file downloaded by the requester only (each
download an audited export)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from jiaoyan.core import restricted
from jiaoyan.core.api import paginated
from jiaoyan.core.pages import stored_file_response
from jiaoyan.core.resolve import resolve
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit

from . import queries
from . import queries_governance as gq
from . import services_governance as governance
from .models import ExportRequest

router = Router(tags=["wellbeing"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reviewer(user) -> None:
    if not restricted.may_review_reads(user, restricted.WELLBEING):
        raise PermissionDenied(_("This needs the wellbeing permission."))


def _pair(a, key: str) -> str:
    pair = (a.changes or {}).get(key)
    value = pair[1] if isinstance(pair, list) and len(pair) == 2 else ""
    return "" if value is None else str(value)


class WellbeingReadOut(Schema):
    id: int
    time: dt.datetime = Field(alias="timestamp")
    reader: str = Field(alias="actor_name")
    action: str
    record: str = Field(alias="object_repr")
    unit: str = Field(alias="unit_name")
    reason: str
    rows: str

    @staticmethod
    def resolve_reason(obj) -> str:
        return _pair(obj, "reason")

    @staticmethod
    def resolve_rows(obj) -> str:
        return _pair(obj, "rows")


class WellbeingReadFilter(Schema):
    reader: str = Field("", max_length=50)
    student: str = Field("", max_length=40)
    action: str = Field("", pattern="^(|view|export)$")
    since: dt.date | None = None
    until: dt.date | None = None


class WellbeingExportOut(Schema):
    id: int
    org_unit: int = Field(alias="org_unit_id")
    org_unit_name: str = Field(alias="org_unit.name")
    what: str
    reason: str
    status: str
    requested_by: str
    decided_by: str
    decided_at: dt.datetime | None
    rows: int
    expires_at: dt.datetime | None
    downloadable: bool
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_requested_by(obj) -> str:
        return obj.requested_by.display_name if obj.requested_by_id else ""

    @staticmethod
    def resolve_decided_by(obj) -> str:
        return obj.decided_by.display_name if obj.decided_by_id else ""


class WellbeingExportIn(Schema):
    org_unit: int | str
    what: str
    reason: str


@router.get(
    "/wellbeing/reads",
    response=list[WellbeingReadOut],
    summary="Who read which identified screening record, with the reason (newest first)",
    operation_id="list_wellbeing_reads",
)
@paginated
def list_reads(request, filters: Query[WellbeingReadFilter]):
    _require_reviewer(request.auth)
    rows = gq.reads_for(request.auth, **filters.dict())
    return gq.with_unit_names(rows)


@router.get(
    "/wellbeing/exports",
    response=list[WellbeingExportOut],
    summary="Export requests of identified screening data where you hold the permission",
    operation_id="list_wellbeing_exports",
)
@paginated
def list_exports(request, status: str = ""):
    queries.require_permission_somewhere(request.auth)
    return gq.exports_for(request.auth, status=status)


@router.post(
    "/wellbeing/exports",
    response={201: WellbeingExportOut},
    summary="Ask for an export of identified data (a second holder must approve it)",
    operation_id="request_wellbeing_export",
)
def post_export(request, body: WellbeingExportIn):
    user = request.auth
    queries.require_permission_somewhere(user)
    units = OrgUnit.objects.filter(restricted.permitted_q(user, restricted.WELLBEING, "path"))
    unit = resolve(user, OrgUnit, body.org_unit, field="org_unit", queryset=units)
    req = governance.request_export(actor=user, org_unit=unit, what=body.what, reason=body.reason)
    return Status(201, req)


def _export(request, export_id: int) -> ExportRequest:
    return get_visible_or_404(
        ExportRequest.objects.select_related("org_unit", "requested_by", "decided_by"),
        request.auth,
        pk=export_id,
    )


@router.get(
    "/wellbeing/exports/{export_id}",
    response=WellbeingExportOut,
    summary="One export request",
    operation_id="get_wellbeing_export",
)
def get_export(request, export_id: int):
    return _export(request, export_id)


@router.post(
    "/wellbeing/exports/{export_id}/approve",
    response=WellbeingExportOut,
    summary="Approve another person's export request (the file is built in the background)",
    operation_id="approve_wellbeing_export",
)
def approve_export(request, export_id: int):
    return governance.approve_export(actor=request.auth, export=_export(request, export_id))


@router.post(
    "/wellbeing/exports/{export_id}/reject",
    response=WellbeingExportOut,
    summary="Reject another person's export request",
    operation_id="reject_wellbeing_export",
)
def reject_export(request, export_id: int):
    return governance.reject_export(actor=request.auth, export=_export(request, export_id))


@router.get(
    "/wellbeing/exports/{export_id}/file",
    summary="Download the export (the requester only, until it expires; audited)",
    operation_id="download_wellbeing_export",
)
def download_export(request, export_id: int):
    req = _export(request, export_id)
    if req.requested_by_id == request.auth.pk and not req.downloadable:
        raise HttpError(410, _("This export is not available (not ready, or expired)."))
    governance.open_export(actor=request.auth, export=req)
    name = f"{req.get_what_display()}-{req.org_unit.name}-{req.pk}.xlsx"
    return stored_file_response(req.file, name, XLSX, request=request)
