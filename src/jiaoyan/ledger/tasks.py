"""Background work of the ledger: the reminder sweep, and rendering briefs' documents
(python-docx and Pillow stay out of the web processes).

``jiaoyan ledger_remind`` runs it from cron where there is one. Without cron (``make run``)
the sweep is queued lazily: serving a ledger page or the home page queues it at most once
an hour (a cache key marks the hour), and the task worker beside the web server runs it.
The sweep itself is idempotent (one notification per item and deadline), so an extra run
changes nothing.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django_tasks import task

from jiaoyan.core import context

REMIND_EVERY = 3600  # seconds between two lazily queued sweeps
_KEY = "jiaoyan-ledger-reminders"


@task()
def send_reminders() -> dict[str, int]:
    """Background task: :func:`services.run_reminders`."""
    from .services import run_reminders

    with context.write_context("task"):
        return run_reminders()


def maybe_schedule_reminders() -> bool:
    """Queue the reminder sweep unless one was queued within the hour (no query)."""
    if not cache.add(_KEY, 1, REMIND_EVERY):
        return False
    transaction.on_commit(send_reminders.enqueue)
    return True


@task()
def render_brief_document(brief_id: int, version: int) -> bool:
    """Background task: render and store a brief's .docx (see ``briefs.store_document``)."""
    from .briefs import store_document

    with context.write_context("task"):
        return store_document(brief_id, version)
