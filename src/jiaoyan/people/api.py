"""API endpoints of people: same services, same scope, phones masked as on the pages."""

from ninja import Query, Router, Status

from jiaoyan.core.api import changes, paginated
from jiaoyan.core.resolve import resolve, resolve_many
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from . import services
from .models import Person
from .queries import people_for_list
from .schemas import PersonFilter, PersonIn, PersonOut, PersonPatch, StatusIn

router = Router(tags=["people"])


@router.get("/people", response=list[PersonOut], summary="People in your scope")
@paginated
def list_people(request, filters: Query[PersonFilter]):
    qs = Person.objects.visible_to(request.auth).order_by("org_unit__path", "staff_no")
    qs = filters.filter(qs)
    if filters.role or filters.subject or filters.stage or filters.honour:
        qs = qs.distinct()
    return people_for_list(qs)


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request, person_id: int):
    return get_visible_or_404(people_for_list(Person.objects.all()), request.auth, pk=person_id)


@router.post("/people", response={201: PersonOut})
def create_person(request, data: PersonIn):
    unit = resolve(request.auth, OrgUnit, data.org_unit, field="org_unit")
    person = services.create_person(
        actor=request.auth,
        staff_no=data.staff_no,
        name=data.name,
        org_unit=unit,
        gender=data.gender or "",
        phone=data.phone,
        professional_title=data.professional_title or "",
        role=data.role,
        subjects=resolve_many(None, Subject, data.subjects, field="subjects"),
        stages=resolve_many(None, Stage, data.stages, field="stages"),
    )
    return Status(201, people_for_list(Person.objects.all()).get(pk=person.pk))


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request, person_id: int, data: PersonPatch):
    person = get_visible_or_404(Person, request.auth, pk=person_id)
    payload = changes(data, blank=("gender", "professional_title", "phone"))
    services.update_person(
        actor=request.auth, person=person, data=payload, expected_version=data.version
    )
    return people_for_list(Person.objects.all()).get(pk=person.pk)


@router.post(
    "/people/{person_id}/status",
    response=PersonOut,
    summary="Record that a person left (transfer, retirement) or returned",
)
def change_status(request, person_id: int, data: StatusIn):
    person = get_visible_or_404(Person, request.auth, pk=person_id)
    services.change_status(actor=request.auth, person=person, status=data.status, note=data.note)
    return people_for_list(Person.objects.all()).get(pk=person.pk)
