"""Who gets into /api/v1/: bearer tokens (made on the account page, by the service or by
``jiaoyan create_token``), the browser session with CSRF on writes; everyone else gets a
401 with a JSON ``detail``. The OpenAPI document and the docs page load."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from jiaoyan.people.models import ApiToken, User
from jiaoyan.people.services import create_token, revoke_token


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_token_from_the_service(world):
    token, raw = create_token(actor=world.principal, name="学校数据同步")
    assert raw.startswith("jy_") and token.prefix == raw[:10]
    assert token.token_hash != raw and raw not in token.token_hash  # only a hash is stored
    resp = bearer(raw).get("/api/v1/me")
    assert resp.status_code == 200
    me = resp.json()
    assert me["username"] == "principal" and me["name"] == "李校长"
    assert me["scopes"] == [
        {"role": "principal", "org_unit": world.school_a.pk, "path": world.school_a.org_unit.path}
    ]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_from_the_command(world):
    out = StringIO()
    call_command("create_token", "teacher", "--name", "脚本", stdout=out)
    raw = out.getvalue().strip()
    assert bearer(raw).get("/api/v1/me").json()["username"] == "teacher"
    assert ApiToken.objects.get(user=world.teacher).name == "脚本"
    with pytest.raises(CommandError):
        call_command("create_token", "nobody", stdout=StringIO())
    User.objects.filter(username="counsellor").update(is_active=False)
    with pytest.raises(CommandError):
        call_command("create_token", "counsellor", stdout=StringIO())


def _assert_401(resp):
    assert resp.status_code == 401
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer garbage",
        "Bearer jy_" + "x" * 43,
        "Bearer jy_" + "x" * 500,
        "Basic Y2l0eV9hZG1pbjpqaWFveWFuLWRlbW8=",
        "Bearer jy_\u6559\u7814",
        "Token abc",
    ],
)
def test_missing_or_garbage_credentials_are_401(world, header):
    client = Client(headers={"Authorization": header}) if header else Client()
    for path in ["/api/v1/me", "/api/v1/schools", f"/api/v1/schools/{world.school_a.pk}"]:
        _assert_401(client.get(path))


def test_revoked_token_is_401(world):
    token, raw = create_token(actor=world.teacher, name="旧")
    assert bearer(raw).get("/api/v1/me").status_code == 200
    revoke_token(actor=world.teacher, token=token)
    _assert_401(bearer(raw).get("/api/v1/me"))


def test_expired_token_is_401(world):
    _token, raw = create_token(
        actor=world.teacher, name="短期", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert bearer(raw).get("/api/v1/me").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        _assert_401(bearer(raw).get("/api/v1/me"))


def test_token_of_a_disabled_account_is_401(world):
    _token, raw = create_token(actor=world.teacher, name="x")
    User.objects.filter(pk=world.teacher.pk).update(is_active=False)
    _assert_401(bearer(raw).get("/api/v1/me"))


def test_token_rules(world):
    from jiaoyan.core.errors import ServiceError

    with pytest.raises(ServiceError):
        create_token(actor=world.teacher, name="  ")
    with pytest.raises(ServiceError):
        create_token(actor=world.teacher, name="过去", expires_at=timezone.now())
    token, _raw = create_token(actor=world.teacher, name="我的")
    with pytest.raises(ServiceError):
        revoke_token(actor=world.principal, token=token)  # not theirs
    for i in range(19):
        create_token(actor=world.teacher, name=f"t{i}")
    with pytest.raises(ServiceError):
        create_token(actor=world.teacher, name="第21个")


def test_tokens_on_the_account_page(world, client_for):
    client = client_for(world.teacher)
    resp = client.post("/me/", {"name": "我的同步"})
    assert resp.status_code == 200
    token = ApiToken.objects.get(user=world.teacher)
    html = resp.content.decode()
    assert "我的同步" in html and token.prefix in html
    raw = next(w for w in html.replace('"', " ").replace("<", " ").split() if w.startswith("jy_"))
    assert bearer(raw).get("/api/v1/me").status_code == 200
    assert raw not in client.get("/me/").content.decode()  # shown once
    other = client_for(world.principal)
    assert other.post(f"/me/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/me/tokens/{token.pk}/revoke/").status_code == 302
    _assert_401(bearer(raw).get("/api/v1/me"))


def test_session_reads_work_and_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.principal)
    assert client.get("/api/v1/me").json()["username"] == "principal"
    url = f"/api/v1/schools/{world.school_a.pk}"
    refused = client.patch(url, data={"student_count": 1}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["detail"]
    world.school_a.refresh_from_db()
    assert world.school_a.student_count == 900
    # With the token the pages carry (cookie + header), the write goes through.
    client.get("/")
    csrf = client.cookies["csrftoken"].value
    ok = client.patch(
        url,
        data={"student_count": 901},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert ok.status_code == 200 and ok.json()["student_count"] == 901


def test_bearer_writes_need_no_csrf(world):
    _t, raw = create_token(actor=world.principal, name="x")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    resp = client.patch(
        f"/api/v1/schools/{world.school_a.pk}",
        data={"student_count": 902},
        content_type="application/json",
    )
    assert resp.status_code == 200


def test_anonymous_write_is_refused(world):
    resp = Client().patch(
        f"/api/v1/schools/{world.school_a.pk}",
        data={"student_count": 1},
        content_type="application/json",
    )
    assert resp.status_code in (401, 403) and resp.json()["detail"]


def test_openapi_and_docs_load(db):
    doc = Client().get("/api/v1/openapi.json")
    assert doc.status_code == 200
    spec = doc.json()
    for path in ["/api/v1/org-units", "/api/v1/schools", "/api/v1/people", "/api/v1/me"]:
        assert path in spec["paths"], path
    assert "/api/v1/schools/{school_id}" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def test_unknown_api_path_is_json_404(world, api_for):
    resp = api_for(world.teacher).get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json()["detail"]
