"""The main lists are pinned by their plan, not only by their query count.

``visible_to`` is an OR of branches (the subtree, the grants, the unit shares, the
model's hook); each branch must be one the database can read from an index, or the
whole condition becomes a filter over every row of a big table (at city scale on
PostgreSQL: 190,000 observations read to find a teacher's 12). Here each main list's
scoped queryset — unordered, as its count and every aggregate read it — is planned
with sequential scans priced out (``SET LOCAL enable_seqscan = off``, PostgreSQL) and
must still not read its whole table: a condition no index can serve (``id IN (…) OR
id IN (…)``) stays a Seq Scan however it is priced, or becomes a walk of a whole
covering index. On SQLite the same question is asked of ``EXPLAIN QUERY PLAN``: the
table is searched through an index, never scanned row by row.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.core.scope import grant
from jiaoyan.ledger.models import Item
from jiaoyan.observations.models import LiaisonAssignment, Observation, Rubric
from jiaoyan.observations.queries import observations_for
from jiaoyan.people.models import Person

INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


def _plan_nodes(plan: dict):
    yield plan
    for sub in plan.get("Plans", []):
        yield from _plan_nodes(sub)


def _leading_columns(cursor, table: str) -> dict[str, str]:
    """Index name -> its first column, for the indexes of ``table`` (PostgreSQL)."""
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
    return {
        name: re.search(r"\((\w+)", definition.split(" USING ", 1)[1]).group(1)
        for name, definition in cursor.fetchall()
    }


def full_scans(qs, *, ordered: bool = False) -> list[str]:
    """The steps of ``qs``'s plan that read its whole table (empty: none); ``ordered``:
    of the list's first page in its order, rather than of its count."""
    table = qs.model._meta.db_table
    rows = qs.values("pk")[:25] if ordered else qs.order_by().values("pk")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            leading = _leading_columns(cursor, table)
            with transaction.atomic():
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                cursor.execute("SET LOCAL enable_seqscan = on")
            if isinstance(plan, str):
                plan = json.loads(plan)
            # A Seq Scan reads every row; so does an index read without a condition on
            # its first column (a covering index walked whole, its other columns
            # filtered as it goes).
            return [
                f"{n['Node Type']} {n.get('Index Name', '')} on {table}: "
                f"{n.get('Index Cond', '')} {n.get('Filter', '')}"
                for n in _plan_nodes(plan[0]["Plan"])
                if (n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table)
                or (
                    n["Node Type"] in INDEX_SCANS
                    and n.get("Index Name") in leading
                    and not re.search(rf"\b{leading[n['Index Name']]}\b", n.get("Index Cond", ""))
                )
            ]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        steps = [row[-1] for row in cursor.fetchall()]
    # SQLite: "SEARCH t USING INDEX …" reads by an index; "SCAN t" reads every row. A
    # broad subtree of observations is read on purpose as a walk of the covering list
    # index in list order ("SCAN … USING COVERING INDEX obs_list", see
    # ``ObservationPathField``), which pages stop after a page of rows.
    return [
        s
        for s in steps
        if s.split(" USING ")[0] == f"SCAN {table}" and "USING COVERING INDEX" not in s
    ]


BIG = 3000  # rows of the other district in each big table: the planner sees a real table


def _fill(template, n: int, **vary) -> None:
    """``n`` copies of ``template`` (``vary``: field -> function of the copy's number)."""
    model = type(template)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = []
    for i in range(n):
        row = model(**{f.attname: getattr(template, f.attname) for f in fields})
        for name, value in vary.items():
            setattr(row, name, value(i))
        rows.append(row)
    model.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


@pytest.fixture
def shared(world):
    """Big tables, most of whose rows belong to the other district (华州区); and something
    beyond the subtree for everyone: an activity of 华州区 shared with the teacher, a
    liaison school of the district researcher in 华州区."""
    from jiaoyan.ledger.services import create_item
    from tests.activities.conftest import make_activity
    from tests.observations.conftest import observe

    huazhou = world.units["huazhou"]
    rubric = Rubric.objects.get(org_unit__isnull=True)
    act = make_activity(world, actor=world.users["outsider"], unit=huazhou)
    grant(act, user=world.users["teacher"], reason="invited")
    _fill(act, BIG)
    obs = observe(world, rubric, observer="outsider", teacher="teacher_c", stage="primary")
    _fill(obs, BIG)
    item = create_item(
        actor=world.users["outsider"],
        org_unit=world.units["huazhou_bureau"],
        title="华州区教研工作",
        responsible_unit=world.schools["school_c"].org_unit,
        due_on=timezone.localdate() + dt.timedelta(days=10),
    )
    _fill(item, BIG, number=lambda i: item.number + 1 + i)
    _fill(world.people["teacher_c"], BIG, staff_no=lambda i: f"HX{i:05d}", user_id=lambda i: None)
    LiaisonAssignment.objects.create(
        researcher=world.people["district_researcher"], school=world.schools["school_c"].org_unit
    )
    assert Observation.objects.filter(org_unit=huazhou).count() == 0  # rows are the school's
    return world


LISTS = [
    ("observations", "teacher", observations_for),
    ("observations", "district_researcher", observations_for),
    ("observations", "principal", observations_for),
    ("activities", "teacher", lambda u: Activity.objects.visible_to(u)),
    ("activities", "district_researcher", lambda u: Activity.objects.visible_to(u)),
    ("ledger items", "principal", lambda u: Item.objects.visible_to(u)),
    ("ledger items", "district_researcher", lambda u: Item.objects.visible_to(u)),
    ("people", "teacher", lambda u: Person.objects.visible_to(u)),
    ("people", "district_researcher", lambda u: Person.objects.visible_to(u)),
]


@pytest.mark.parametrize(
    ("name", "user", "visible"), LISTS, ids=lambda v: getattr(v, "__name__", v)
)
def test_the_scoped_list_is_read_from_indexes(shared, name, user, visible):
    qs = visible(shared.users[user])
    scans = full_scans(qs)
    assert not scans, f"{name} for {user}: {scans}\n{qs.order_by().values('pk').query}"


def test_a_full_scan_is_detected(world):
    """Positive control: a condition on an unindexed column is reported as a scan."""
    assert full_scans(Observation.objects.filter(topic__contains="方程"))


def test_a_briefs_ledger_items_are_read_from_indexes(shared):
    """A brief's ledger figures read the items of its region by the two unit indexes and
    check the scope condition on those rows only: for the city admin (whose subtree is a
    filter no index serves) a county's brief must not read every item of the city — at
    province scale, every item of the province, ~20 s a brief."""
    from jiaoyan.ledger.briefs.reads import _items_of

    qs = _items_of(shared.users["city_admin"], shared.units["linwei"])
    scans = full_scans(qs)
    assert not scans, f"{scans}\n{qs.order_by().values('pk').query}"


def test_a_schools_rows_behind_a_relation_are_read_by_their_own_key(shared):
    """A principal's list of rows whose unit is reached through another table (external
    declarations: the person's school) is read from the rows' own foreign-key index and
    sorted, not by walking the whole table in list order looking for the school's few
    rows among the city's (at city scale: 1.5 s for a school's declarations)."""
    from jiaoyan.hours.models import ExternalDeclaration

    day = timezone.localdate() - dt.timedelta(days=30)
    template = ExternalDeclaration(
        person=shared.people["teacher_c"],
        title="校外培训",
        organiser="华州区进修学校",
        start_date=day,
        end_date=day,
        hours=3,
    )
    _fill(template, BIG, start_date=lambda i: day - dt.timedelta(days=i % 300))
    ExternalDeclaration.objects.create(
        person=shared.people["teacher"],
        title="本校培训",
        organiser="临渭区",
        start_date=day,
        end_date=day,
        hours=2,
    )
    qs = ExternalDeclaration.objects.visible_to(shared.users["principal"]).order_by(
        "-created_at", "-id"
    )
    assert [d.title for d in qs] == ["本校培训"]
    # PostgreSQL prices the walk from its statistics (at this size, rightly cheap); the
    # count must still be read from indexes there. SQLite's planner takes the walk at
    # any size when the school is only reached through a join.
    scans = full_scans(qs, ordered=connection.vendor == "sqlite")
    assert not scans, f"{scans}\n{qs.values('pk').query}"
