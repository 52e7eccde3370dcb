"""Governance of the screening data: exports of identified data that a second person
approves (:class:`ExportRequest`). Imported by :mod:`jiaoyan.wellbeing.models`."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core import restricted
from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.scope import ScopedQuerySet, scoped

from .models import CAMPAIGN_RUNNERS, _restricted_check


def _export_visible(user):
    return restricted.permitted_q(user, restricted.WELLBEING, "org_unit__path")


@scoped(
    path="org_unit__path",
    rules={"view": frozenset(), "add": CAMPAIGN_RUNNERS, "change": CAMPAIGN_RUNNERS},
    grants=False,
    check=_restricted_check("org_unit"),
    visible=_export_visible,
)
class ExportRequest(Versioned, Timestamped, models.Model):
    """A request to export identified screening data of one unit (a school or a region):
    made by one holder of the wellbeing permission there, approved by a different one;
    then built in the background into a restricted file that only the requester downloads
    (each download an audited export: the audit log counts them) until it expires, when
    the retention job deletes it."""

    class What(models.TextChoices):
        ALERTS = "alerts", _("Alerts with student names")
        STUDENTS = "students", _("Student roster with names")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved, being built")
        READY = "ready", _("Ready to download")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("data of"), on_delete=models.PROTECT, related_name="+"
    )
    what = models.CharField(_("data"), max_length=10, choices=What.choices)
    reason = models.CharField(_("reason"), max_length=restricted.REASON_MAX)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = user_ref(_("requested by"))
    decided_by = user_ref(_("approved or rejected by"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="restricted/wellbeing/exports/", blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="wb_export_made")]

    def __str__(self) -> str:
        return f"{self.get_what_display()} · {self.org_unit}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:export", args=[self.pk])

    @property
    def downloadable(self) -> bool:
        return (
            self.status == self.Status.READY
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
