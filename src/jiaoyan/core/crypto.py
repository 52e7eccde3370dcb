"""Encryption at rest of identified fields (a student's name, notes, interview records).

The key is kept outside the database, so a dump of the database alone reveals nothing:

* production: the environment variable ``FIELD_ENCRYPTION_KEYS`` —
  ``id:key[,id:key …]``, the first being the current key, each ``key`` a Fernet key
  (``jiaoyan encryption_keys new`` prints one);
* embedded setup: the file ``var/field_keys`` (one ``id key`` per line, the first the
  current one), written on first use with a fresh key and readable by its owner only.

Every value is stored as ``<key id>$<Fernet token>``, so the key that encrypted it is
known; rotating (``jiaoyan encryption_keys rotate`` in the embedded setup, or a new key put
first in the variable) and then ``jiaoyan encryption_keys reencrypt`` rewrites every
encrypted column with the current key, after which old keys may be dropped.

:class:`EncryptedTextField` is the model field: text in Python, ciphertext in the
database. It cannot be searched, filtered or sorted on — by design.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

SEPARATOR = "$"
ENV = "FIELD_ENCRYPTION_KEYS"

_cache: dict[str, tuple[str, dict[str, Fernet]]] = {}


class KeyError_(RuntimeError):
    """The keys are missing or malformed, or a value names a key that is not there."""


def key_file() -> Path:
    return Path(settings.VAR_DIR) / "field_keys"


def _parse(text: str, *, sep: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        kid, _s, key = part.partition(sep)
        kid, key = kid.strip(), key.strip()
        if not kid or not key or SEPARATOR in kid:
            raise KeyError_(f"malformed encryption key entry: {kid or part[:8]!r}…")
        pairs.append((kid, key))
    return pairs


def _source() -> tuple[str, list[tuple[str, str]]]:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEYS", "") or os.environ.get(ENV, "")
    if configured:
        return "env:" + configured, _parse(configured, sep=":")
    path = key_file()
    if not path.exists():
        write_keys(path, [(new_key_id([]), Fernet.generate_key().decode())])
    text = path.read_text()
    lines = ",".join(line.replace(" ", ":", 1) for line in text.splitlines())
    return "file:" + text, _parse(lines, sep=":")


def write_keys(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(f"{kid} {key}\n" for kid, key in pairs))
    os.replace(tmp, path)


def new_key_id(existing: list[str]) -> str:
    n = 1
    while f"k{n}" in existing:
        n += 1
    return f"k{n}"


def keys() -> tuple[str, dict[str, Fernet]]:
    """The current key's id and every key by id (read once per configuration)."""
    marker, pairs = _source()
    if marker not in _cache:
        if not pairs:
            raise KeyError_("no field encryption key configured")
        try:
            fernets = {kid: Fernet(key.encode()) for kid, key in pairs}
        except (ValueError, TypeError) as e:
            raise KeyError_("a field encryption key is not a valid Fernet key") from e
        _cache.clear()
        _cache[marker] = (pairs[0][0], fernets)
    return _cache[marker]


def encrypt(text: str) -> str:
    current, fernets = keys()
    return current + SEPARATOR + fernets[current].encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    kid, sep, token = value.partition(SEPARATOR)
    if not sep:
        raise KeyError_("a stored value carries no key id")
    _current, fernets = keys()
    f = fernets.get(kid)
    if f is None:
        raise KeyError_(f"the key {kid!r} that encrypted a value is not configured")
    try:
        return f.decrypt(token.encode()).decode()
    except InvalidToken as e:
        raise KeyError_(f"a value does not decrypt with the key {kid!r}") from e


def key_id_of(value: str) -> str:
    return value.partition(SEPARATOR)[0]


def rotate() -> str:
    """Embedded setup: put a fresh key first in ``var/field_keys`` (older keys kept, so
    values still decrypt until re-encrypted); returns its id."""
    if getattr(settings, "FIELD_ENCRYPTION_KEYS", "") or os.environ.get(ENV):
        raise KeyError_(f"keys come from {ENV}: put the new key first there")
    _marker, pairs = _source()
    kid = new_key_id([k for k, _v in pairs])
    write_keys(key_file(), [(kid, Fernet.generate_key().decode()), *pairs])
    return kid


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database (see the module's docstring)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    for model in apps.get_models():
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if names:
            yield model, names


def reencrypt(batch: int = 1000) -> dict[str, int]:
    """Rewrite every encrypted value not under the current key; ``{model label: rows}``."""
    current, _f = keys()
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        done = 0
        table = model._meta.db_table
        pk = model._meta.pk.column
        from django.db import connection

        qn = connection.ops.quote_name
        cols = ", ".join(qn(model._meta.get_field(n).column) for n in names)
        last = None
        while True:
            with connection.cursor() as cur:
                where = f"WHERE {qn(pk)} > %s" if last is not None else ""
                cur.execute(
                    f"SELECT {qn(pk)}, {cols} FROM {qn(table)} {where} ORDER BY {qn(pk)} LIMIT %s",
                    [last, batch] if last is not None else [batch],
                )
                rows = cur.fetchall()
            if not rows:
                break
            with transaction.atomic():
                for row in rows:
                    changes = {}
                    for name, raw in zip(names, row[1:], strict=True):
                        if raw and key_id_of(raw) != current:
                            changes[name] = decrypt(raw)
                    if changes:
                        model._base_manager.filter(pk=row[0]).update(**changes)
                        done += 1
            last = row[0]
        counts[model._meta.label] = done
    return counts


def fresh_key() -> str:
    return Fernet.generate_key().decode()


def random_code(n: int = 8, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") -> str:
    """A code people type (no 0/O, 1/I): one-time answer codes, class codes."""
    return "".join(secrets.choice(alphabet) for _ in range(n))
