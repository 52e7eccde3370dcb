"""Background work of the ledger, as jobs (:mod:`jiaoyan.core.jobs`): the reminder sweep,
scheduled every hour (``jiaoyan jobs schedule``; ``jiaoyan ledger_remind`` runs it at once
from cron where there is one), and rendering briefs' documents (python-docx and Pillow
stay out of the web processes). The sweep is idempotent (one notification per item and
deadline), so an extra run changes nothing. No page view starts either.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind, periodic

REMINDERS = "ledger.reminders"
BRIEF_DOCUMENT = "ledger.brief_document"


@job_kind(REMINDERS, label=_lazy("Ledger deadline reminders"))
def send_reminders(job, progress) -> dict[str, int]:
    """Job: :func:`services.run_reminders`."""
    from .services import run_reminders

    progress("reminding")
    return run_reminders()


periodic(REMINDERS, every=dt.timedelta(hours=1))


@job_kind(
    BRIEF_DOCUMENT,
    label=_lazy("Brief document"),
    phases={"rendering": _lazy("Rendering the document")},
)
def render_brief_document(job, progress) -> dict:
    """Job: render and store a brief's .docx (see ``briefs.store_document``)."""
    from .briefs import store_document
    from .models import Brief

    progress("rendering")
    brief_id, version = job.params["brief"], job.params["version"]
    if not Brief.objects.filter(pk=brief_id).exists():
        raise JobError(_("The brief no longer exists."))
    return {"rendered": store_document(brief_id, version)}
