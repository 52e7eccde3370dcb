"""API endpoints of org units and schools: the same services and scope as the pages."""

from ninja import Query, Router

from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource

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

units = Resource(
    router,
    "/org-units/{unit_id}",
    OrgUnit.objects.select_related("parent"),
    out=OrgUnitOut,
)
units.list(filters=OrgUnitFilter, order=("path",), summary="Org units in your scope")
units.get()
units.create(services.create_unit, OrgUnitIn, refs={"parent": OrgUnit})
units.update(services.update_unit, OrgUnitPatch)

SCHOOLS = School.objects.select_related("org_unit", "org_unit__parent").prefetch_related("stages")
schools = Resource(router, "/schools/{school_id}", SCHOOLS, out=SchoolOut)


@router.get("/schools", response=list[SchoolOut], summary="Schools in your scope")
@paginated
def list_schools(request, filters: Query[SchoolFilter]):
    qs = SCHOOLS.visible_to(request.auth).order_by("org_unit__path")
    return filters.filter(qs).distinct() if filters.stage else filters.filter(qs)


schools.get()
schools.create(services.create_school, SchoolIn, refs={"parent": OrgUnit, "stages": [Stage]})
schools.update(services.update_school, SchoolPatch, blank=("address",), refs={"stages": [Stage]})
