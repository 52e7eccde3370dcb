"""Background work of accounts: pruning log-in attempts (kept one day), every hour."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import job_kind, periodic

PRUNE_LOGIN_ATTEMPTS = "people.prune_login_attempts"


@job_kind(PRUNE_LOGIN_ATTEMPTS, label=_lazy("Pruning of old log-in attempts"), max_attempts=1)
def prune_login_attempts(job, progress) -> dict[str, int]:
    from .login_limits import prune

    return {"deleted": prune()}


periodic(PRUNE_LOGIN_ATTEMPTS, every=dt.timedelta(hours=1))
