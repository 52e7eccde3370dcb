"""Background work of the follow-up workflow: the daily escalation of overdue visits."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import job_kind, periodic


@job_kind(
    "wellbeing.escalate_overdue",
    label=_lazy("Escalating overdue follow-ups"),
    phases={"escalating": _lazy("Escalating overdue follow-ups")},
)
def escalate_overdue_job(job, progress) -> dict:
    from .services_followup import escalate_overdue

    progress("escalating", 0, 1)
    n = escalate_overdue()
    progress("escalating", 1, 1)
    return {"escalated": n}


periodic("wellbeing.escalate_overdue", every=dt.timedelta(hours=6))
