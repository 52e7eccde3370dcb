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
    from .models import Campaign, Participation
    from .services import score_many

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
    schools = {s.pk: s for s in campaign.schools.all()}
    alerts = 0
    progress("scoring", 0, total)
    for start in range(0, total, SLICE):
        chunk = ids[start : start + SLICE]
        with transaction.atomic():
            # What scoring reads, no more: the answers (not the old results, not the
            # student's name); the campaign and its schools are the same for every row.
            rows = list(
                Participation.objects.filter(pk__in=chunk)
                .only("id", "campaign_id", "school_id", "student_id", "status", "answers")
                .order_by("pk")
            )
            for p in rows:
                p.campaign = campaign
                if p.school_id in schools:
                    p.school = schools[p.school_id]
            alerts += score_many(rows, rule_cache=cache)
        progress("scoring", min(start + SLICE, total), total)
    return {"scored": total, "alerts": alerts}


# The follow-up's periodic escalation; exports and retention.
from . import tasks_followup, tasks_governance  # noqa: E402, F401
