"""In-app notifications: the one way every module tells people something happened."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import Notification


def notify(
    recipients: Iterable,
    *,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = Notification.Kind.INFO,
    about: models.Model | None = None,
    dedupe_key: str = "",
) -> int:
    """Send one notification to each recipient (users or user ids); returns how many.

    With ``dedupe_key``, a recipient who already has a notification with that key gets
    no second one (reminders run repeatedly).
    """
    ids = {r if isinstance(r, int) else r.pk for r in recipients if r is not None}
    if not ids:
        return 0
    ct = ContentType.objects.get_for_model(type(about)) if about is not None else None
    now = timezone.now()
    notes = [
        Notification(
            recipient_id=uid,
            kind=kind,
            title=title[:200],
            body=body,
            url=url[:300],
            source_type=ct,
            source_id=about.pk if about is not None else None,
            dedupe_key=dedupe_key[:120],
            created_at=now,
        )
        for uid in sorted(ids)
    ]
    Notification.objects.bulk_create(notes, batch_size=1000, ignore_conflicts=bool(dedupe_key))
    return len(notes)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or ``ids``) read; returns how many changed."""
    qs = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
