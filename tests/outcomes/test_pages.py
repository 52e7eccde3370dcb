"""The outcomes pages: list (exportable, a fixed number of queries whatever the rows),
an outcome's page with its reach, the forms (a refusal lands on its field, nothing
written), the round's page and selection table, the expert's scores, the points ranking
and point table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.core import bulk
from jiaoyan.outcomes import rounds, services
from jiaoyan.outcomes.models import Outcome, OutcomeFile, Promotion
from tests.outcomes.conftest import PDF, make_outcome, set_table

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def _many(w, n):
    unit = w.schools["school_a"].org_unit
    now = timezone.now()
    rows = bulk.bulk_create(
        Outcome,
        [
            Outcome(
                org_unit=unit,
                kind="case",
                title=f"批量案例{i}",
                year=2026,
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ],
    )
    through = Outcome.authors.through
    bulk.bulk_create(
        through, [through(outcome_id=o.pk, person_id=w.people["teacher"].pk) for o in rows]
    )


def test_the_list_costs_the_same_whatever_the_rows(
    world, client_for, django_assert_max_num_queries
):
    c = client_for(world.users["city_admin"])
    _many(world, 3)
    with django_assert_max_num_queries(14) as few:
        assert c.get("/outcomes/").status_code == 200
    _many(world, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get("/outcomes/")
    assert "批量案例" in r.content.decode()
    r = c.get("/outcomes/?export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_create_edit_and_refusal_on_its_field(world, client_for):
    c = client_for(world.users["teacher"])
    unit = world.schools["school_a"].org_unit
    r = c.post(
        "/outcomes/new/",
        {"org_unit": unit.pk, "kind": "case", "title": "新案例", "year": 2026, "authors": "NOPE"},
    )
    assert r.status_code == 200 and Outcome.objects.count() == 0
    assert "authors" in r.context["form"].errors
    r = c.post(
        "/outcomes/new/", {"org_unit": unit.pk, "kind": "case", "title": "新案例", "year": 2026}
    )
    o = Outcome.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/outcomes/{o.pk}/"
    r = c.post(
        f"/outcomes/{o.pk}/edit/",
        {"kind": "paper", "title": "改名", "year": 2026, "version": o.version},
    )
    assert r.status_code == 302
    assert Outcome.objects.get().title == "改名"


def test_the_page_shows_files_reach_and_history(world, client_for, django_assert_max_num_queries):
    o = make_outcome(world)
    c = client_for(world.users["teacher"])
    r = c.post(f"/outcomes/{o.pk}/files/", {"file": SimpleUploadedFile("案例.pdf", PDF)})
    assert r.status_code == 302 and OutcomeFile.objects.count() == 1
    admin = client_for(world.users["city_admin"])
    today = timezone.localdate()
    for n in range(3):
        r = admin.post(
            f"/outcomes/{o.pk}/promotions/",
            {
                "org_unit": world.schools["school_b"].org_unit.pk,
                "date": today.isoformat(),
                "event": f"现场会{n}",
                "participants": 30,
            },
        )
        assert r.status_code == 302
    assert Promotion.objects.count() == 3
    r = admin.post(
        f"/outcomes/{o.pk}/adoptions/",
        {
            "org_unit": world.schools["school_b"].org_unit.pk,
            "adopted_on": today.isoformat(),
            "feedback": "很好",
            "rating": 5,
        },
    )
    assert r.status_code == 302
    with django_assert_max_num_queries(30):
        r = admin.get(f"/outcomes/{o.pk}/")
    page = r.content.decode()
    assert 'data-testid="promotion-count">3<' in page
    assert 'data-testid="adoption-count">1<' in page
    assert "reach-chart" in page
    f = OutcomeFile.objects.get()
    assert c.get(f"/outcomes/files/{f.pk}/").status_code == 200


def test_a_file_upload_is_refused_before_reading_for_an_outsider(world, client_for):
    o = make_outcome(world)
    c = client_for(world.users["outsider"])
    r = c.post(f"/outcomes/{o.pk}/files/", {"file": SimpleUploadedFile("x.pdf", PDF)})
    assert r.status_code in (403, 404)
    assert OutcomeFile.objects.count() == 0


def test_round_pages_and_selection_table(
    world, client_for, open_round, django_assert_max_num_queries
):
    outcomes = [make_outcome(world, title=f"案例{n}") for n in range(2)]
    principal = client_for(world.users["principal"])
    r = principal.get(f"/outcomes/rounds/{open_round.pk}/")
    assert r.status_code == 200 and "案例0" in r.content.decode()
    for o in outcomes:
        r = principal.post(f"/outcomes/rounds/{open_round.pk}/recommend/", {"outcome": o.pk})
        assert r.status_code == 302
    county = client_for(world.users["district_researcher"])
    with django_assert_max_num_queries(20):
        r = county.get(f"/outcomes/rounds/{open_round.pk}/table/")
    assert r.content.decode().count('data-testid="entry-row"') == 2
    entry = rounds.received(
        world.users["district_researcher"],
        open_round,
        rounds.round_units(world.users["district_researcher"], open_round),
    ).first()
    r = county.post(f"/outcomes/entries/{entry.pk}/recommend/")
    assert r.status_code == 302
    city = client_for(world.users["city_admin"])
    r = city.get(f"/outcomes/rounds/{open_round.pk}/table/")
    assert r.content.decode().count('data-testid="entry-row"') == 1
    top = rounds.received(
        world.users["city_admin"],
        open_round,
        rounds.round_units(world.users["city_admin"], open_round),
    ).get()
    r = city.post(f"/outcomes/entries/{top.pk}/experts/", {"expert": "H001"})
    assert r.status_code == 302
    expert = client_for(world.users["outsider"])
    r = expert.get("/outcomes/scores/")
    assert 'data-testid="score-form"' in r.content.decode()
    score = top.scores.get()
    expert.post(f"/outcomes/scores/{score.pk}/", {"score": "88.5", "comment": "好"})
    top.refresh_from_db()
    assert str(top.score) == "88.50"
    assert city.get(f"/outcomes/rounds/{open_round.pk}/table/?export=xlsx").status_code == 200


def test_points_pages(world, client_for, outcome, django_assert_max_num_queries):
    set_table(world)
    services.record_promotion(
        actor=world.users["city_admin"],
        outcome=outcome,
        org_unit=world.units["city"],
        date=timezone.localdate(),
        event="市级展示",
        demonstration=True,
    )
    c = client_for(world.users["city_admin"])
    with django_assert_max_num_queries(16):
        r = c.get("/outcomes/points/")
    page = r.content.decode()
    assert "张老师" in page and ">6<" in page
    assert c.get("/outcomes/points/?tab=units").status_code == 200
    assert c.get("/outcomes/points/?tab=communities&year=abc").status_code == 200
    assert c.get("/outcomes/points/?export=xlsx").status_code == 200
    assert c.get("/outcomes/points/table/").status_code == 200
    # the outsider's ranking does not show 临渭区's people
    assert (
        "张老师"
        not in client_for(world.users["outsider"]).get("/outcomes/points/").content.decode()
    )
    r = c.post(
        "/outcomes/points/table/set/",
        {"org_unit": world.units["city_bureau"].pk, "code": "adopted", "level": "", "points": "-1"},
    )
    assert r.status_code == 302


def test_get_of_round_pages_for_a_past_round(world, client_for):
    from tests.outcomes.conftest import make_round

    today = timezone.localdate()
    r = make_round(
        world, opens_on=today - dt.timedelta(days=30), closes_on=today - dt.timedelta(days=1)
    )
    c = client_for(world.users["city_admin"])
    page = c.get(f"/outcomes/rounds/{r.pk}/").content.decode()
    assert 'data-testid="announce"' in page
    assert c.post(f"/outcomes/rounds/{r.pk}/announce/").status_code == 302
    r.refresh_from_db()
    assert r.announced_at is not None
