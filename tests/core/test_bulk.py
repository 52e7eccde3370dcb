"""``jiaoyan.core.bulk``'s write path (COPY on PostgreSQL, executemany on SQLite) writes
exactly what the ORM writes: the same values in every column, the same new ids in the same
order, and the sequence left where the ORM's own inserts continue from it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from jiaoyan.activities.models import Activity, Decision
from jiaoyan.core import bulk
from jiaoyan.orgs.models import Stage
from jiaoyan.quality.models import Candidate, Exam
from tests.support import planner_rows

# Text that COPY's text format must escape: tabs, newlines, backslashes, a literal \N
# (not NULL), carriage returns and CJK.
AWKWARD = ["tab\there", "two\nlines", "back\\slash", "\\N", "cr\r\nlf", "", "渭南市“双减”"]


def _activities(world, tag: str) -> list[Activity]:
    tz = timezone.get_current_timezone()
    out = []
    for i, text in enumerate(AWKWARD):
        start = dt.datetime(2025, 3, 1 + i, 9, 30, tzinfo=tz)
        out.append(
            Activity(
                title=f"{tag} {i}",
                kind="lecture",
                level="county",
                org_unit=world.linwei_institute,
                host=world.people["district_researcher"] if i % 2 else None,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                start_month=202503,
                hours=Decimal("1.5") * i,
                description=text,
                minutes=text * 2,
                status="finished",
                participant_count=i,
                finished_at=start + dt.timedelta(hours=2) if i % 3 else None,
                created_at=start - dt.timedelta(days=20),
                updated_at=start,
            )
        )
    return out


def _rows(model, pks, exclude=("id", "title")):
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
    return [tuple(r) for r in model.objects.filter(pk__in=pks).order_by("pk").values_list(*fields)]


def test_bulk_create_writes_what_the_orm_writes(world):
    by_orm = Activity.objects.bulk_create(_activities(world, "orm"))
    by_bulk = bulk.bulk_create(Activity, _activities(world, "bulk"))
    assert all(a.pk and not a._state.adding for a in by_bulk)
    assert _rows(Activity, [a.pk for a in by_orm]) == _rows(Activity, [a.pk for a in by_bulk])
    # Read back as written: the awkward text survived COPY's escaping.
    assert [
        a.description
        for a in Activity.objects.filter(pk__in=[a.pk for a in by_bulk]).order_by("pk")
    ] == AWKWARD


@pytest.mark.parametrize("sole", [False, True], ids=["shared", "sole-writer"])
def test_ids_continue_the_sequence_as_the_orms_do(world, sole):
    first = Activity.objects.bulk_create(_activities(world, "a")[:1])[0]
    if sole:  # the block reserved in one call (nobody else writing)
        with bulk.sole_writer():
            made = bulk.bulk_create(Activity, _activities(world, "b")[:3])
    else:
        made = bulk.bulk_create(Activity, _activities(world, "b")[:3])
    assert [a.pk for a in made] == [first.pk + 1, first.pk + 2, first.pk + 3]
    after = Activity.objects.bulk_create(_activities(world, "c")[:1])[0]
    assert after.pk == first.pk + 4
    # Ids taken and left unused are skipped, as a sequence does.
    taken = bulk.take_ids(Activity, 2)
    assert taken == [after.pk + 1, after.pk + 2]
    assert Activity.objects.bulk_create(_activities(world, "d")[:1])[0].pk == after.pk + 3


def test_a_related_object_saved_after_it_was_assigned(world):
    activities = _activities(world, "x")[:2]
    decisions = [Decision(activity=a, text=f"事项{i}") for i, a in enumerate(activities)]
    bulk.bulk_create(Activity, activities)
    bulk.bulk_create(Decision, decisions)
    assert list(
        Decision.objects.filter(pk__in=[d.pk for d in decisions])
        .order_by("pk")
        .values_list("activity_id", "text")
    ) == [(activities[0].pk, "事项0"), (activities[1].pk, "事项1")]


def test_json_and_plain_inserts_write_what_the_orm_writes(world):
    exam = Exam.objects.create(
        name="2025年渭南市中考",
        kind="zhongkao",
        date=dt.date(2025, 6, 20),
        grade=9,
        stage=Stage.objects.get(code="junior"),
        org_unit=world.city,
    )
    school = world.school_a.org_unit

    def rows(tag):
        return [
            Candidate(
                exam=exam,
                exam_no=f"{tag}{i}",
                student_key=f"K{i}",
                school=school,
                class_name=f"{i}班",
                gender="male" if i % 2 else "",
                scores=[98.5, None, i, {"题": "a\tb"}] if i % 2 else [],
            )
            for i in range(4)
        ]

    orm = Candidate.objects.bulk_create(rows("o"))
    bulk.bulk_insert(Candidate, rows("b"))
    written = Candidate.objects.filter(exam=exam, exam_no__startswith="b").order_by("pk")
    assert [c.pk for c in written] == [orm[-1].pk + 1 + i for i in range(4)]
    assert _rows(Candidate, [c.pk for c in orm], ("id", "exam_no")) == _rows(
        Candidate, [c.pk for c in written], ("id", "exam_no")
    )
    # insert_values / insert_dicts: the same columns through the same path.
    bulk.insert_values(
        Candidate,
        ["exam", "exam_no", "student_key", "school", "class_name", "gender", "scores"],
        [(exam.pk, "v1", "K1", school.pk, "1班", "male", [98.5, None, 1, {"题": "a\tb"}])],
    )
    bulk.insert_dicts(
        Candidate,
        [
            {
                "exam_id": exam.pk,
                "exam_no": "d1",
                "student_key": "K1",
                "school_id": school.pk,
                "class_name": "1班",
                "gender": "male",
                "scores": [98.5, None, 1, {"题": "a\tb"}],
            }
        ],
    )
    same = Candidate.objects.filter(exam=exam, exam_no__in=["o1", "v1", "d1"]).order_by("pk")
    assert [c.exam_no for c in same] == ["o1", "v1", "d1"]  # all three written
    assert len({(c.student_key, c.class_name, c.gender, str(c.scores)) for c in same}) == 1


def test_insert_values_writes_what_the_orm_writes(world):
    """Plain value rows (no model objects): the same rows as the ORM's, the columns not
    given taking their defaults; dates, datetimes and decimals prepared where the driver
    needs it (SQLite), awkward text through COPY (PostgreSQL)."""
    from jiaoyan.activities.models import Participation
    from jiaoyan.hours.models import HoursRecord

    acts = bulk.bulk_create(Activity, _activities(world, "r")[:2])
    teacher, principal = world.people["teacher"], world.people["principal"]
    tz = timezone.get_current_timezone()
    at = dt.datetime(2025, 3, 1, 9, 20, tzinfo=tz)
    orm = Participation.objects.bulk_create(
        [
            Participation(
                activity=acts[0],
                person=teacher,
                status="invited",
                attendance="present",
                checked_in_at=at,
                method="qr",
                created_at=at,
                updated_at=at,
            ),
            Participation(
                activity=acts[0],
                person=principal,
                status="declined",
                decline_reason=AWKWARD[1],
                created_at=at,
                updated_at=at,
            ),
        ]
    )
    cols = ("activity_id", "person_id", "status", "attendance", "checked_in_at", "method",
            "decline_reason", "created_at", "updated_at")  # fmt: skip
    n = bulk.insert_values(
        Participation,
        cols,
        [
            (acts[1].pk, teacher.pk, "invited", "present", at, "qr", "", at, at),
            (acts[1].pk, principal.pk, "declined", "", None, "", AWKWARD[1], at, at),
        ],
    )
    assert n == 2
    made = Participation.objects.filter(activity=acts[1]).order_by("pk")
    assert _rows(Participation, [p.pk for p in orm], ("id", "activity_id")) == _rows(
        Participation, [p.pk for p in made], ("id", "activity_id")
    )
    # A decimal, a date and a generic reference; created_at left to its default (now).
    ct = ContentType.objects.get_for_model(Activity).pk
    before = timezone.now()
    bulk.insert_values(
        HoursRecord,
        ("person_id", "hours", "kind", "date", "title", "source_type_id", "source_id"),
        [(teacher.pk, Decimal("1.5"), "activity", dt.date(2025, 3, 1), AWKWARD[0], ct, acts[0].pk)],
    )
    record = HoursRecord.objects.get(title=AWKWARD[0])
    assert (record.hours, record.date, record.person_id) == (
        Decimal("1.5"), dt.date(2025, 3, 1), teacher.pk
    )  # fmt: skip
    assert before <= record.created_at <= timezone.now()


def test_take_ids_of_an_empty_table_and_nothing(db):
    assert bulk.take_ids(Decision, 0) == []
    ids = bulk.take_ids(Decision, 3)
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    assert bulk.take_ids(Decision, 1)[0] > ids[-1]


def test_analyze_names_the_tables(world):
    """The named tables' statistics count the rows just written (the transaction's own);
    with no name, every table of the project's."""
    from jiaoyan.people.models import Person

    made = bulk.bulk_create(Activity, _activities(world, "s"))
    bulk.bulk_create(Decision, [Decision(activity=a, text="事项") for a in made])
    if connection.vendor != "postgresql":
        bulk.analyze(Activity)  # sqlite_stat1 exists from here on: start from none
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1")
    stale = planner_rows(Activity)
    assert stale != Activity.objects.count()
    bulk.analyze(Activity, Decision)
    assert planner_rows(Activity) == Activity.objects.count()
    assert planner_rows(Decision) == Decision.objects.count()
    Person.objects.create(staff_no="S99999", name="新教师", org_unit=world.linwei_institute)
    assert planner_rows(Person) != Person.objects.count()  # not named: not refreshed
    bulk.analyze()
    assert planner_rows(Person) == Person.objects.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL session settings")
def test_bulk_load_settings_last_for_the_transaction(transactional_db):
    from django.db import transaction

    with transaction.atomic(), bulk.bulk_load(), connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: checks at the end")
def test_a_bulk_load_still_refuses_a_dangling_reference(transactional_db):
    """The row triggers are off during the load (a superuser's session); the set-wise
    check at its end fails the transaction instead."""
    from django.db import IntegrityError, transaction

    with (
        pytest.raises(IntegrityError, match="activity_id=987654"),
        transaction.atomic(),
        bulk.bulk_load(),
    ):
        bulk.bulk_insert(Decision, [Decision(activity_id=987654, text="无主事项")])
    assert not Decision.objects.exists()
