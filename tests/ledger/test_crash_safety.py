"""A task worker killed with SIGKILL while it renders a brief's .docx: the brief never
points at a file that is not whole (files appear under their name only whole, see
``core/storage.py``; the brief is pointed at one only after), its download keeps waiting
for the job instead of serving a half-written file, the sweep queues the job again, and
the next worker stores the document.

On PostgreSQL the test holds writes to the briefs: the worker renders and stores the
file, then waits to point the brief at it, and dies there (the statement it sent runs
when the hold ends: the brief points at the whole file). On SQLite the test holds the
database's write lock once the worker claimed the job; the worker dies wherever that
stopped it (its next write).
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from jiaoyan.core.models import Job
from jiaoyan.core.storage import TEMP_PREFIX
from jiaoyan.ledger import briefs
from jiaoyan.ledger.models import Brief
from tests.core.test_crash_safety import kill_while_held, retry_after_death, run_to_the_end
from tests.core.test_jobs_worker import DB_TASKS, SharedDatabase

from .test_briefs import docx_text, generate


def _download(client, brief: Brief) -> bytes | None:
    """The document the download serves, or None while it shows the waiting page."""
    r = client.get(f"/ledger/briefs/{brief.pk}/docx/")
    assert r.status_code == 200
    if r["Content-Type"].startswith("text/html"):
        assert 'data-testid="document-pending"' in r.content.decode()
        return None
    return b"".join(r.streaming_content) if r.streaming else r.content


def _stored_files(brief: Brief, before: frozenset[Path] = frozenset()) -> list[Path]:
    """The brief's unit's documents under their names (not the temporary ones), other
    than those ``before`` (other tests of this process share the media folder)."""
    folder = Path(settings.MEDIA_ROOT) / "briefs"  # upload_to: briefs/<year>/
    return [
        p
        for p in folder.rglob(f"{brief.org_unit.code}-*")
        if p.is_file() and not p.name.startswith(TEMP_PREFIX) and p not in before
    ]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_brief_render_serves_no_half_document(world, client_for, tmp_path):
    researcher = world.users["district_researcher"]
    brief = generate(world)
    before = frozenset(_stored_files(brief))
    client = client_for(researcher)
    with override_settings(TASKS=DB_TASKS), transaction.atomic():
        job = briefs.request_document(brief, actor=researcher)
    assert job.status == Job.Status.QUEUED and not brief.document_ready

    db = SharedDatabase(tmp_path)
    killed = kill_while_held(db, job.pk, "ledger_brief")
    assert killed["status"] == "running"
    brief.refresh_from_db()
    served = _download(client, brief)
    if not db.sqlite:
        # The worker had stored the file whole and sent the statement pointing the brief
        # at it; that statement ran once the hold ended, though its sender was dead.
        assert killed["written"] is False and brief.document_ready
        assert len(_stored_files(brief, before)) == 1
    if brief.document_ready:
        assert served is not None and brief.title in docx_text(served)
    else:
        assert served is None
    for path in _stored_files(brief, before):  # whatever is under a name is a whole document
        docx.Document(io.BytesIO(path.read_bytes()))

    retry_after_death(job.pk)
    job = run_to_the_end(db, job.pk)
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2, job.message
    brief.refresh_from_db()
    assert brief.document_ready
    served = _download(client, brief)
    assert served is not None and brief.title in docx_text(served)
    with brief.docx.open("rb") as f:
        assert f.read() == served
