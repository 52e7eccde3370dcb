"""An outcome's way up and out in a real browser (issue 15, the outcomes half of "Done
when"): the teacher submits a typical case; the principal recommends it in the city's
selection round; the district researcher sends it on to the city; the city assigns an
expert, who scores it; the city selects it and, once recommendations have closed,
announces the results; another school records adopting it; the teacher's points rise by
the point table's figures (typical case selected at city level 15 + adopted 2).
"""

from __future__ import annotations

import pytest

from jiaoyan.outcomes.models import SelectionRound
from tests.browser.project_steps import (
    adopt_at_school_b,
    make_case_people,
    points,
    select_and_announce,
    submit_case,
    switch,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]


def test_case_recommended_selected_adopted_points(world, live_server, page, login):
    from tests.outcomes.conftest import make_round, set_table

    base = live_server.url
    set_table(world)
    make_round(world)
    make_case_people(world)
    login(page, "teacher")
    assert points(page, base) == "0"

    # 1. The teacher submits a typical case.
    outcome = submit_case(page, base)
    rnd = SelectionRound.objects.get()

    # 2.-5. The principal recommends it; the district researcher sends it on to the city;
    # the city assigns an expert, who scores it; the city selects it and announces.
    select_and_announce(page, login, base, rnd, outcome)

    # 6. Another school records adopting it.
    adopt_at_school_b(page, login, base, world, outcome)

    # 7. The teacher's points: 15 (typical case selected at city level) + 2 (adopted).
    switch(page, login, "teacher")
    assert points(page, base) == "17"
