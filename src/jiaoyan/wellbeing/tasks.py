"""Background work of the screening module: scoring a campaign."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import JobError, job_kind

SLICE = 2000


@job_kind(
    "wellbeing.score_campaign",
    label=_lazy("Scoring a screening campaign"),
    phases={"scoring": _lazy("Scoring the questionnaires")},
)
def score_campaign_job(job, progress) -> dict:
    """Score every handed-in questionnaire of the campaign (risk levels, alerts), in
    slices of a few thousand, each in its own transaction (a retried job goes on)."""
    from jiaoyan.core import stamps

    from .models import Campaign, Participation, figures_key
    from .services import score_participation

    campaign = Campaign.objects.filter(pk=job.params.get("campaign")).first()
    if campaign is None:
        raise JobError(_("The campaign no longer exists."))
    handed_in = (Participation.Status.FINISHED, Participation.Status.INVALID)
    ids = list(
        Participation.objects.filter(campaign=campaign, status__in=handed_in)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = len(ids)
    cache: dict = {}
    alerts = 0
    progress("scoring", 0, total)
    for start in range(0, total, SLICE):
        chunk = ids[start : start + SLICE]
        with transaction.atomic():
            for p in Participation.objects.filter(pk__in=chunk).select_related(
                "campaign", "school", "student"
            ):
                alerts += len(score_participation(p, rule_cache=cache, stamp=False))
            stamps.bump(figures_key(campaign.pk))
        progress("scoring", min(start + SLICE, total), total)
    return {"scored": total, "alerts": alerts}


# The follow-up's periodic escalation; exports and retention.
from . import tasks_followup, tasks_governance  # noqa: E402, F401
