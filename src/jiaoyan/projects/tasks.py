"""Background work of research projects: the daily reminder of overdue stages."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import job_kind, periodic

REMIND_OVERDUE = "projects.remind_overdue"


@job_kind(
    REMIND_OVERDUE,
    label=_lazy("Reminding overdue project stages"),
    phases={"reminding": _lazy("Telling the owners of overdue stages")},
)
def remind_overdue_job(job, progress) -> dict:
    """Job: flag the stages past their deadline and notify their owners."""
    from .services import remind_overdue

    return remind_overdue(progress=progress)


periodic(REMIND_OVERDUE, every=dt.timedelta(hours=6))
