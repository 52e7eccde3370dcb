"""``jiaoyan demo --scale small``: deterministic for a seed, the five demo accounts each
seeing exactly their scope, 60 schools and about 2,000 people, ``--if-empty``/``--force``."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from jiaoyan.core.scope import user_scopes
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import Person, User
from tests.support import ROOT, demo_digest, planner_rows

ACCOUNTS = ["city_admin", "district_researcher", "principal", "teacher", "counsellor"]


def run_demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    run_demo("--scale", "small", "--seed", "1")


def test_same_seed_same_data(db):
    """Generated twice into an empty database (the first run rolled back): identical."""
    digests = []
    for _ in range(2):
        with transaction.atomic():
            run_demo("--scale", "small", "--seed", "1")
            digests.append(demo_digest())
            transaction.set_rollback(True)
        assert not OrgUnit.objects.exists()
    assert digests[0] == digests[1]
    with transaction.atomic():
        run_demo("--scale", "small", "--seed", "2")
        other = demo_digest()
        transaction.set_rollback(True)
    assert other != digests[0]


def test_sixty_schools_and_about_two_thousand_people(demo):
    assert School.objects.count() == 60
    assert 1800 <= Person.objects.count() <= 2400
    assert OrgUnit.objects.get(code="610000").name == "陕西省"
    assert OrgUnit.objects.get(code="610502").name == "临渭区"
    counties = OrgUnit.objects.filter(level="county", kind="region")
    assert counties.count() == 4
    for county in counties:
        assert School.objects.filter(org_unit__path__under=county.path).exists(), county.name


def test_the_planner_knows_the_demos_table_sizes(demo):
    """The demo ends with fresh statistics (on PostgreSQL taken inside its transaction,
    after each step; on SQLite once at the end): the planner's row counts are the rows."""
    from jiaoyan.activities.models import Activity, Participation

    for model in (Person, OrgUnit, Activity, Participation):
        known, rows = planner_rows(model), model.objects.count()
        assert rows and known is not None, model.__name__
        assert abs(known - rows) <= rows * 0.05, (model.__name__, known, rows)  # a sample's


def test_the_five_accounts_log_in_with_the_demo_password(demo):
    usable = [u.username for u in User.objects.all() if u.has_usable_password()]
    assert sorted(usable) == sorted(ACCOUNTS)
    for username in ACCOUNTS:
        client = Client()
        resp = client.post("/accounts/login/", {"username": username, "password": "jiaoyan-demo"})
        assert resp.status_code == 302 and resp["Location"] == "/", username
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_each_account_sees_exactly_its_scope(db, seed):
    run_demo("--scale", "small", "--seed", seed)
    users = {u.username: u for u in User.objects.all()}
    linwei = OrgUnit.objects.get(code="610502")
    city = OrgUnit.objects.get(code="610500")

    admin = users["city_admin"]
    assert [s.role for s in user_scopes(admin)] == ["bureau_admin"]
    assert School.objects.visible_to(admin).count() == 60
    assert (
        Person.objects.visible_to(admin).count()
        == Person.objects.filter(org_unit__path__under=city.path).count()
    )

    researcher = users["district_researcher"]
    scopes = user_scopes(researcher)
    assert [(s.role, s.unit_id) for s in scopes] == [("researcher", linwei.pk)]
    ra = researcher.person.roles.get()
    assert [s.name for s in ra.subjects.all()] == ["数学"]
    seen = School.objects.visible_to(researcher)
    assert seen.count() == School.objects.filter(org_unit__path__under=linwei.path).count() > 0
    assert all(s.org_unit.path.startswith(linwei.path) for s in seen.select_related("org_unit"))
    assert not OrgUnit.objects.visible_to(researcher).filter(code="610503").exists()

    school_ids = set()
    for name, role in (
        ("principal", "principal"),
        ("teacher", "teacher"),
        ("counsellor", "counsellor"),
    ):
        user = users[name]
        assert [s.role for s in user_scopes(user)] == [role]
        seen = list(School.objects.visible_to(user))
        assert len(seen) == 1, name
        school_ids.add(seen[0].pk)
        assert seen[0].org_unit.path.startswith(linwei.path)
        people = Person.objects.visible_to(user)
        assert set(people.values_list("org_unit_id", flat=True)) == {seen[0].pk}
    assert len(school_ids) == 1  # the three work in the same school
    teacher_ra = users["teacher"].person.roles.get()
    assert [s.name for s in teacher_ra.subjects.all()] == ["数学"]


# What each demo account's home is about (its own work; region figures above a school).
HOME_MARKS = {
    "city_admin": 'data-testid="school-count"',
    "district_researcher": 'data-testid="school-count"',
    "principal": 'data-testid="home-school"',
    "teacher": 'data-testid="home-observed"',
    "counsellor": 'data-testid="home-activities"',
}


def test_home_page_of_each_account(demo):
    for username in ACCOUNTS:
        client = Client()
        client.post("/accounts/login/", {"username": username, "password": "jiaoyan-demo"})
        html = client.get("/").content.decode()
        assert HOME_MARKS[username] in html, username
        # The charts comparing schools are the admin's.
        assert ('data-chart="chart-location"' in html) == (username == "city_admin"), username
    admin = Client()
    admin.post("/accounts/login/", {"username": "city_admin", "password": "jiaoyan-demo"})
    assert 'data-testid="school-count">60<' in admin.get("/").content.decode()


def test_if_empty_does_nothing_on_a_filled_database(demo):
    before = demo_digest()
    out = run_demo("--scale", "small", "--seed", "7", "--if-empty")
    assert "跳过" in out
    assert demo_digest() == before
    with pytest.raises(CommandError):
        run_demo("--scale", "small", "--seed", "7")
    assert demo_digest() == before


def test_other_password(db):
    with transaction.atomic():
        run_demo("--scale", "small", "--password", "Another-Secret-9")
        assert (
            Client()
            .post("/accounts/login/", {"username": "teacher", "password": "Another-Secret-9"})
            .status_code
            == 302
        )
        transaction.set_rollback(True)
    ContentType.objects.clear_cache()


SCRIPT = """
import django
django.setup()
from io import StringIO
from django.core.management import call_command
from tests.support import demo_digest
call_command("migrate", "--noinput", verbosity=0)
call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())
print(demo_digest())
if_empty = StringIO()
call_command("demo", "--if-empty", stdout=if_empty)
print("跳过" in if_empty.getvalue())
call_command("demo", "--scale", "small", "--seed", "1", "--force", stdout=StringIO())
print(demo_digest())
"""


def test_fresh_databases_and_force(tmp_path):
    """Two fresh embedded databases get the same data; --force over a filled one too."""

    def start(name) -> subprocess.Popen:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            JIAOYAN_VAR_DIR=str(tmp_path / name),
            DJANGO_SETTINGS_MODULE="jiaoyan.settings",
            PYTHONPATH=str(ROOT),
        )
        return subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def result(proc) -> list[str]:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        return out.split()

    a, b = start("a"), start("b")  # two fresh databases, side by side
    first, skipped, forced = result(a)
    assert skipped == "True"
    assert forced == first
    assert result(b)[0] == first
