from jiaoyan.orgs.models import OrgUnit, School
from tests.scope_cases import ScopeCase, register

register(
    ScopeCase(
        OrgUnit,
        lambda w: w.units["huazhou_bureau"],
        page=lambda u: f"/orgs/units/{u.pk}/",
        list_page="/orgs/units/?q=华州",
        api=lambda u: f"/api/v1/org-units/{u.pk}",
        api_list="/api/v1/org-units?limit=500",
        marker=lambda u: u.name,
    )
)
register(
    ScopeCase(
        School,
        lambda w: w.schools["school_c"],
        page=lambda s: f"/orgs/schools/{s.pk}/",
        list_page="/orgs/schools/",
        api=lambda s: f"/api/v1/schools/{s.pk}",
        api_list="/api/v1/schools?limit=500",
        marker=lambda s: s.org_unit.name,
    )
)
