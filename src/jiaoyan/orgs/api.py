"""API endpoints of org units and schools: the same services and scope as the pages."""

from ninja import Query, Router, Status

from jiaoyan.core.api import changes, paginated
from jiaoyan.core.resolve import resolve, resolve_many
from jiaoyan.core.scope import get_visible_or_404

from . import services
from .models import OrgUnit, School, Stage
from .schemas import (
    OrgUnitFilter,
    OrgUnitIn,
    OrgUnitOut,
    OrgUnitPatch,
    SchoolFilter,
    SchoolIn,
    SchoolOut,
    SchoolPatch,
)

router = Router(tags=["org units and schools"])


@router.get("/org-units", response=list[OrgUnitOut], summary="Org units in your scope")
@paginated
def list_units(request, filters: Query[OrgUnitFilter]):
    qs = OrgUnit.objects.visible_to(request.auth).select_related("parent").order_by("path")
    return filters.filter(qs)


@router.get("/org-units/{unit_id}", response=OrgUnitOut)
def get_unit(request, unit_id: int):
    return get_visible_or_404(OrgUnit.objects.select_related("parent"), request.auth, pk=unit_id)


@router.post("/org-units", response={201: OrgUnitOut})
def create_unit(request, data: OrgUnitIn):
    parent = resolve(request.auth, OrgUnit, data.parent, field="parent")
    unit = services.create_unit(
        actor=request.auth,
        parent=parent,
        code=data.code,
        name=data.name,
        level=data.level,
        kind=data.kind,
    )
    return Status(201, unit)


@router.patch("/org-units/{unit_id}", response=OrgUnitOut)
def update_unit(request, unit_id: int, data: OrgUnitPatch):
    unit = get_visible_or_404(OrgUnit, request.auth, pk=unit_id)
    payload = changes(data)
    return services.update_unit(
        actor=request.auth, unit=unit, data=payload, expected_version=data.version
    )


def _schools():
    return School.objects.select_related("org_unit", "org_unit__parent").prefetch_related("stages")


@router.get("/schools", response=list[SchoolOut], summary="Schools in your scope")
@paginated
def list_schools(request, filters: Query[SchoolFilter]):
    qs = _schools().visible_to(request.auth).order_by("org_unit__path")
    return filters.filter(qs).distinct() if filters.stage else filters.filter(qs)


@router.get("/schools/{school_id}", response=SchoolOut)
def get_school(request, school_id: int):
    return get_visible_or_404(_schools(), request.auth, pk=school_id)


def _stages(codes: list[str]) -> list[Stage]:
    return resolve_many(None, Stage, codes, field="stages")


@router.post("/schools", response={201: SchoolOut})
def create_school(request, data: SchoolIn):
    parent = resolve(request.auth, OrgUnit, data.parent, field="parent")
    school = services.create_school(
        actor=request.auth,
        parent=parent,
        code=data.code,
        name=data.name,
        kind=data.kind,
        location=data.location,
        stages=_stages(data.stages),
        is_weak=data.is_weak,
        student_count=data.student_count,
        teacher_count=data.teacher_count,
        address=data.address,
    )
    return Status(201, _schools().get(pk=school.pk))


@router.patch("/schools/{school_id}", response=SchoolOut)
def update_school(request, school_id: int, data: SchoolPatch):
    school = get_visible_or_404(School, request.auth, pk=school_id)
    payload = changes(data, blank=("address",))
    if "stages" in payload:
        payload["stages"] = _stages(payload["stages"] or [])
    services.update_school(
        actor=request.auth, school=school, data=payload, expected_version=data.version
    )
    return _schools().get(pk=school.pk)
