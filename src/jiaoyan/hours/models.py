"""Continuing-education hours (学时): one record per person per thing that earned them.

This app is the one place hours are kept, whatever earned them. Activities credit hours
when they finish (``source`` = the activity); the future training module will credit
programme hours here too and own the reports (the five-year cycle, certificates). The
record knows nothing about the module that wrote it beyond the generic ``source`` and a
snapshot of its title, so a source can change or disappear without rewriting history.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped, units_above_q


def _own(user) -> Q:
    return Q(person__user_id=user.pk)


def _check(user, action, record) -> bool | None:
    if action == "view" and record.person_id and record.person.user_id == user.pk:
        return True
    if action in {"change", "delete"}:
        return False  # records are credited and revoked by the services of their source
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=units_above_q,
)
class HoursCategory(models.Model):
    """A category of hours (师德, 学科教学, 信息技术, 心理健康 …) as a bureau sets it for
    the units below it; a record's category decides which of the cycle's category
    minimums it counts towards."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours category")
        verbose_name_plural = _("hours categories")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "code"], name="hours_category_code"),
        ]

    def __str__(self) -> str:
        return self.name


@scoped(
    path="person__org_unit__path",
    rules={"view": ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}},
    grants=False,
    check=_check,
    visible=_own,
)
class HoursRecord(models.Model):
    """Hours credited to one person by one source (an activity, later a programme)."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity", _("Research activity")
        TRAINING = "training", _("Training programme")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="hours_records",
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    category = models.ForeignKey(
        HoursCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("for"), max_length=200)
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("source type")
    )
    source_id = models.BigIntegerField(_("source id"))
    source = GenericForeignKey("source_type", "source_id")
    credited_by = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("credited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("credited at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours record")
        verbose_name_plural = _("hours records")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["person", "-date"], name="hours_person_date"),
            models.Index(fields=["source_type", "source_id"], name="hours_source"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source_type", "source_id"], name="hours_once_per_source"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.title}：{self.hours}"
