"""Backup and restore round trip (SQLite through its backup API, PostgreSQL through
pg_dump/pg_restore): every table's row count and a sample of its rows come back the same,
with the media files and the key; a non-empty target, a corrupt or a partial backup is
refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from jiaoyan.core import backup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "secret_key").write_text("k" * 50)
    upload = settings.MEDIA_ROOT / "imports" / "2026" / "12" / "名单.xlsx"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    return upload


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a new, empty database of the suite's vendor (dropped afterwards)."""
    default = connections["default"]
    if default.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        cfg = default.settings_dict
        name = f"jy_restore_{uuid.uuid4().hex[:10]}"
        with default.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        user = cfg.get("USER") or "postgres"
        yield f"postgres://{user}@{cfg.get('HOST') or '127.0.0.1'}:{cfg.get('PORT') or 5432}/{name}"
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restore(
    where: Path, url: str, settings, *, force: bool = False
) -> subprocess.CompletedProcess:
    """``jiaoyan restore`` as an operator runs it: its own process, on the target database."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JIAOYAN_VAR_DIR": str(settings.VAR_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_FORMAT": "plain",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    args = [sys.executable, "-m", "jiaoyan", "restore", str(where)] + (["--force"] if force else [])
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def _connect(url: str):
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    return psycopg.connect(url.replace("postgres://", "postgresql://"))


def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return sorted(n for (n,) in cursor.fetchall() if not n.startswith("sqlite_"))


def _plain(value) -> str:
    """One spelling for both readers (Django's connections convert booleans and leave JSON
    as text; the plain drivers do the opposite)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _read(cursor, vendor: str) -> dict[str, tuple[int, list]]:
    out = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        (count,) = cursor.fetchone()
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1 LIMIT 5')
        out[table] = (count, [tuple(map(_plain, row)) for row in cursor.fetchall()])
    return out


def _source() -> dict[str, tuple[int, list]]:
    conn = connections["default"]
    with conn.cursor() as cursor:
        return _read(cursor, conn.vendor)


def _target(url: str) -> dict[str, tuple[int, list]]:
    vendor = "sqlite" if url.startswith("sqlite") else "postgresql"
    with _connect(url) as db:
        cursor = db.cursor()
        try:
            return _read(cursor, vendor)
        finally:
            cursor.close()


def test_round_trip(world, files, empty_database, tmp_path, settings):
    where = tmp_path / "backup"
    call_command("backup", str(where))
    manifest = json.loads((where / "manifest.json").read_text())
    assert manifest["vendor"] == connections["default"].vendor
    assert "media/imports/2026/12/名单.xlsx" in manifest["files"]
    assert "keys/secret_key" in manifest["files"]
    assert manifest["schema"]["people"].startswith("0")

    before = _source()
    assert before["people_person"][0] >= 8 and before["orgs_orgunit"][0] >= 10
    files.unlink()
    done = _restore(where, empty_database, settings)
    assert done.returncode == 0, done.stderr
    assert "恢复完成" in done.stdout
    assert _target(empty_database) == before
    # Again into the now filled database: refused, unless forced.
    again = _restore(where, empty_database, settings)
    assert again.returncode != 0 and "不是空的" in again.stderr
    assert _restore(where, empty_database, settings, force=True).returncode == 0
    assert _target(empty_database) == before
    assert files.read_bytes()[:4] == b"PK\x03\x04"  # the upload is back


def test_a_damaged_backup_is_refused_before_anything_is_written(
    world, files, empty_database, tmp_path, settings
):
    made = tmp_path / "backup"
    call_command("backup", str(made))
    files.unlink()
    for damage in ("corrupt", "partial", "manifest"):
        where = tmp_path / damage
        shutil.copytree(made, where)
        database = next(p for p in where.iterdir() if p.name.startswith("database."))
        if damage == "corrupt":
            data = bytearray(database.read_bytes())
            data[len(data) // 2] ^= 0xFF
            database.write_bytes(bytes(data))
        elif damage == "partial":
            (where / "media" / "imports" / "2026" / "12" / "名单.xlsx").unlink()
        else:
            (where / "manifest.json").write_text("{")
        refused = _restore(where, empty_database, settings)
        assert refused.returncode != 0, damage
        assert "未写入任何内容" in refused.stderr or "已损坏" in refused.stderr, refused.stderr
        assert _target(empty_database) == {}, damage
        assert not files.exists(), damage


def test_a_backup_never_writes_into_a_folder_that_holds_something(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]


def test_a_backup_of_one_vendor_is_not_restored_into_another(files, tmp_path):
    where = tmp_path / "backup"
    backup.backup(where)
    manifest = json.loads((where / "manifest.json").read_text())
    manifest["vendor"] = "postgresql" if manifest["vendor"] == "sqlite" else "sqlite"
    (where / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="不能恢复到"):
        backup.restore(Path(where))
