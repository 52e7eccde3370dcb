"""Pairing assistance (结对帮扶): a helping unit and a helped unit — school↔school,
district↔district or city↔city, possibly in different cities or provinces of the tree —
with the agreement, the funds given, the people sent, the joint activities and the
periodic reports of both sides.

Scope (DESIGN.md "Scope"): a pairing belongs to the bureau's unit that made it (the
common ancestor of both sides, or a unit above the helping side that named the helped
side across its scope). It is shared with both sides through the grant mechanism
(``core.scope.grant(pairing, unit=side)``: the side and the units above it see it) and,
through the ``visible`` hook, with everybody working inside either side (a school of a
helped district sees its district's pairing). Nothing else of the other side becomes
visible: the grant is on the pairing, and the rows below it (funds, people sent, joint
activity links, reports) follow the pairing, not the units.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.paths import is_under
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import (
    ScopedQuerySet,
    ancestor_ids,
    beyond_scope_q,
    scoped,
    user_scopes,
)

# Who works on a pairing of their side: bureau admins, researchers and principals.
EDITORS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}


class Side(models.TextChoices):
    HELPING = "helping", _("Helping side")
    HELPED = "helped", _("Helped side")


def _inside_a_side(user) -> Q | None:
    """Pairings one of whose sides is a unit at or above one of the user's scope units:
    the people working inside a side see their side's pairings."""
    ids = sorted(ancestor_ids(user))
    if not ids:
        return None
    return Q(helping_unit_id__in=ids) | Q(helped_unit_id__in=ids)


def sides_of(user, pairing: Pairing, roles=EDITORS) -> set[str]:
    """The sides of ``pairing`` on which ``user`` works with one of ``roles`` (a role
    whose unit covers the side, or lies inside it)."""
    out: set[str] = set()
    for s in user_scopes(user):
        if s.role not in roles:
            continue
        for side, path in (
            (Side.HELPING, pairing.helping_unit.path),
            (Side.HELPED, pairing.helped_unit.path),
        ):
            if is_under(path, s.path) or is_under(s.path, path):
                out.add(str(side))
    return out


def owns(user, pairing: Pairing) -> bool:
    """Is ``user`` a bureau admin of the unit the pairing belongs to (or above it)?"""
    path = pairing.org_unit.path
    return any(s.role in ADMINS and is_under(path, s.path) for s in user_scopes(user))


def _pairing_check(user, action, pairing) -> bool | None:
    if user.is_superuser or action in ("view", "add"):
        return None
    if action == "delete":
        return False  # a pairing is ended (its period), never deleted: its history stays
    # change: the owning bureau, or a bureau admin of either side.
    return owns(user, pairing) or bool(sides_of(user, pairing, ADMINS))


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    check=_pairing_check,
    visible=_inside_a_side,
)
class Pairing(Versioned, Timestamped, models.Model):
    """结对帮扶: one unit helps another for a period, under a signed agreement."""

    class Level(models.TextChoices):
        SCHOOL = "school", _("School with school")
        COUNTY = "county", _("District with district")
        CITY = "city", _("City with city")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("owning unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=120)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    helping_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("helping unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    helped_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("helped unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    start_date = models.DateField(_("starts on"))
    end_date = models.DateField(_("ends on"))
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_file = models.FileField(
        _("agreement document"), upload_to="pairing/agreements/%Y/", max_length=300, blank=True
    )
    agreement_name = models.CharField(_("document name"), max_length=200, blank=True)
    goals = models.TextField(_("goals"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-start_date"], name="pairing_unit_start"),
            models.Index(fields=["helping_unit"], name="pairing_helping"),
            models.Index(fields=["helped_unit"], name="pairing_helped"),
            models.Index(fields=["-start_date", "-id"], name="pairing_start"),
            models.Index(fields=["level", "-start_date"], name="pairing_level"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(helping_unit=models.F("helped_unit")), name="pairing_sides_differ"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="pairing_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pairing:detail", args=[self.pk])


def _follows_pairing(user) -> Q | None:
    """Rows below a pairing are seen by whoever sees the pairing beyond its subtree."""
    beyond = beyond_scope_q(user, Pairing)
    if beyond is None:
        return None
    return Q(pairing__in_ids=Pairing.objects.filter(beyond).values("pk"))


def _part_check(helping_only: bool):
    """Who writes a row below a pairing (add, change, delete alike): the owning bureau,
    and the helping side (funds, people sent) or either side (joint activities, reports;
    a report is changed only by its own side)."""

    def check(user, action, row) -> bool | None:
        if user.is_superuser or action == "view":
            return None
        pairing = row.pairing
        if owns(user, pairing):
            return True
        sides = sides_of(user, pairing)
        if helping_only:
            return Side.HELPING in sides
        own_side = getattr(row, "side", "")
        if action in ("change", "delete") and own_side:
            return own_side in sides
        return bool(sides)

    return check


@scoped(
    path="pairing__org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    check=_part_check(helping_only=True),
    visible=_follows_pairing,
)
class Fund(Versioned, Timestamped, models.Model):
    """Assistance funds (帮扶资金) given under a pairing: amount, date, purpose."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="funds")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    date = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assistance fund")
        verbose_name_plural = _("assistance funds")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["pairing", "-date"], name="fund_pairing_date"),
            models.Index(fields=["-date", "-id"], name="fund_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}：{self.amount}"


@scoped(
    path="pairing__org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    check=_part_check(helping_only=True),
    visible=_follows_pairing,
)
class PersonSent(Versioned, Timestamped, models.Model):
    """A person the helping side sends: a teacher on support teaching (支教) or a
    researcher stationed at the helped side (驻校蹲点), with dates and what they did."""

    class Role(models.TextChoices):
        SUPPORT_TEACHING = "teaching", _("Support teaching (支教)")
        STATIONED = "stationed", _("Stationed researcher (驻校蹲点)")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="people_sent")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    work = models.TextField(_("what they did"), blank=True)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person sent")
        verbose_name_plural = _("people sent")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["pairing", "-start_date"], name="sent_pairing_start"),
            models.Index(fields=["-start_date", "-id"], name="sent_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="sent_period_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_role_display()}"


@scoped(
    path="pairing__org_unit__path",
    rules={"add": EDITORS, "change": EDITORS, "delete": EDITORS},
    check=_part_check(helping_only=False),
    visible=_follows_pairing,
)
class JointActivity(models.Model):
    """A research activity held under a pairing (the activity names the pairing)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="joint_links")
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("research activity"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_by = user_ref(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint activity")
        verbose_name_plural = _("joint activities")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["pairing", "activity"], name="joint_activity_once")
        ]

    def __str__(self) -> str:
        return f"{self.pairing_id}/{self.activity_id}"


@scoped(
    path="pairing__org_unit__path",
    rules={"add": EDITORS, "change": EDITORS, "delete": EDITORS},
    check=_part_check(helping_only=False),
    visible=_follows_pairing,
)
class PairingReport(Versioned, models.Model):
    """A periodic report on the pairing from one side: text and an optional file."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="reports")
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    period = models.CharField(pgettext_lazy("date range", "period"), max_length=40)
    text = models.TextField(_("report"))
    file = models.FileField(_("file"), upload_to="pairing/reports/%Y/", max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    author = user_ref(_("author"))
    author_name = models.CharField(_("author"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing report")
        verbose_name_plural = _("pairing reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pairing", "-created_at"], name="preport_pairing")]

    def __str__(self) -> str:
        return f"{self.period} {self.get_side_display()}"
