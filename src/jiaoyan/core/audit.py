"""Audit: every service write records who, when, which object and which fields changed."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import context
from .crypto import EncryptedTextField
from .models import AuditLog
from .scope import path_of, spec_for


def actor_name(actor) -> str:
    if actor is None:
        return {"cli": "命令行", "task": "后台任务"}.get(context.current().source, "系统")
    person = getattr(actor, "person", None) if actor.pk else None
    if person is not None:
        return f"{person.name}（{actor.get_username()}）"
    return actor.get_username()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds")
            if value.tzinfo
            else (value.isoformat(timespec="seconds"))
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


ENCRYPTED = "***"  # what the log shows of an encrypted field (core/crypto.py)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Plain, JSON-able values of ``fields`` (related objects by their display name)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            if obj.pk is None:
                data[name] = []
            else:
                data[name] = sorted(str(o) for o in getattr(obj, name).all())
        elif field.is_relation:
            data[name] = _plain(getattr(obj, name, None))
        elif isinstance(field, EncryptedTextField):
            # Never in clear in the log: only whether there is a value.
            data[name] = ENCRYPTED if getattr(obj, field.attname) else ""
        else:
            data[name] = _plain(getattr(obj, field.attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _unit_path(obj: models.Model) -> str:
    try:
        spec_for(obj)
    except LookupError:
        return ""
    return path_of(obj) or ""


def record(
    actor,
    obj: models.Model | None,
    action: str,
    changes: dict[str, Any] | None = None,
    *,
    message: str = "",
    unit_path: str | None = None,
) -> AuditLog:
    ctx = context.current()
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name(actor),
        source=ctx.source,
        request_id=ctx.request_id,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        unit_path=unit_path if unit_path is not None else (_unit_path(obj) if obj else ""),
        changes=changes or {},
        message=message[:300],
    )


def build(
    actor,
    obj: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    *,
    message: str = "",
    unit_path: str = "",
    content_type: ContentType | None = None,
    when: dt.datetime | None = None,
) -> AuditLog:
    """An unsaved audit row, for bulk writes (imports) that save many at once."""
    ctx = context.current()
    return AuditLog(
        timestamp=when or timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name(actor),
        source=ctx.source,
        request_id=ctx.request_id,
        action=action,
        content_type=content_type or ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        unit_path=unit_path,
        changes=changes or {},
        message=message[:300],
    )


def history(obj: models.Model, limit: int = 50):
    """The audit rows of one object, newest first (the caller checked it may see ``obj``)."""
    ct = ContentType.objects.get_for_model(type(obj))
    return AuditLog.objects.filter(content_type=ct, object_id=obj.pk).select_related(
        "content_type"
    )[:limit]


def field_label(model: type[models.Model] | None, name: str) -> str:
    """The translated label of a change key: the model field's verbose name, else one of
    the labels of keys that are not fields (``EXTRA_LABELS``), else the key itself."""
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except Exception:
            pass
    extra = EXTRA_LABELS.get(name)
    return str(extra) if extra is not None else name


def _display(model: type[models.Model] | None, name: str, value: Any) -> Any:
    if value is None:
        return value
    try:
        field = model._meta.get_field(name) if model is not None else None
    except Exception:
        field = None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and getattr(field, "choices", None):
        lookup = dict(field.flatchoices)
        if isinstance(value, list):
            return "、".join(str(lookup.get(v, v)) for v in value)
        return str(lookup.get(value, value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value) if value else "—"
    return value


# Change keys that are not fields of the audited model (relations written by services,
# values copied from a related unit), with their labels.
EXTRA_LABELS = {
    "code": _lazy("Code"),
    "name": _lazy("Name"),
    "subjects": _lazy("Subjects"),
    "stages": _lazy("Stages"),
    "roles": _lazy("Roles"),
    "honours": _lazy("Honours"),
    "account": _lazy("Account"),
    "account_active": _lazy("Account enabled"),
    "roles_ended": _lazy("Roles ended"),
    "revoked": _lazy("Revoked"),
    "parent": _lazy("Parent unit"),
    # reads of restricted data (core.restricted.record_read)
    "data_kind": _lazy("Restricted data"),
    "reason": _lazy("Reason"),
    "rows": _lazy("Rows"),
}


def entries(obj: models.Model, limit: int = 50) -> list[dict[str, Any]]:
    """History rows of ``obj`` ready for a template (labels and display values)."""
    model = type(obj)
    return [
        {
            "timestamp": log.timestamp,
            "actor_name": log.actor_name,
            "action_label": log.get_action_display(),
            "message": log.message,
            "rows": change_rows(model, log.changes, log.action),
        }
        for log in history(obj, limit)
    ]


def _old_new(pair: Any, created: bool) -> tuple[Any, Any]:
    """Changes are ``[old, new]`` pairs; a creation may also record plain values (a
    snapshot), where a list is the value itself (the stages of a new school)."""
    if not isinstance(pair, list):
        return None, pair
    if created and not (len(pair) == 2 and pair[0] is None):
        return None, pair
    return tuple([*pair, None, None][:2])


def change_rows(
    model: type[models.Model] | None, changes: dict | None, action: str = ""
) -> list[dict[str, Any]]:
    """``{field: [old, new]}`` as rows of translated label and display values."""
    created = action in (AuditLog.Action.CREATE, AuditLog.Action.IMPORT_CREATE)
    rows = []
    for name, pair in (changes or {}).items():
        old, new = _old_new(pair, created)
        rows.append(
            {
                "label": capfirst(field_label(model, name)),
                "old": _display(model, name, old),
                "new": _display(model, name, new),
            }
        )
    return rows
