"""Shared service helpers: optimistic locking and applying a set of changes with audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .crypto import EncryptedTextField
from .errors import ServiceError, StaleObject

_LINK = URLValidator(schemes=["http", "https"])


def clean_link(value: str | None, *, field: str, max_length: int = 300) -> str:
    """A link a user gives (a meeting room, a video, a reference): http(s) only.

    Every link that a page later puts into an ``href`` passes here, whichever way it was
    written (form, API, sheet): ``javascript:``, ``data:`` and other schemes would run or
    show content in the reader's browser under our address.
    """
    link = (value or "").strip()
    if not link:
        return ""
    if len(link) > max_length:
        raise ServiceError(
            _("The link is longer than %(n)d characters.") % {"n": max_length}, field=field
        )
    try:
        _LINK(link)
    except ValidationError:
        raise ServiceError(
            _("Give a web link that starts with http:// or https://."), field=field
        ) from None
    return link


def clean_text(value: Any, *, field: str, label: str, limit: int, required: bool = False) -> str:
    """Text typed into a form or an API body: NUL bytes dropped, stripped; a required one
    that is empty, or one beyond ``limit`` characters, is refused on its ``field``."""
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ServiceError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > limit:
        raise ServiceError(
            _("%(label)s is too long (at most %(n)d characters).") % {"label": label, "n": limit},
            field=field,
        )
    return text


def check_version(obj: models.Model, expected: int | None) -> None:
    """Refuse a write made from a form loaded before someone else's change."""
    if expected is None:
        return
    current = type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
    if current is not None and int(current) != int(expected):
        raise StaleObject(
            _(
                "Someone else changed this record after you opened the form. "
                "Reload the page to see their change, then make yours again."
            )
        )


def apply_changes(
    actor,
    obj: models.Model,
    data: Mapping[str, Any],
    fields: Iterable[str],
    *,
    expected_version: int | None = None,
    message: str = "",
) -> dict[str, list[Any]]:
    """Set ``fields`` from ``data``, save, bump the version and write the audit row.

    Returns the changes (empty when nothing changed: then nothing is written).
    """
    fields = [f for f in fields if f in data]
    check_version(obj, expected_version)
    plain = [f for f in fields if not obj._meta.get_field(f).many_to_many]
    m2m = [f for f in fields if obj._meta.get_field(f).many_to_many]
    before = audit.snapshot(obj, fields)
    # The log shows an encrypted field only as "***" on both sides, so whether it changed
    # is read from the clear values themselves.
    secret = [f for f in plain if isinstance(obj._meta.get_field(f), EncryptedTextField)]
    secret_before = {f: getattr(obj, f) for f in secret}
    for f in plain:
        setattr(obj, f, data[f])
    after_plain = audit.snapshot(obj, plain)
    changed_plain = [
        f
        for f in plain
        if (
            secret_before[f] != getattr(obj, f)
            if f in secret
            else before.get(f) != after_plain.get(f)
        )
    ]
    m2m_changed = []
    for f in m2m:
        new = sorted(str(o) for o in data[f])
        if new != before.get(f):
            m2m_changed.append(f)
    if not changed_plain and not m2m_changed:
        return {}
    update_fields = list(changed_plain)
    if hasattr(obj, "version"):
        obj.version = models.F("version") + 1
        update_fields.append("version")
    if hasattr(obj, "updated_at"):
        obj.updated_at = timezone.now()
        update_fields.append("updated_at")
    if update_fields:
        obj.save(update_fields=update_fields)
        if hasattr(obj, "version"):
            obj.refresh_from_db(fields=["version"])
    for f in m2m_changed:
        getattr(obj, f).set(data[f])
    changes = audit.diff(before, audit.snapshot(obj, fields))
    for f in secret:
        if f in changed_plain:
            changes[f] = [before.get(f), audit.ENCRYPTED if getattr(obj, f) else ""]
    audit.record(actor, obj, audit.AuditLog.Action.UPDATE, changes, message=message)
    return changes
