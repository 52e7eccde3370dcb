"""Cross-district isolation for every scoped model (see tests/scope_cases.py).

For each registered model, a row owned by 华州区 is made; then every user of 临渭区
(researcher, principal, teacher, counsellor) is refused it everywhere: not in
``visible_to``, ``can`` says no to view/change/delete, its page and API answer 404 (never
403, which would tell that it exists), and lists (pages, their xlsx exports and the API)
answer 200 without it. Nothing about the row changes.

Every URL of a case is also checked from the other side (positive control): the case's
in-scope viewer gets the page, finds the row's marker in the list and its id in the API
list. A case with a wrong URL or marker fails there instead of passing vacuously.
"""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest

from jiaoyan.core.scope import can, registry
from tests.scope_cases import CASES, load_all

load_all()

INSIDERS = ["district_researcher", "principal", "teacher", "counsellor"]
MODELS = sorted(registry(), key=lambda m: m._meta.label)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _url(spec, obj) -> str:
    return spec(obj) if callable(spec) else spec


def _text(resp) -> str:
    """What a list shows: the page's HTML, or every cell of its xlsx export."""
    if resp.get("Content-Type", "").startswith(XLSX):
        book = openpyxl.load_workbook(BytesIO(resp.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return resp.content.decode()


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.content[:300]
    return [i["id"] for i in resp.json()["items"]]


def test_every_scoped_model_has_a_case():
    missing = [m._meta.label for m in MODELS if m not in CASES]
    assert not missing, f"scoped models without a scope case: {missing}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_other_district_is_invisible(model, world, client_for, api_for):
    case = CASES[model]
    obj = case.make(world)
    before = model._default_manager.filter(pk=obj.pk).values().first()
    for name in INSIDERS:
        user = world.users[name]
        assert not model.objects.visible_to(user).filter(pk=obj.pk).exists(), name
        assert not can(user, "view", obj), name
        for action in case.actions:
            assert not can(user, action, obj), (name, action)
        client = client_for(user)
        if case.page:
            assert client.get(case.page(obj)).status_code == 404, name
        if case.list_page:
            resp = client.get(_url(case.list_page, obj))
            if name in case.list_refused:
                assert resp.status_code == 403, name
            else:
                assert resp.status_code == 200, name
                assert case.marker(obj) not in _text(resp), name
        api = api_for(user)
        if case.api:
            assert api.get(case.api(obj)).status_code == 404, name
            assert api.patch(
                case.api(obj), data={}, content_type="application/json"
            ).status_code in (404, 405), name
            assert api.delete(case.api(obj)).status_code in (404, 405), name
        if case.api_list:
            resp = api.get(_url(case.api_list, obj))
            if not (name in case.list_refused and resp.status_code == 403):
                assert obj.pk not in _ids(resp), name
    after = model._default_manager.filter(pk=obj.pk).values().first()
    assert before == after


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_the_other_districts_own_admin_sees_it(model, world, client_for, api_for):
    """Positive control: the same row, through the same URLs, reaches its own side, so
    the test above fails when a case names a wrong URL or marker."""
    case = CASES[model]
    obj = case.make(world)
    owner = world.users["outsider"]
    assert model.objects.visible_to(owner).filter(pk=obj.pk).exists()
    assert can(owner, "view", obj)
    if not case.personal:
        assert model.objects.visible_to(world.users["city_admin"]).filter(pk=obj.pk).exists()
    viewer = world.users[case.viewer]
    client, api = client_for(viewer), api_for(viewer)
    if case.page:
        resp = client.get(case.page(obj))
        assert resp.status_code == case.page_status
        if case.page_status == 302:
            assert "/accounts/login/" not in resp["Location"]
    if case.list_page:
        resp = client.get(_url(case.list_page, obj))
        assert resp.status_code == 200
        assert case.marker(obj) in _text(resp)
    if case.api:
        assert api.get(case.api(obj)).status_code == 200
    if case.api_list:
        assert obj.pk in _ids(api.get(_url(case.api_list, obj)))


@pytest.mark.parametrize(
    "model", [m for m in MODELS if CASES.get(m) and CASES[m].personal], ids=lambda m: m._meta.label
)
def test_personal_objects_are_their_owners_alone(model, world, client_for):
    """A personal object (token, notification) is invisible even to the admins above its
    owner: no role sees it, only the owner does."""
    case = CASES[model]
    obj = case.make(world)
    before = model._default_manager.filter(pk=obj.pk).values().first()
    admin = world.users["city_admin"]
    assert not model.objects.visible_to(admin).filter(pk=obj.pk).exists()
    assert not can(admin, "view", obj)
    if case.page:
        assert client_for(admin).get(case.page(obj)).status_code == 404
    assert model._default_manager.filter(pk=obj.pk).values().first() == before
