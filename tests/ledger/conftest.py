from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.ledger import services


@pytest.fixture
def make_item(world):
    """``make_item(title, **fields)``: an item of 临渭区教师发展中心 assigned by the district
    researcher, by default to 临渭区第一初级中学 (the principal), due in ten days."""

    def make(title: str = "完成七年级数学新课标教研计划", **fields):
        values = {
            "actor": world.users["district_researcher"],
            "org_unit": world.units["linwei_institute"],
            "responsible_unit": world.schools["school_a"].org_unit,
            "responsible_person": world.people["principal"],
            "due_on": timezone.localdate() + dt.timedelta(days=10),
        }
        values.update(fields)
        return services.create_item(title=title, **values)

    return make


@pytest.fixture
def item(make_item):
    return make_item(tags="新课标、双减")
