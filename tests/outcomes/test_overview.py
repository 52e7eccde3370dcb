"""The outcomes overview of a scope: outcomes by kind, one round's recommendations and
results per level and kind (chart, table, xlsx). Before the results are announced each
level counts only what its units sent and received (the city does not learn what schools
sent their county); after, every entry of the outcomes the viewer sees. Another district
sees none of it."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.utils import timezone

from jiaoyan.outcomes import queries, rounds
from tests.outcomes.conftest import make_outcome, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def _levels(data) -> dict[str, tuple[int, int]]:
    return {row["level"]: (row["entries"], row["honoured"]) for row in data["levels"]}


@pytest.fixture
def chain(world):
    """Two cases and a paper of 临渭区第一初级中学; both cases recommended by the school,
    one sent on by the county to the city."""
    r = make_round(world)
    a = make_outcome(world, title="案例甲")
    b = make_outcome(world, title="案例乙")
    make_outcome(world, kind="paper", title="论文丙")
    for o in (a, b):
        rounds.recommend(actor=world.users["principal"], round=r, outcome=o)
    rounds.recommend(actor=world.users["district_researcher"], round=r, outcome=a)
    return r


def test_each_level_counts_what_it_sent_and_received(world, chain):
    w = world
    city = queries.overview(w.users["city_admin"], round=chain)
    assert city["total"] == 3
    assert {str(k): n for k, n in city["kinds"]}["典型案例"] == 2
    # The city does not see the two school entries; it sees the county's one.
    assert _levels(city) == {"city": (0, 0), "county": (1, 0), "school": (0, 0)}
    county = queries.overview(w.users["district_researcher"], round=chain)
    assert _levels(county) == {"city": (0, 0), "county": (1, 0), "school": (2, 0)}
    # Another district: nothing of 临渭区.
    other = queries.overview(w.users["outsider"], round=chain)
    assert other["total"] == 0 and all(v == (0, 0) for v in _levels(other).values())


def test_after_the_announcement_every_level_and_result(world, chain, client_for):
    w = world
    with time_machine.travel(timezone.now() + dt.timedelta(days=20), tick=False):
        rounds.announce(actor=w.users["city_admin"], round=chain)
    chain.refresh_from_db()
    data = queries.overview(w.users["city_admin"], round=chain)
    # 案例甲 honoured at county level (sent on, not selected by the city), 案例乙 at school.
    assert _levels(data) == {"city": (0, 0), "county": (1, 1), "school": (2, 1)}
    page = client_for(w.users["city_admin"]).get(f"/outcomes/overview/?round={chain.pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "成果概览" in text and chain.title in text and 'id="level-chart"' in text
    xlsx = client_for(w.users["city_admin"]).get(
        f"/outcomes/overview/?round={chain.pk}&export=xlsx"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = [
        tuple(c for c in row)
        for row in sheet.iter_rows(values_only=True)
        if row and row[1] == "典型案例"
    ]
    assert [(r[2], r[3]) for r in rows] == [(2, 1), (1, 1)]
    # Within another district: nothing.
    narrow = queries.overview(w.users["city_admin"], round=chain, within=w.units["huazhou"])
    assert narrow["total"] == 0 and _levels(narrow)["school"] == (0, 0)


def test_the_page_answers_without_a_round_and_for_every_role(world, client_for):
    for user in ("city_admin", "district_researcher", "principal", "teacher", "outsider"):
        r = client_for(world.users[user]).get("/outcomes/overview/")
        assert r.status_code == 200, user
        assert "您的范围内还没有成果遴选" in r.content.decode()
    assert (
        client_for(world.users["teacher"]).get("/outcomes/overview/?export=xlsx").status_code == 200
    )
    # A round id of nothing the user sees is ignored as a bad choice: the page still answers.
    assert (
        client_for(world.users["teacher"]).get("/outcomes/overview/?round=999999").status_code
        == 200
    )
