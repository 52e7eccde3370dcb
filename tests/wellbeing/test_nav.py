"""The screening governance pages in the main navigation (心理): the follow-up cases and
the exports of identified data for the holders of the wellbeing permission, the read audit
for them and for the unit's auditors — each leading to a page that answers 200 — and none
of them for anyone else (the principal, the district admin without the permission, the
teacher). The current page marks its own item, not the campaigns'."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiaoyan.core.roles import Role
from jiaoyan.wellbeing.models import WellbeingPermission
from tests.conftest import make_person
from tests.core.test_nav import sections
from tests.wellbeing.helpers import screening_world

GOVERNANCE = {
    "wellbeing-followups": "/wellbeing/follow-ups/",
    "wellbeing-reads": "/wellbeing/governance/reads/",
    "wellbeing-exports": "/wellbeing/governance/exports/",
}


@pytest.fixture
def w(world):
    screening_world(world)
    world.users["auditor"] = make_person(
        "AUD901", "审计员甲", world.units["linwei"], role=Role.AUDITOR, username="auditor"
    ).user
    return world


def _nav(user) -> tuple[dict[str, list[str]], str, Client]:
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    return sections(html), html, client


def test_the_permission_holder_sees_the_governance_pages_and_each_answers(w):
    found, html, client = _nav(w.users["counsellor"])
    assert found["wellbeing"] == ["wellbeing", *GOVERNANCE]
    for key, url in GOVERNANCE.items():
        assert f'href="{url}" data-nav="{key}"' in html
        assert client.get(url).status_code == 200, url
    for label in ("随访个案", "查阅记录", "实名数据导出"):
        assert label in html


@pytest.mark.parametrize("who", ["principal", "city_admin", "teacher"])
def test_those_without_the_permission_do_not_see_them(w, who):
    found, html, client = _nav(w.users[who])
    assert not set(GOVERNANCE) & set(found.get("wellbeing", []))
    for url in GOVERNANCE.values():
        assert f'href="{url}"' not in html
        assert client.get(url).status_code == 403, (who, url)


def test_a_revoked_permission_takes_the_pages_out_of_the_menu(w):
    from django.utils import timezone

    from jiaoyan.core import restricted

    WellbeingPermission.objects.filter(user=w.users["counsellor"]).update(revoked_at=timezone.now())
    restricted.forget(w.users["counsellor"])
    found, _html, _client = _nav(w.users["counsellor"])
    assert found["wellbeing"] == ["wellbeing"]


def test_the_auditor_sees_only_the_read_audit(w):
    found, _html, client = _nav(w.users["auditor"])
    assert found["wellbeing"] == ["wellbeing-reads"]
    assert client.get(GOVERNANCE["wellbeing-reads"]).status_code == 200


def test_the_current_page_marks_its_item(w):
    client = Client()
    client.force_login(w.users["counsellor"])
    html = client.get("/wellbeing/governance/exports/").content.decode()
    assert re.search(r'class="dropdown-item active" href="/wellbeing/governance/exports/"', html)
    assert not re.search(r'class="dropdown-item active" href="/wellbeing/"', html)
    assert '<li class="nav-item dropdown active" data-nav-section="wellbeing">' in html
