"""Security basics: password hashing, lock-out after failed log-ins, sessions, response
headers (CSP, framing, sniffing), the log-in page, and the production defaults (DEBUG off,
a secret key generated once under var/).

The suite itself hashes with MD5 for speed (conftest), so the production values are read
from the settings module, not from django.conf.settings.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys

import pytest
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import Client, override_settings
from django.utils import timezone

import jiaoyan.settings as production
from tests.support import CJK, catalogue_translated, zh

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_is_the_production_hasher():
    assert production.PASSWORD_HASHERS[0] == ARGON2
    assert "MD5" not in " ".join(production.PASSWORD_HASHERS)


def test_an_argon2_hash_verifies():
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("jiaoyan-demo", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("jiaoyan-demo", encoded)
    assert not hasher.verify("jiaoyan-demO", encoded)
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        stored = make_password("Spring-Rain-2024")
        assert stored.startswith("argon2$")
        assert check_password("Spring-Rain-2024", stored)
        assert not check_password("spring-rain-2024", stored)


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_lock_out_after_five_failures(world):
    client = Client()
    for _ in range(4):
        resp = _login(client, "teacher", "wrong-password")
        assert resp.status_code == 200
        assert 'data-testid="login-error"' in resp.content.decode()
    fifth = _login(client, "teacher", "wrong-password")  # the fifth failure locks
    assert fifth.status_code in (200, 429) and "_auth_user_id" not in client.session
    locked = _login(client, "teacher", "jiaoyan-demo")  # the right password, too late
    assert locked.status_code in (403, 429)
    html = locked.content.decode()
    assert 'data-testid="locked-out"' in html
    assert (
        zh(
            "This account is locked for 15 minutes after repeated failed log-ins. "
            "Try again later, or ask your administrator."
        )
        in html
    )
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    assert _login(Client(), "principal", "jiaoyan-demo").status_code == 302


def test_lock_out_ends_after_the_cool_off(world):
    client = Client()
    for _ in range(5):
        _login(client, "teacher", "wrong-password")
    with time_machine.travel(
        timezone.now() + production.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    ):
        assert _login(Client(), "teacher", "jiaoyan-demo").status_code == 302


def test_a_success_resets_the_failure_count(world):
    for _ in range(4):
        _login(Client(), "teacher", "wrong-password")
    assert _login(Client(), "teacher", "jiaoyan-demo").status_code == 302
    for _ in range(4):
        _login(Client(), "teacher", "wrong-password")
    assert _login(Client(), "teacher", "jiaoyan-demo").status_code == 302


def test_lock_out_settings():
    assert production.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == production.AXES_COOLOFF_TIME
    assert production.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_session_expires(world, settings):
    assert production.SESSION_COOKIE_AGE == 8 * 3600
    assert production.SESSION_COOKIE_HTTPONLY and production.CSRF_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    client = Client()
    assert _login(client, "teacher", "jiaoyan-demo").status_code == 302
    assert int(client.cookies["sessionid"]["max-age"]) == settings.SESSION_COOKIE_AGE
    assert client.get("/").status_code == 200
    later = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with time_machine.travel(later):
        resp = client.get("/")
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def _csp(resp) -> dict[str, list[str]]:
    header = resp["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/orgs/schools/", "/people/"])
def test_security_headers(world, client_for, path):
    client = client_for(world.city_admin) if path != "/accounts/login/" else Client()
    resp = client.get(path)
    assert resp.status_code == 200
    csp = _csp(resp)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/", "/orgs/", "/orgs/schools/", "/people/", "/imports/new/", "/me/"],
)
def test_pages_have_no_inline_script(world, client_for, path):
    """The CSP forbids inline scripts, so pages must not depend on any."""
    client = client_for(world.city_admin) if path != "/accounts/login/" else Client()
    html = client.get(path).content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert " onclick=" not in html and " onchange=" not in html and " onsubmit=" not in html


def test_login_page_structure(db):
    resp = Client().get("/accounts/login/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert f'<label class="form-label" for="id_username">{zh("User name")}</label>' in html
    assert f'<label class="form-label" for="id_password">{zh("Password")}</label>' in html
    assert resp["Content-Language"] == "zh-hans"


@pytest.mark.skipif(
    not catalogue_translated(), reason="zh_Hans catalogue not translated yet (i18n work)"
)
def test_login_page_speaks_chinese(db):
    html = Client().get("/accounts/login/").content.decode()
    labels = re.findall(r'<label class="form-label" for="id_\w+">([^<]+)</label>', html)
    assert len(labels) == 2 and all(CJK.search(label) for label in labels)
    button = re.search(r'<button type="submit"[^>]*>([^<]+)</button>', html).group(1)
    assert CJK.search(button)


def test_browser_language_does_not_switch_to_english(db):
    resp = Client(headers={"Accept-Language": "en-US,en"}).get("/accounts/login/")
    assert '<html lang="zh-hans">' in resp.content.decode()


def test_wrong_password_message(world):
    resp = _login(Client(), "teacher", "nope")
    assert resp.status_code == 200 and 'data-testid="login-error"' in resp.content.decode()


def test_logout_needs_post(world, client_for):
    client = client_for(world.teacher)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def _settings_in_a_fresh_process(tmp_path, *, show=("DEBUG", "SECRET_KEY"), **env) -> list[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    base.update(JIAOYAN_VAR_DIR=str(tmp_path), **env)
    code = "import jiaoyan.settings as s\n" + "".join(f"print(s.{name})\n" for name in show)
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_debug_is_off_by_default_and_the_key_is_generated_once(tmp_path):
    debug, key = _settings_in_a_fresh_process(tmp_path)
    assert debug == "False"
    assert len(key) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == key
    _debug, again = _settings_in_a_fresh_process(tmp_path)
    assert again == key
    debug, env_key = _settings_in_a_fresh_process(tmp_path, DEBUG="1", SECRET_KEY="from-env")
    assert debug == "True" and env_key == "from-env"


def test_secret_key_helper(tmp_path, monkeypatch):
    monkeypatch.setattr(production, "VAR_DIR", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    key = production._secret_key()
    path = tmp_path / "secret_key"
    assert path.exists() and path.read_text().strip() == key and len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert production._secret_key() == key
    monkeypatch.setenv("SECRET_KEY", "set-by-the-operator")
    assert production._secret_key() == "set-by-the-operator"


def test_production_defaults():
    assert production.DEBUG is False or os.environ.get("DEBUG")
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert "*" not in production.ALLOWED_HOSTS
    assert production.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise")


SECURE = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "BEHIND_PROXY",
)


def test_over_https_cookies_are_secure_and_hsts_is_on_by_default(tmp_path):
    plain = _settings_in_a_fresh_process(tmp_path, show=SECURE)
    assert plain == ["False", "False", "0", "False"]
    https = _settings_in_a_fresh_process(
        tmp_path, show=SECURE, CSRF_TRUSTED_ORIGINS="https://jiaoyan.example.cn"
    )
    assert https == ["True", "True", str(365 * 24 * 3600), "False"]
    # DEBUG (a developer's machine) keeps them off; the operator can still say otherwise.
    assert _settings_in_a_fresh_process(tmp_path, show=SECURE, HTTPS="1", DEBUG="1")[:3] == [
        "False",
        "False",
        "0",
    ]
    assert _settings_in_a_fresh_process(
        tmp_path, show=SECURE, HTTPS="1", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="60"
    )[:3] == ["False", "False", "60"]


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_added(world, settings):
    """A client that writes its own X-Forwarded-For does not escape the lock-out: without
    BEHIND_PROXY the header is ignored, and behind one only the address our proxy appended
    (the right-most) counts."""
    from axes.helpers import get_client_ip_address

    request = Client().request().wsgi_request
    request.META.update(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert get_client_ip_address(request) == "10.0.0.9"
    settings.BEHIND_PROXY, settings.PROXY_COUNT = True, 1
    for forged in ("1.1.1.1", "2.2.2.2", "not-an-address"):
        request.META["HTTP_X_FORWARDED_FOR"] = f"{forged}, 203.0.113.7"
        assert get_client_ip_address(request) == "203.0.113.7"
    request.META["HTTP_X_FORWARDED_FOR"] = ""
    assert get_client_ip_address(request) == "10.0.0.9"


def test_forged_forwarded_for_does_not_escape_the_lock_out(world, settings):
    settings.BEHIND_PROXY, settings.PROXY_COUNT = True, 1
    client = Client()
    for i in range(5):
        client.post(
            "/accounts/login/",
            {"username": "teacher", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"9.9.9.{i}, 203.0.113.7",
        )
    locked = client.post(
        "/accounts/login/",
        {"username": "teacher", "password": "jiaoyan-demo"},
        HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.7",
    )
    assert 'data-testid="locked-out"' in locked.content.decode()


def test_a_signed_in_user_s_language_choice_is_kept_on_the_account(world, client_for):
    user = world.users["teacher"]
    resp = client_for(user).post("/i18n/setlang/", {"language": "en", "next": "/hours/"})
    assert resp.status_code == 302 and resp["Location"] == "/hours/"
    user.refresh_from_db()
    assert user.language == "en"
