"""Backup and restore (``jiaoyan backup DIR`` / ``jiaoyan restore DIR``).

A backup is a folder:

- ``database.sqlite3`` — SQLite, copied through its online backup API (consistent while
  the site serves and the worker writes), or ``database.dump`` — PostgreSQL, ``pg_dump
  --format=custom`` (one consistent snapshot);
- ``media/`` — uploaded and generated files (on the local file store; an S3 bucket is
  backed up by the bucket's own versioning and replication, and the manifest says so);
- ``keys/`` — the generated secret key (and, once there are any, encryption keys): without
  them signed links and encrypted fields of the restored data cannot be read;
- ``manifest.json`` — when, from which database vendor and schema (the latest migration
  of every app), and every file with its size and SHA-256.

``restore`` checks every checksum first — a corrupt or partial backup is refused before
anything is written — then refuses a target database that already holds tables unless
``force`` is given, restores the database, the files and the keys (never overwriting a
key that differs without ``force``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .storage import TEMP_PREFIX

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (in Chinese)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(cfg: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if cfg.get(key):
            env[var] = str(cfg[key])
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    return env


def _schema(alias: str) -> dict[str, str]:
    """The latest applied migration of every app (what the data's shape is)."""
    latest: dict[str, str] = {}
    recorder = MigrationRecorder(connections[alias])
    for app, name in recorder.applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _key_files() -> list[Path]:
    return [p for p in [settings.VAR_DIR / "secret_key"] if p.is_file()]


def _uses_local_media() -> bool:
    from django.core.files.storage import FileSystemStorage, storages

    return isinstance(storages["default"], FileSystemStorage)


@dataclass
class Summary:
    directory: Path
    files: int
    bytes: int


def backup(directory: Path, *, alias: str = "default") -> Summary:
    """Write a backup of the database, the media files and the keys into ``directory``
    (which must not exist or be empty)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"备份目录 {directory} 不是空的；请指定一个新目录。")
    directory.mkdir(parents=True, exist_ok=True)
    conn = connections[alias]
    vendor = conn.vendor
    if vendor == "sqlite":
        target = directory / "database.sqlite3"
        conn.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            conn.connection.backup(dest)
        finally:
            dest.close()
    elif vendor == "postgresql":
        target = directory / "database.dump"
        cfg = conn.settings_dict
        out = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), cfg["NAME"]],
            env=_pg_env(cfg),
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise BackupError(f"pg_dump 失败：{out.stderr.strip()[:500]}")
    else:
        raise BackupError(f"不支持备份 {vendor} 数据库。")

    media_note = ""
    if _uses_local_media():
        media = Path(settings.MEDIA_ROOT)
        if media.is_dir():
            # Not the temporary files of writes under way (or of a process that died).
            ignore = shutil.ignore_patterns(f"{TEMP_PREFIX}*")
            shutil.copytree(media, directory / "media", symlinks=False, ignore=ignore)
    else:
        media_note = "files are in the object store; back them up with its versioning"
    if keys := _key_files():
        (directory / "keys").mkdir()
        for key in keys:
            shutil.copy2(key, directory / "keys" / key.name)
            (directory / "keys" / key.name).chmod(0o600)

    files = {}
    total = 0
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        size = path.stat().st_size
        files[rel] = {"size": size, "sha256": _sha256(path)}
        total += size
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "vendor": vendor,
        "database": target.name,
        "schema": _schema(alias),
        "media": "local" if _uses_local_media() else "object store",
        "media_note": media_note,
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return Summary(directory, len(files), total)


def verify(directory: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is present with its size and checksum."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} 中没有 {MANIFEST}：这不是一份完整的备份。") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{MANIFEST} 已损坏，无法读取。") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError("备份的格式不受支持。")
    bad = []
    for rel, meta in manifest["files"].items():
        path = directory / rel
        if ".." in Path(rel).parts or not path.is_file():
            bad.append(f"{rel}（缺失）")
        elif path.stat().st_size != meta.get("size") or _sha256(path) != meta.get("sha256"):
            bad.append(f"{rel}（校验和不符）")
    if manifest.get("database") not in manifest["files"]:
        bad.append(f"{manifest.get('database')}（缺失）")
    if bad:
        raise BackupError("备份不完整或已损坏，未写入任何内容：" + "、".join(bad[:10]))
    return manifest


def _has_tables(alias: str) -> bool:
    return bool(connections[alias].introspection.table_names())


def restore(directory: Path, *, alias: str = "default", force: bool = False) -> dict[str, Any]:
    """Restore a backup into the database ``alias`` (empty, unless ``force``), the media
    folder and the keys. Checksums are verified before anything is written."""
    directory = Path(directory)
    manifest = verify(directory)
    conn = connections[alias]
    if manifest["vendor"] != conn.vendor:
        raise BackupError(
            f"这份备份来自 {manifest['vendor']} 数据库，不能恢复到 {conn.vendor} 数据库。"
        )
    if _has_tables(alias) and not force:
        raise BackupError("目标数据库不是空的；确认要覆盖时请加 --force。")
    key_dir = directory / "keys"
    if key_dir.is_dir() and not force:
        for key in key_dir.iterdir():
            here = settings.VAR_DIR / key.name
            if here.is_file() and here.read_bytes() != key.read_bytes():
                raise BackupError(
                    f"本机已有不同的 {key.name}；恢复备份中的密钥请加 --force"
                    "（否则恢复的数据中签名的链接将失效）。"
                )

    source = directory / manifest["database"]
    if conn.vendor == "sqlite":
        conn.close()
        conn.ensure_connection()
        src = sqlite3.connect(source)
        try:
            src.backup(conn.connection)
        finally:
            src.close()
    else:
        cfg = conn.settings_dict
        conn.close()
        args = ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", cfg["NAME"]]
        if force:
            args[1:1] = ["--clean", "--if-exists"]
        out = subprocess.run([*args, str(source)], env=_pg_env(cfg), capture_output=True, text=True)
        if out.returncode != 0:
            raise BackupError(f"pg_restore 失败：{out.stderr.strip()[:500]}")

    media = directory / "media"
    if media.is_dir():
        shutil.copytree(media, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    if key_dir.is_dir():
        for key in key_dir.iterdir():
            here = settings.VAR_DIR / key.name
            shutil.copy2(key, here)
            here.chmod(0o600)
    return manifest


def default_directory() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return settings.VAR_DIR / "backups" / stamp
