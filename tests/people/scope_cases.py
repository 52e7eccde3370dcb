from jiaoyan.people.models import ApiToken, HomeroomAssignment, Honour, Person, RoleAssignment
from tests.scope_cases import ScopeCase, register

register(
    ScopeCase(
        Person,
        lambda w: w.people["teacher_c"],
        page=lambda p: f"/people/{p.pk}/",
        list_page="/people/",
        api=lambda p: f"/api/v1/people/{p.pk}",
        api_list="/api/v1/people?limit=500",
        marker=lambda p: p.staff_no,
    )
)
register(
    ScopeCase(
        RoleAssignment,
        lambda w: w.people["teacher_c"].roles.get(),
        actions=("change", "delete"),
    )
)


def _honour(w):
    return Honour.objects.create(
        person=w.people["teacher_c"], title="key_teacher", level="county", year=2022
    )


register(ScopeCase(Honour, _honour, actions=("change", "delete")))


def _token(w):
    from jiaoyan.people.services import create_token

    token, _raw = create_token(actor=w.users["outsider"], name="华州区同步")
    return token


register(ScopeCase(ApiToken, _token, personal=True, actions=("change",)))


def _homeroom(w):
    return HomeroomAssignment.objects.create(
        person=w.people["teacher_c"],
        school=w.schools["school_c"].org_unit,
        grade=3,
        class_name="2班",
    )


register(ScopeCase(HomeroomAssignment, _homeroom, marker=lambda h: h.class_name))
