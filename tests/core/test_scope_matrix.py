"""Cross-district isolation for every scoped model (see tests/scope_cases.py).

For each registered model, a row owned by 华州区 is made; then every user of 临渭区
(researcher, principal, teacher, counsellor) is refused it everywhere: not in
``visible_to``, ``can`` says no to view/change/delete, its page and API answer 404, and
lists (pages and API) do not reveal it. Nothing about the row changes.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests
from jiaoyan.core.scope import can, registry
from tests.scope_cases import CASES

for mod in pkgutil.iter_modules(tests.__path__):
    if mod.ispkg:
        try:
            importlib.import_module(f"tests.{mod.name}.scope_cases")
        except ModuleNotFoundError as e:
            if e.name != f"tests.{mod.name}.scope_cases":
                raise

INSIDERS = ["district_researcher", "principal", "teacher", "counsellor"]
MODELS = sorted(registry(), key=lambda m: m._meta.label)


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
            resp = client.get(case.list_page)
            assert resp.status_code in (200, 403), name
            assert case.marker(obj) not in resp.content.decode(), name
        api = api_for(user)
        if case.api:
            assert api.get(case.api(obj)).status_code == 404, name
            assert api.patch(
                case.api(obj), data={}, content_type="application/json"
            ).status_code in (404, 405), name
            assert api.delete(case.api(obj)).status_code in (404, 405), name
        if case.api_list:
            data = api.get(case.api_list).json()
            assert obj.pk not in [i["id"] for i in data["items"]], name
    after = model._default_manager.filter(pk=obj.pk).values().first()
    assert before == after


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_the_other_districts_own_admin_sees_it(model, world):
    """The same row is visible to its own side, so the test above can fail."""
    case = CASES[model]
    obj = case.make(world)
    owner = world.users["outsider"]
    assert model.objects.visible_to(owner).filter(pk=obj.pk).exists()
    assert can(owner, "view", obj)
    if not case.personal:
        assert model.objects.visible_to(world.users["city_admin"]).filter(pk=obj.pk).exists()


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
