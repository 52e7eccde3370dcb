"""Continuing-education hours (学时): one record per person per thing that earned them.

This app is the one place hours are kept, whatever earned them. Activities credit hours
when they finish (``source`` = the activity), the training module credits programme hours,
and an approved external declaration credits the hours it declared. The record knows
nothing about the module that wrote it beyond the generic ``source`` and a snapshot of its
title, so a source can change or disappear without rewriting history.

Around the records: a bureau's credit rules (:class:`HoursPolicy`, its categories with
their yearly caps and cycle minimums), each person's five-year cycle with its progress kept
by the services (:class:`HoursCycle`), external training a person declares and the school
approves (:class:`ExternalDeclaration`), and certificates any source issues
(:class:`Certificate`, verified publicly by their code).
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, can, scoped, units_above_q


def _own(user) -> Q:
    """A person's own rows (records, cycle, declarations, certificates), found from the
    row's own person index: the person is looked up first, never joined to every row."""
    from jiaoyan.people.models import Person

    return Q(person__in_ids=Person.objects.filter(user_id=user.pk).values("pk"))


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
    yearly_cap = models.DecimalField(
        _("counted at most per year"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Hours of this category beyond this in one calendar year do not count."),
    )
    cycle_minimum = models.DecimalField(
        _("minimum per cycle"), max_digits=6, decimal_places=1, null=True, blank=True
    )

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
        EXTERNAL = "external", _("External training")
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
            models.Index(fields=["date"], name="hours_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source_type", "source_id"], name="hours_once_per_source"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.title}：{self.hours}"


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=units_above_q,
)
class HoursPolicy(Versioned, Timestamped, models.Model):
    """A bureau's credit rules for the people below it (the nearest bureau above a person
    decides, as for communities' settings): the cycle's length and required hours, the
    conversion of hours into credits (学分), and the yearly cap on external hours.
    A cycle takes a snapshot of them when it opens."""

    org_unit = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    cycle_years = models.PositiveSmallIntegerField(_("cycle length (years)"), default=5)
    first_cycle_year = models.PositiveSmallIntegerField(
        _("first year of a cycle"),
        default=2024,
        help_text=_("Cycles start in this year and every cycle length before or after it."),
    )
    required_hours = models.DecimalField(
        _("required hours per cycle"), max_digits=6, decimal_places=1, default=360
    )
    hours_per_credit = models.DecimalField(
        _("hours per credit"), max_digits=5, decimal_places=1, default=10
    )
    external_yearly_cap = models.DecimalField(
        _("external hours counted at most per year"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours policy")
        verbose_name_plural = _("hours policies")
        ordering = ["org_unit_id"]
        constraints = [
            models.CheckConstraint(condition=Q(cycle_years__gte=1), name="hours_policy_years"),
            models.CheckConstraint(
                condition=Q(hours_per_credit__gt=0), name="hours_policy_credit_rate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit}：{self.required_hours}/{self.cycle_years}"


def _check_cycle(user, action, cycle) -> bool | None:
    if action == "view" and cycle.person_id and cycle.person.user_id == user.pk:
        return True
    return None


@scoped(
    path="person__org_unit__path",
    rules={
        "view": ADMINS | {Role.RESEARCHER, Role.PRINCIPAL},
        "add": ADMINS | {Role.PRINCIPAL},
        "change": ADMINS | {Role.PRINCIPAL},
        "delete": frozenset(),
    },
    grants=False,
    check=_check_cycle,
    visible=_own,
)
class HoursCycle(models.Model):
    """One person's continuing-education cycle (e.g. 2024–2028, 360 hours), with the rules
    it is judged by (a snapshot of the bureau's policy and categories when it opened) and
    its progress, kept by the services whenever the person's records change."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    required_hours = models.DecimalField(_("required hours"), max_digits=6, decimal_places=1)
    hours_per_credit = models.DecimalField(
        _("hours per credit"), max_digits=5, decimal_places=1, default=10
    )
    # {"external_yearly_cap": "40"|None, "categories": {"<id>": {"code", "name",
    #  "yearly_cap", "minimum"}}}: the rules the cycle is judged by.
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    policy_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("rules set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_current = models.BooleanField(_("current"), default=True)
    # Progress, kept by services.refresh_cycles: hours counted (after caps), hours credited
    # (before caps), and per category / per year (counted).
    earned = models.DecimalField(_("hours counted"), max_digits=7, decimal_places=1, default=0)
    credited = models.DecimalField(_("hours credited"), max_digits=7, decimal_places=1, default=0)
    by_category = models.JSONField(_("by category"), default=dict, blank=True)
    by_year = models.JSONField(_("by year"), default=dict, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours cycle")
        verbose_name_plural = _("hours cycles")
        ordering = ["-start_year", "id"]
        indexes = [
            models.Index(fields=["is_current", "start_year", "earned"], name="hours_cycle_behind"),
            models.Index(fields=["person", "-start_year"], name="hours_cycle_person"),
            models.Index(fields=["earned"], name="hours_cycle_earned"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_current=True), name="hours_one_current_cycle"
            ),
            models.UniqueConstraint(fields=["person", "start_year"], name="hours_cycle_once"),
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="hours_cycle_years"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_year}–{self.end_year}"


def _check_declaration(user, action, decl) -> bool | None:
    own = decl.person_id and decl.person.user_id == user.pk
    if action == "view" and own:
        return True
    if action in {"add", "withdraw"}:
        return bool(own)  # a person declares (and withdraws) for themselves only
    return None


@scoped(
    path="person__org_unit__path",
    rules={
        "view": ADMINS | {Role.PRINCIPAL},
        "change": ADMINS | {Role.PRINCIPAL},  # approve or reject: the person's school
        "delete": frozenset(),
    },
    grants=False,
    check=_check_declaration,
    visible=_own,
)
class ExternalDeclaration(Versioned, Timestamped, models.Model):
    """External training a person declares (校外培训申报) with evidence; the principal or
    an admin of the person's school approves it (its hours are then credited, this
    declaration being the record's source) or rejects it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("training"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=200)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(pgettext_lazy("date range", "to"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    category = models.ForeignKey(
        HoursCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.FileField(_("evidence"), upload_to="hours/evidence/%Y/%m/", blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = user_ref(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("external declaration")
        verbose_name_plural = _("external declarations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="hours_decl_status"),
            models.Index(fields=["person", "start_date"], name="hours_decl_person"),
            models.Index(fields=["created_at"], name="hours_decl_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="hours_decl_positive"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="hours_decl_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("hours:declaration", args=[self.pk])


def _check_certificate(user, action, cert) -> bool | None:
    own = bool(cert.person_id) and cert.person.user_id == user.pk
    if action == "view" and own:
        return True
    if action in {"change", "download"}:
        # Revoking (change) and downloading anyone's: the source's owner decides, by
        # who may change the source; a person always downloads their own.
        if action == "download" and own:
            return True
        source = cert.source
        return source is not None and can(user, "change", source)
    if action == "delete":
        return False  # issued by certificates.issue_for_source, never deleted
    return None


@scoped(
    path="issuer__path",
    # Seen by the issuer's admins and researchers (who run its programmes); "download"
    # and "change" (revoke) follow the source's "change" (_check_certificate).
    rules={"view": ADMINS | {Role.RESEARCHER}},
    grants=False,
    check=_check_certificate,
    visible=_own,
)
class Certificate(models.Model):
    """A certificate issued to one person for one source (a programme, any module's
    object), with a random verification code anyone may check on the public page."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("source type")
    )
    source_id = models.BigIntegerField(_("source id"))
    source = GenericForeignKey("source_type", "source_id")
    title = models.CharField(_("programme"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    issuer = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=pgettext_lazy("certificate", "issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_on = models.DateField(_("issued on"))
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)
    revoked_by = user_ref(_("revoked by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["person", "-issued_on"], name="hours_cert_person"),
            models.Index(fields=["source_type", "source_id"], name="hours_cert_source"),
            models.Index(fields=["issued_on"], name="hours_cert_issued"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source_type", "source_id"], name="hours_cert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
