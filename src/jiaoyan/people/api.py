"""API endpoints of people: same services, same scope, phones masked as on the pages."""

from ninja import Query, Router

from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from . import services
from .models import HomeroomAssignment, Person
from .queries import people_for_list
from .schemas import (
    HomeroomIn,
    HomeroomOut,
    PersonFilter,
    PersonIn,
    PersonOut,
    PersonPatch,
    StatusIn,
)

router = Router(tags=["people"])


@router.get("/people", response=list[PersonOut], summary="People in your scope")
@paginated
def list_people(request, filters: Query[PersonFilter]):
    qs = Person.objects.visible_to(request.auth).order_by("org_unit__path", "staff_no")
    qs = filters.filter(qs)
    if filters.role or filters.subject or filters.stage or filters.honour:
        qs = qs.distinct()
    return people_for_list(qs)


people = Resource(
    router,
    "/people/{person_id}",
    people_for_list(Person.objects.all()),
    out=PersonOut,
    name="person",
    plural="people",
)
people.get()
people.create(
    services.create_person,
    PersonIn,
    refs={"org_unit": OrgUnit, "subjects": [Subject], "stages": [Stage]},
    blank=("gender", "professional_title"),
)
people.update(
    services.update_person,
    PersonPatch,
    blank=("gender", "professional_title", "phone"),
    nullable=("teaching_since",),
)
people.action(
    "status",
    services.change_status,
    body=StatusIn,
    summary="Record that a person left (transfer, retirement) or returned",
    name="change_status",
)

# Class teachers (班主任): the same services as the person's page.
homerooms = Resource(
    router,
    "/homerooms/{homeroom_id}",
    HomeroomAssignment.objects.all(),
    out=HomeroomOut,
    name="homeroom",
    arg="assignment",
)
homerooms.list(
    "/people/{person_id}/homerooms",
    parent=("person", Person),
    order=("-is_active", "grade", "class_name", "id"),
    summary="A person's class teacher assignments (ended ones kept)",
)
homerooms.get(summary="One class teacher assignment")
homerooms.action("end", services.end_homeroom, summary="End a class teacher assignment")
people.action(
    "homerooms",
    services.assign_homeroom,
    body=HomeroomIn,
    answers=homerooms,
    summary="Make the person the class teacher of one class of their school",
    name="assign_homeroom",
)
