"""The org-unit tree (province › city › county › town › school, with bureaus and institutes
hung under their regions), schools, and the reference lists of stages and subjects."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.bases import Timestamped, Versioned
from jiaoyan.core.paths import PathField, path_ids
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped


class Stage(models.Model):
    """学段: preschool, primary, junior, senior."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=20, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """学科: 语文, 数学, 英语 …"""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


def _unit_path_of(unit: OrgUnit) -> str:
    # A unit not yet saved is judged by where it is going: its parent's subtree.
    if unit.path:
        return unit.path
    return unit.parent.path if unit.parent_id else ""


def _unit_check(user, action, unit) -> bool | None:
    if action == "delete":
        return False  # units are closed (is_active=False), never deleted: history stays
    if action == "add" and unit.parent_id is None:
        return bool(user.is_superuser)
    return None


@scoped(
    path="path",
    rules={"add": ADMINS, "change": ADMINS, "import": ADMINS},
    check=_unit_check,
    path_of=_unit_path_of,
)
class OrgUnit(Versioned, Timestamped, models.Model):
    """A node of the one org tree. ``path`` is the ids from the root, ``/1/5/23/``."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County/District")
        TOWN = "town", _("Town")
        SCHOOL = "school", _("School")

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        BUREAU = "bureau", _("Education bureau")
        INSTITUTE = "institute", _("Research institute")
        SCHOOL = "school", _("School")
        OTHER = "other", _("Other unit")

    code = models.CharField(_("unit code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.REGION)
    path = PathField(_("path"), blank=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="orgunit_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "kind"], name="orgunit_parent_kind"),
            models.Index(fields=["kind", "level"], name="orgunit_kind_level"),
        ]

    choice_label_field = "name"  # what str() shows: dropdowns read it as a plain value

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.SCHOOL:
            return reverse("orgs:school_detail", args=[self.pk])
        return reverse("orgs:unit_detail", args=[self.pk])

    @property
    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)

    def ancestors(self):
        """Units above this one, root first (not scoped: callers filter what they show)."""
        return OrgUnit.objects.filter(pk__in=self.ancestor_ids[:-1]).order_by("depth")

    def descendants(self, include_self: bool = False):
        qs = OrgUnit.objects.filter(path__under=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    @property
    def scope_root(self) -> OrgUnit:
        """The unit a role held here governs: a bureau or institute governs its region."""
        if self.kind in {self.Kind.BUREAU, self.Kind.INSTITUTE} and self.parent_id:
            return self.parent
        return self

    def region_of(self, level: str) -> OrgUnit | None:
        ids = self.ancestor_ids
        for unit in OrgUnit.objects.filter(pk__in=ids, level=level, kind=self.Kind.REGION):
            return unit
        return None


def _school_check(user, action, school) -> bool | None:
    if action == "delete":
        return False
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS | {Role.PRINCIPAL}, "import": ADMINS},
    check=_school_check,
    path_of=lambda s: _unit_path_of(s.org_unit),
)
class School(Versioned, models.Model):
    """A school's profile. It is an org unit (kind school) and shares its id."""

    class Kind(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        PRIMARY = "primary", _("Primary school")
        JUNIOR = "junior", _("Junior secondary school")
        SENIOR = "senior", _("Senior secondary school")
        NINE_YEAR = "nine_year", _("Nine-year school")
        TWELVE_YEAR = "twelve_year", _("Twelve-year school")
        COMPLETE_SECONDARY = "complete_secondary", _("Complete secondary school")
        VOCATIONAL = "vocational", _("Vocational school")
        SPECIAL = "special", _("Special education school")
        TEACHING_POINT = "teaching_point", _("Teaching point")
        OTHER = "other", _("Other")

    class Location(models.TextChoices):
        URBAN = "urban", _("Urban")
        TOWNSHIP = "township", _("Township")
        RURAL = "rural", _("Rural")

    org_unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("org unit"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="school",
    )
    kind = models.CharField(_("school kind"), max_length=20, choices=Kind.choices)
    stages = models.ManyToManyField(Stage, verbose_name=_("stages"), blank=True)
    location = models.CharField(_("location class"), max_length=10, choices=Location.choices)
    is_weak = models.BooleanField(_("weak school"), default=False)
    student_count = models.PositiveIntegerField(_("students"), default=0)
    teacher_count = models.PositiveIntegerField(_("teachers"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["org_unit__path"]
        indexes = [
            models.Index(fields=["kind"], name="school_kind"),
            models.Index(fields=["location", "is_weak"], name="school_location"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(student_count__gte=0) & Q(teacher_count__gte=0),
                name="school_counts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.org_unit.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:school_detail", args=[self.pk])

    @property
    def name(self) -> str:
        return self.org_unit.name

    @property
    def code(self) -> str:
        return self.org_unit.code

    @property
    def division_code(self) -> str:
        return self.org_unit.parent.code if self.org_unit.parent_id else ""
