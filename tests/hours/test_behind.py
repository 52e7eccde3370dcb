"""Who is behind schedule: the page (filters, export, the formula shown), reminders
(deduplicated, audited, only to people the sender may remind), and the other pages."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
import time_machine

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog, Notification
from jiaoyan.hours import services
from jiaoyan.hours.models import HoursCycle
from tests.hours.conftest import many_records

NOW = dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC)


@pytest.fixture
def cycles(world):
    with time_machine.travel(NOW, tick=False):
        many_records(world.people["teacher"], 119, year=2025)  # 178.5 < 179.9: behind
        many_records(world.people["principal"], 120, year=2025)  # 180: on schedule
        many_records(world.people["teacher_c"], 2, year=2025)  # 华州区: behind
        services.refresh_cycles(
            [world.people[k].pk for k in ("teacher", "principal", "teacher_c", "teacher_b")]
        )
        yield


def test_the_page_lists_who_is_behind_in_scope(world, client_for, cycles):
    with time_machine.travel(NOW, tick=False):
        page = client_for(world.users["principal"]).get("/hours/behind/").content.decode()
        rows = re.findall(r'data-testid="behind-row"><td><a [^>]*>([^<]+)</a>', page)
        assert rows == ["张老师"]  # her school's; 刘老师 (another school) and 陈老师 (华州区)
        # are behind too, 李校长 is on schedule
        assert 'data-testid="formula"' in page
        r = client_for(world.users["city_admin"]).get("/hours/behind/?cohort=teacher&export=xlsx")
        rows = [
            r
            for r in openpyxl.load_workbook(__import__("io").BytesIO(r.content)).active.iter_rows(
                values_only=True
            )
            if any(r)
        ]
        body = {row[0]: row for row in rows[2:]}
        assert set(body) == {"张老师", "刘老师", "陈老师"}
        assert body["张老师"][5:] == (179.9, 178.5, 1.4)
        school = world.schools["school_a"].pk
        page = client_for(world.users["city_admin"]).get(f"/hours/behind/?school={school}")
        assert page.content.decode().count('data-testid="behind-row"') == 1


def test_reminders_are_sent_once_a_month_and_audited(world, cycles):
    with time_machine.travel(NOW, tick=False):
        qs = HoursCycle.objects.visible_to(world.users["principal"])
        assert services.send_reminders(actor=world.users["principal"], cycles=qs) == 1
        assert services.send_reminders(actor=world.users["principal"], cycles=qs) == 1
        teacher_notes = Notification.objects.filter(recipient=world.users["teacher"])
        assert teacher_notes.count() == 1  # deduplicated for the month
        assert AuditLog.objects.filter(changes__reminders__1=1).count() == 2
        with pytest.raises(ServiceError):
            services.send_reminders(actor=world.users["teacher"], cycles=HoursCycle.objects.all())


def test_the_pages_answer(world, client_for, cycles):
    with time_machine.travel(NOW, tick=False):
        admin = client_for(world.users["city_admin"])
        for url in ("/hours/settings/", "/hours/declarations/", "/hours/behind/"):
            assert admin.get(url).status_code == 200, url
        teacher = client_for(world.users["teacher"])
        for url in (
            "/hours/",
            "/hours/certificates/",
            "/hours/declarations/new/",
            "/hours/verify/",
        ):
            assert teacher.get(url).status_code == 200, url
        r = teacher.get("/hours/statement.pdf")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        import subprocess

        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=r.content, capture_output=True, check=True
        ).stdout.decode()
        assert "继续教育学时证明" in text and "张老师" in text
        assert "已计 178.5 / 360.0 学时（17.9 / 36.0 学分）" in text
        ledger = client_for(world.users["principal"]).get(
            f"/hours/people/{world.people['teacher'].pk}/"
        )
        assert ledger.status_code == 200
        assert "178.5 / 360.0" in ledger.content.decode()
        assert (
            client_for(world.users["outsider"])
            .get(f"/hours/people/{world.people['teacher'].pk}/")
            .status_code
            == 404
        )
        assert teacher.get(f"/hours/people/{world.people['principal'].pk}/").status_code == 404


def test_the_behind_page_query_count_is_pinned(
    world, client_for, cycles, django_assert_max_num_queries
):
    from jiaoyan.people.models import Person

    with time_machine.travel(NOW, tick=False):
        extra = list(Person.objects.filter(org_unit=world.schools["school_a"].org_unit))
        services.refresh_cycles([p.pk for p in extra])
        admin = client_for(world.users["city_admin"])
        with django_assert_max_num_queries(12):
            assert admin.get("/hours/behind/").status_code == 200


def test_policy_and_category_pages(world, client_for):
    admin = client_for(world.users["city_admin"])
    unit = world.units["city_bureau"].pk
    r = admin.post(
        "/hours/settings/categories/",
        {"org_unit": unit, "code": "ZZ", "name": "自主研修", "order": "1", "yearly_cap": "30"},
    )
    assert r.status_code == 302
    r = admin.post(
        "/hours/settings/policy/",
        {
            "org_unit": unit,
            "cycle_years": "5",
            "first_cycle_year": "2024",
            "required_hours": "360",
            "hours_per_credit": "10",
            "external_yearly_cap": "40",
        },
    )
    assert r.status_code == 302
    page = admin.get("/hours/settings/").content.decode()
    assert "自主研修" in page and "40.0" in page
    teacher = client_for(world.users["teacher"])
    r = teacher.post("/hours/settings/categories/", {"org_unit": unit, "code": "YY", "name": "x"})
    from jiaoyan.hours.models import HoursCategory

    assert HoursCategory.objects.count() == 1
