"""Persons (staff of every unit), their accounts, role assignments, honours and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.bases import Timestamped, Versioned
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped


class User(AbstractUser):
    """A log-in account. Most accounts belong to a :class:`Person` (``user.person``)."""

    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_username()

    @property
    def display_name(self) -> str:
        person = getattr(self, "person", None)
        return person.name if person is not None else self.get_username()


def _person_check(user, action, person) -> bool | None:
    if action == "delete":
        return False  # people leave by a status change; their history stays
    if action in {"view", "view_phone"} and person.user_id and person.user_id == user.pk:
        return True
    return None


def _person_visible(user) -> Q:
    return Q(user_id=user.pk)


@scoped(
    path="org_unit__path",
    rules={
        "add": ADMINS,
        "change": ADMINS,
        "view_phone": ADMINS,
        "manage_account": ADMINS,
        "import": ADMINS,
    },
    check=_person_check,
    visible=_person_visible,
)
class Person(Versioned, Timestamped, models.Model):
    """A member of staff of some unit, keyed by staff number (工号)."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Title(models.TextChoices):
        SENIOR_PLUS = "senior_plus", _("Full senior")
        SENIOR = "senior", _("Senior")
        FIRST = "first", _("First grade")
        SECOND = "second", _("Second grade")
        THIRD = "third", _("Third grade")
        NONE = "none", _("Not graded")

    class Status(models.TextChoices):
        ACTIVE = "active", _("In post")
        TRANSFERRED = "transferred", _("Transferred out")
        RETIRED = "retired", _("Retired")
        LEFT = "left", _("Left")

    staff_no = models.CharField(_("staff number"), max_length=32, unique=True)
    # "name" of a person is 姓名; of a unit, subject or token it is 名称 (context keeps apart).
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("employing unit"),
        on_delete=models.PROTECT,
        related_name="people",
    )
    professional_title = models.CharField(
        _("professional title"), max_length=12, choices=Title.choices, blank=True
    )
    # 参加教育工作时间: the years of teaching are counted from it (admission requirements).
    teaching_since = models.DateField(_("teaching since"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_note = models.CharField(_("status note"), max_length=200, blank=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["org_unit__path", "staff_no"]
        indexes = [
            models.Index(fields=["org_unit", "status"], name="person_unit_status"),
            models.Index(fields=["status"], name="person_status"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:person_detail", args=[self.pk])

    @property
    def masked_phone(self) -> str:
        p = self.phone
        if len(p) >= 7:
            return p[:3] + "*" * (len(p) - 7) + p[-4:]
        return "*" * len(p)


def _assignment_check(user, action, ra) -> bool | None:
    if action == "delete":
        return False  # assignments end (is_active=False); they are not erased
    return None


@scoped(
    path="person__org_unit__path",
    rules={"add": ADMINS, "change": ADMINS},
    check=_assignment_check,
)
class RoleAssignment(models.Model):
    """A role held by a person, bound to the unit whose subtree it governs.

    A researcher or admin employed by an institute or bureau is bound to its region
    (``OrgUnit.scope_root``); school staff to their school.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("scope unit"),
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    subjects = models.ManyToManyField("orgs.Subject", verbose_name=_("subjects"), blank=True)
    stages = models.ManyToManyField("orgs.Stage", verbose_name=_("stages"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["person_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "org_unit"],
                condition=Q(is_active=True),
                name="one_active_role_per_unit",
            )
        ]
        indexes = [
            models.Index(fields=["role", "org_unit", "is_active"], name="role_unit"),
            # "people holding role R": answered from the index alone.
            models.Index(fields=["role", "is_active", "person"], name="role_active_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.org_unit}"


@scoped(path="person__org_unit__path", rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS})
class Honour(models.Model):
    """荣誉称号: master teacher, key teacher, subject leader — with level and year."""

    class Title(models.TextChoices):
        MASTER_TEACHER = "master_teacher", _("Master teacher")
        KEY_TEACHER = "key_teacher", _("Key teacher")
        SUBJECT_LEADER = "subject_leader", _("Subject leader")
        MASTER_PRINCIPAL = "master_principal", _("Master principal")
        OTHER = "other", _("Other honour")

    class Level(models.TextChoices):
        # "City" and "School" also name org-unit levels, translated differently (市, 学校):
        # the context keeps the honour levels (市级, 校级) apart.
        NATIONAL = "national", pgettext_lazy("honour level", "National")
        PROVINCE = "province", pgettext_lazy("honour level", "Provincial")
        CITY = "city", pgettext_lazy("honour level", "City")
        COUNTY = "county", pgettext_lazy("honour level", "County")
        SCHOOL = "school", pgettext_lazy("honour level", "School")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="honours"
    )
    title = models.CharField(_("honour"), max_length=20, choices=Title.choices)
    title_text = models.CharField(_("honour (as written)"), max_length=50, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        ordering = ["person_id", "-year", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "title", "level"], name="one_honour_per_title_level"
            )
        ]

    def __str__(self) -> str:
        from .sheets import honour_label

        return honour_label(self)  # the sheet's wording, also kept in audit rows

    @property
    def display(self) -> str:
        """The honour as pages show it, in the UI language: 骨干教师（市级，2021）."""
        if self.title == self.Title.OTHER and self.title_text:
            name = self.title_text
        else:
            name = self.get_title_display()
        values = {"title": name, "level": self.get_level_display(), "year": self.year}
        if self.year:
            return gettext("%(title)s (%(level)s, %(year)s)") % values
        return gettext("%(title)s (%(level)s)") % values


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _token_check(user, action, token) -> bool | None:
    # A token is its owner's alone, whatever roles anybody has.
    return token.user_id == user.pk


@scoped(
    path="user__person__org_unit__path",
    # No role views a token (not even the owner's admins): only the owner, via ``visible``.
    rules={"view": ()},
    grants=False,
    check=_token_check,
    visible=lambda user: Q(user_id=user.pk),
)
class ApiToken(models.Model):
    """A personal access token. Only a SHA-256 of it is stored; it is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class LoginAttempt(models.Model):
    """One try at the log-in form, recorded before its password is checked.

    The per-account and per-address limits (:mod:`jiaoyan.people.login_limits`) count
    these; the rows are system data, never shown, and pruned after a day.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("being checked")
        FAILED = "failed", _("failed")
        SUCCEEDED = "succeeded", _("succeeded")
        REFUSED = "refused", _("refused unchecked")

    username = models.CharField(_("username"), max_length=150)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        verbose_name = _("log-in attempt")
        verbose_name_plural = _("log-in attempts")
        indexes = [
            models.Index(fields=["username", "at"], name="login_attempt_user_at"),
            models.Index(fields=["address", "at"], name="login_attempt_address_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"


def _homeroom_visible(user) -> Q:
    return Q(person__user_id=user.pk)


@scoped(
    path="school__path",
    rules={
        "add": ADMINS | {Role.PRINCIPAL},
        "change": ADMINS | {Role.PRINCIPAL},
        "delete": frozenset(),
    },
    check=_assignment_check,
    visible=_homeroom_visible,
)
class HomeroomAssignment(models.Model):
    """A class teacher (班主任): the person looks after one class (grade and class name,
    as rosters write them) of a school. Other modules ask
    :func:`jiaoyan.people.queries.homeroom_classes` which classes an account looks after;
    an assignment ends (``is_active`` false) rather than being erased."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="homerooms"
    )
    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.PositiveSmallIntegerField(_("grade"))
    class_name = models.CharField(_("class"), max_length=30)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("class teacher assignment")
        verbose_name_plural = _("class teacher assignments")
        ordering = ["school_id", "grade", "class_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school", "grade", "class_name"],
                condition=Q(is_active=True),
                name="one_active_homeroom",
            )
        ]
        indexes = [
            models.Index(fields=["person", "is_active"], name="homeroom_person"),
            models.Index(fields=["school", "grade", "class_name"], name="homeroom_class"),
        ]

    def __str__(self) -> str:
        return gettext("%(school)s, grade %(grade)s %(class)s") % {
            "school": self.school,
            "grade": self.grade,
            "class": self.class_name,
        }

    def get_absolute_url(self) -> str:
        return reverse("people:person_detail", args=[self.person_id])
