"""The main navigation: the apps' pages grouped into sections (教研, 研训, 评价, 质量, 心理,
管理), each section shown as a menu of its own, a section with nothing for the user hidden."""

from __future__ import annotations

import re

import pytest

from jiaoyan.core import nav


def sections(html: str) -> dict[str, list[str]]:
    """The sections of the rendered navigation and the items in each, in page order."""
    menu = html[html.index('id="nav"') :]
    menu = menu[: menu.index("</ul>")]
    found: dict[str, list[str]] = {}
    for part in re.split(r"(?=<li )", menu):
        m = re.search(r'data-nav-section="([^"]+)"', part)
        found[m.group(1) if m else ""] = found.get(m.group(1) if m else "", []) + re.findall(
            r'data-nav="([^"]+)"', part
        )
    return found


def test_the_admin_sees_the_sections_in_order_with_their_pages(world, client_for):
    html = client_for(world.city_admin).get("/").content.decode()
    found = sections(html)
    assert list(found) == [
        "",
        "research",
        "training",
        "evaluation",
        "quality",
        "wellbeing",
        "admin",
    ]
    assert found["wellbeing"] == ["wellbeing"]
    assert found[""] == ["home"]
    assert found["research"][:3] == ["activities", "observations", "observation_coverage"]
    assert {"ledger", "ledger_supervision", "ledger_briefs", "ledger_reports"} <= set(
        found["research"]
    )
    assert found["training"] == [
        "training",
        "training-mine",
        "hours",
        "hours-declarations",
        "hours-certificates",
        "hours-behind",
        "hours-settings",
        "pairing",
    ]
    assert found["evaluation"] == [
        "communities_assessment",
        "communities_coverage",
        "researchers-coverage",
        "researchers-appraisals",
        "outcomes-points",
        "metrics",
    ]
    assert found["quality"] == ["quality"]
    assert found["admin"] == [
        "orgs",
        "schools",
        "people",
        "imports",
        "audit",
        "communities_settings",
    ]
    # The sections' names, in Chinese.
    for label in ("教研", "研训", "评价", "质量", "管理"):
        assert f'<span class="nav-link-title">{label}</span>' in html


def test_sections_without_pages_are_not_shown(world, client_for):
    html = client_for(world.teacher).get("/").content.decode()
    found = sections(html)
    # 心理 is for those who screen; 评价 holds the figures; the teacher imports nothing.
    assert "wellbeing" not in found
    assert found["evaluation"] == [
        "communities_assessment",
        "communities_coverage",
        "outcomes-points",
        "metrics",
    ]
    assert found["admin"] == ["orgs", "schools", "people"]
    assert ">心理<" not in html


def test_a_section_appears_when_the_user_sees_one_of_its_pages(world, client_for, monkeypatch):
    monkeypatch.setattr(nav, "_items", list(nav._items))
    nav.register(
        nav.NavItem(
            "screening",
            "Screening",
            "home",
            section=nav.WELLBEING,
            visible=lambda user: user.username == "counsellor",
        )
    )
    counsellor = sections(client_for(world.counsellor).get("/").content.decode())
    assert counsellor["wellbeing"] == ["wellbeing", "screening"]
    assert list(counsellor).index("wellbeing") == list(counsellor).index("quality") + 1
    teacher = sections(client_for(world.teacher).get("/").content.decode())
    assert "wellbeing" not in teacher


def test_an_item_in_an_unknown_section_is_an_error(world, monkeypatch):
    monkeypatch.setattr(nav, "_items", list(nav._items))
    nav.register(nav.NavItem("stray", "Stray", "home", section="nowhere"))
    with pytest.raises(LookupError):
        nav.menu_for(world.city_admin)


def test_the_current_page_marks_its_section_and_item(world, client_for):
    html = client_for(world.city_admin).get("/people/").content.decode()
    assert re.search(r'<li class="nav-item dropdown active" data-nav-section="admin">', html)
    assert re.search(r'class="dropdown-item active" href="/people/" data-nav="people"', html)
    assert 'data-nav-section="research">' in html
    assert '<li class="nav-item dropdown active" data-nav-section="research">' not in html


def test_the_flat_list_follows_the_sections(world):
    keys = [i["key"] for i in nav.items_for(world.teacher)]
    assert keys[0] == "home" and keys[-3:] == ["orgs", "schools", "people"]
