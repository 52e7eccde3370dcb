"""Identified fields are encrypted at rest with a key outside the database; keys rotate."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import override_settings

from jiaoyan.core import crypto
from jiaoyan.wellbeing.models import Student
from tests.wellbeing.helpers import screening_world

NAMES = ["林小雨", "高子墨", "宋雪晴", "唐一鸣", "冯佳怡"]


def _stored(field="name"):
    return list(
        Student.objects.annotate(raw=Cast(field, TextField()))
        .order_by("pk")
        .values_list("raw", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_the_database_file_holds_no_student_name(world, tmp_path):
    screening_world(world)
    from jiaoyan.wellbeing import services

    a = world.students["A0701"]
    # Alerts carry an encrypted note too.
    from jiaoyan.wellbeing.models import Alert, Campaign, Participation
    from tests.wellbeing.helpers import window

    start, end = window()
    camp = Campaign.objects.create(
        org_unit=a.school,
        name="测",
        scales=["phq9"],
        starts_at=start,
        ends_at=end,
        class_code="ZZZZ1111",
    )
    p = Participation.objects.create(campaign=camp, student=a, school=a.school, code="C1")
    alert = Alert.objects.create(
        participation=p, student=a, school=a.school, reason="crisis", scale="phq9"
    )
    services.handle_alert(actor=world.counsellor, alert=alert, note="访谈记录：家庭矛盾")
    if connection.vendor == "sqlite":
        target = tmp_path / "dump.sqlite3"
        with connection.cursor() as cur:
            cur.execute("VACUUM INTO %s", [str(target)])
        data = target.read_bytes()
    else:  # PostgreSQL: every table's rows as text, as a dump would hold them
        chunks = []
        with connection.cursor() as cur:
            for table in connection.introspection.table_names(cur):
                cur.execute(f'SELECT t::text FROM "{table}" t')
                chunks.extend(r[0] for r in cur.fetchall())
        data = "\n".join(chunks).encode()
    for name in [*NAMES, "访谈记录", "家庭矛盾"]:
        assert name.encode() not in data, name
    assert b"A0701" in data  # the pseudonymous key is stored as it is
    assert Student.objects.get(key="A0701").name == "林小雨"  # and reads back


def test_values_carry_their_key_id_and_rotate(world, settings):
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k1:{k1}"
    screening_world(world)
    assert {v.split("$")[0] for v in _stored()} == {"k1"}
    # A new key first: old values still read, new ones are written with it.
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{k2},k1:{k1}"
    assert Student.objects.get(key="A0702").name == "高子墨"
    counts = crypto.reencrypt(batch=2)
    assert counts["wellbeing.Student"] == 5
    assert {v.split("$")[0] for v in _stored()} == {"k2"}
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{k2}"
    assert sorted(Student.objects.values_list("name", flat=True)) == sorted(NAMES)
    assert crypto.reencrypt()["wellbeing.Student"] == 0


def test_a_missing_key_is_an_error_not_garbage(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = f"k1:{Fernet.generate_key().decode()}"
    screening_world(world)
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{Fernet.generate_key().decode()}"
    with pytest.raises(crypto.KeyError_):
        list(Student.objects.all())


def test_embedded_keys_live_in_a_file_under_var(tmp_path, db):
    with override_settings(VAR_DIR=tmp_path, FIELD_ENCRYPTION_KEYS=""):
        token = crypto.encrypt("林小雨")
        path = tmp_path / "field_keys"
        assert path.exists() and oct(path.stat().st_mode)[-3:] == "600"
        assert token.startswith("k1$")
        assert crypto.rotate() == "k2"
        assert crypto.decrypt(token) == "林小雨"
        assert crypto.encrypt("x").startswith("k2$")
        assert path.read_text().splitlines()[0].startswith("k2 ")


@pytest.mark.django_db
def test_a_changed_encrypted_field_is_saved_and_logged_without_its_text(world):
    """The log shows an encrypted field as "***" on both sides; the change is still saved."""
    from jiaoyan.core.audit import AuditLog
    from jiaoyan.core.services import apply_changes

    screening_world(world)
    student = world.students["A0701"]
    changes = apply_changes(world.users["counsellor"], student, {"name": "林小语"}, ["name"])

    assert Student.objects.get(pk=student.pk).name == "林小语"
    assert changes == {"name": ["***", "***"]}
    log = AuditLog.objects.filter(object_id=student.pk, action=AuditLog.Action.UPDATE).get()
    assert "林小" not in str(log.changes)
    # Setting the same text again changes nothing and writes nothing.
    assert apply_changes(world.users["counsellor"], student, {"name": "林小语"}, ["name"]) == {}
    assert AuditLog.objects.filter(object_id=student.pk, action=AuditLog.Action.UPDATE).count() == 1
