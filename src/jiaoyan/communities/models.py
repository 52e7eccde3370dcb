"""Communities of practice (三名+): school consortia (名校+), principal communities (名校长+)
and teacher studios (名师+), their members, yearly tasks with evidence, and the bureau's
settings (task templates, the studio points table, coverage targets and rule relaxations).

Scope: a community belongs to its owning unit (``org_unit``: a city, county or school, or
the bureau or institute of a region); everything else belongs to its community. Members see
their communities beyond their subtree (``visible`` hook of :class:`Community`): a person
member, and the staff holding a role at a member school. Their memberships, tasks, evidence
and reports follow the community. A bureau's settings belong to the bureau's unit and are
read by the communities below it (``visible`` hook: settings of the units above).

Progress of a task and a studio's points are never stored: they are computed from the
records (activities organised by the community, observations by its members) by
:mod:`jiaoyan.communities.progress`; only what the platform cannot see is entered, as
:class:`Evidence`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped, units_above_q, user_scopes

MANAGERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}


class Kind(models.TextChoices):
    CONSORTIUM = "consortium", _("School consortium")
    PRINCIPAL = "principal", _("Principal community")
    STUDIO = "studio", _("Teacher studio")


class Level(models.TextChoices):
    CITY = "city", _("City level")
    COUNTY = "county", _("County level")
    SCHOOL = "school", _("School level")


class Measure(models.TextChoices):
    """What a task counts. The first three are derived from records; evidence is typed."""

    ACTIVITIES = "activities", _("Activities organised by the community")
    ONLINE = "online", _("Online sessions with enough participants")
    OBSERVATIONS = "observations", _("Lessons observed by members")
    EVIDENCE = "evidence", _("Entered with evidence")


def _settings_above_q(user) -> Q | None:
    """Settings of a unit on the path above one of the user's units (they apply there)."""
    return units_above_q(user)


def member_q(user, lookup: str) -> Q:
    """Rows whose community (``lookup``: ``pk`` or ``community``…) ``user`` is a current
    member of (as a person, or through a school where they hold a role: a consortium's
    member school), written as one id set per way of being a member (the person's rows
    through ``membership_person``, the schools' through ``membership_school``), so each
    branch is read from its index instead of one OR that reads every membership and its
    person."""
    from jiaoyan.people.models import Person

    current = Membership.objects.filter(left_on__isnull=True)
    mine = Person.objects.filter(user_id=user.pk).values("pk")
    q = Q(**{f"{lookup}__in_ids": current.filter(person_id__in=mine).values("community_id")})
    units = [s.unit_id for s in user_scopes(user)]
    if units:
        q |= Q(**{f"{lookup}__in_ids": current.filter(school_id__in=units).values("community_id")})
    return q


def _community_visible(user) -> Q:
    return member_q(user, "pk")


def _follows(prefix: str):
    def visible(user) -> Q:
        return member_q(user, prefix)

    return visible


def _never_delete(user, action, obj) -> bool | None:
    return False if action == "delete" else None


@scoped(
    path="org_unit__path",
    rules={
        "add": MANAGERS,
        "change": MANAGERS,
        "import": MANAGERS,
        "invite_across": ADMINS,
    },
    check=_never_delete,
    visible=_community_visible,
)
class Community(Versioned, Timestamped, models.Model):
    """A community of practice: a leading school (consortium) or a leading person and
    its members, owned by the unit at its level, for a period, with goals."""

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)
    leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leading_school = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("leading school"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    start_on = models.DateField(_("starts on"))
    end_on = models.DateField(_("ends on"))
    goals = models.TextField(_("goals"), blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)  # kept by services
    created_by = user_ref()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["kind", "level", "code"]
        indexes = [
            models.Index(fields=["org_unit", "kind"], name="community_unit_kind"),
            models.Index(fields=["kind", "level", "code"], name="community_kind_level"),
            models.Index(fields=["name"], name="community_name"),
            models.Index(fields=["member_count"], name="community_members"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gt=models.F("start_on")), name="community_period_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", args=[self.pk])

    @property
    def members_are_schools(self) -> bool:
        return self.kind == Kind.CONSORTIUM


@scoped(
    path="community__org_unit__path",
    rules={"view": MANAGERS, "add": MANAGERS, "change": MANAGERS, "import": MANAGERS},
    grants=False,
    check=_never_delete,
    visible=_follows("community"),
)
class Membership(models.Model):
    """One member of a community: a person (principal community, studio) or a school
    (consortium), with a role and the dates of joining and leaving."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        CORE = "core", _("Core member")
        MEMBER = "member", _("Member")
        TRAINEE = "trainee", _("Trainee")

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_memberships",
    )
    school = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("school"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    across = models.BooleanField(_("invited from beyond the owning unit"), default=False)
    # The community's kind and level, copied when the membership is first saved (a
    # community never changes either): the coverage groups the memberships by them
    # reading one index, without a join to every membership's community.
    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, blank=True, editable=False
    )
    level = models.CharField(
        _("level"), max_length=8, choices=Level.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = user_ref()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["community_id", "role", "id"]
        indexes = [
            models.Index(fields=["community", "left_on"], name="membership_community"),
            # Everything the coverage aggregate reads of a membership (index only).
            models.Index(
                fields=["community", "left_on", "joined_on", "kind", "level", "person", "school"],
                name="membership_coverage",
            ),
            models.Index(fields=["person", "left_on"], name="membership_person"),
            models.Index(fields=["school", "left_on"], name="membership_school"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "person"],
                condition=Q(left_on__isnull=True, person__isnull=False),
                name="one_current_person_membership",
            ),
            models.UniqueConstraint(
                fields=["community", "school"],
                condition=Q(left_on__isnull=True, school__isnull=False),
                name="one_current_school_membership",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(school__isnull=False),
                name="membership_has_member",
            ),
        ]

    def __str__(self) -> str:
        who = self.person if self.person_id else self.school
        return f"{who} @ {self.community}"

    def save(self, *args, **kwargs):
        if not self.kind:
            self.kind, self.level = self.community.kind, self.community.level
        super().save(*args, **kwargs)

    @property
    def member(self):
        return self.person if self.person_id else self.school


class TaskSpec(models.Model):
    """What a task is: its name, what it counts (with the activity kind or the number of
    participants that count), its target and its place in the list — of a template and
    of a community's task alike."""

    name = models.CharField(_("task"), max_length=100)
    measure = models.CharField(_("counted from"), max_length=14, choices=Measure.choices)
    activity_kind = models.CharField(_("activity kind"), max_length=16, blank=True)
    min_participants = models.PositiveIntegerField(_("at least participants"), default=0)
    target = models.PositiveIntegerField(_("target"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=_settings_above_q,
)
class TaskTemplate(TaskSpec, Versioned, models.Model):
    """One task of a kind's yearly list (a studio's "10+N", a principal community's
    "六个一"), as a bureau sets it for the communities below it."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")
        ordering = ["org_unit_id", "kind", "order", "id"]
        indexes = [models.Index(fields=["org_unit", "kind"], name="tasktemplate_unit_kind")]

    def __str__(self) -> str:
        return self.name


@scoped(
    path="community__org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    grants=False,
    visible=_follows("community"),
)
class CommunityTask(TaskSpec, Versioned, models.Model):
    """A community's task for one year, with its target; progress is computed."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="tasks"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    notes = models.TextField(pgettext_lazy("task", "notes"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community task")
        verbose_name_plural = _("community tasks")
        ordering = ["community_id", "year", "order", "id"]
        indexes = [models.Index(fields=["community", "year"], name="task_community_year")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "name"], name="one_task_name_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


@scoped(
    path="task__community__org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS},
    grants=False,
    check=_never_delete,
    visible=_follows("task__community"),
)
class Evidence(models.Model):
    """What the platform cannot see, entered with evidence: how many of a task were done
    on a date, and what (a line of description)."""

    task = models.ForeignKey(
        CommunityTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="evidence"
    )
    date = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("count"))
    description = models.CharField(_("what was done"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = user_ref()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["task_id", "-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(count__gt=0), name="evidence_count")]

    def __str__(self) -> str:
        return self.description


def _shared_file_check(user, action, obj) -> bool | None:
    """Current members of the community may share files (the owning unit's admins and
    managers by the rules); whoever shared a file may delete it."""
    if action == "add" and obj.community_id and not user.is_superuser:
        person_id = getattr(getattr(user, "person", None), "pk", None)
        if (
            person_id
            and Membership.objects.filter(
                community_id=obj.community_id, person_id=person_id, left_on__isnull=True
            ).exists()
        ):
            return True
    if action == "delete" and obj.pk and obj.uploaded_by_id == user.pk:
        return True
    return None


@scoped(
    path="community__org_unit__path",
    rules={"add": MANAGERS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    check=_shared_file_check,
    visible=_follows("community"),
)
class SharedFile(models.Model):
    """A file shared in a community's workspace (plans, slides, minutes …): stored
    through the guarded upload path and always served as a download."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), upload_to="communities/files/%Y/", max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = user_ref()
    uploader_name = models.CharField(_("shared by"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("shared at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("shared file")
        verbose_name_plural = _("shared files")
        ordering = ["community_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["community", "-created_at"], name="sharedfile_community")]

    def __str__(self) -> str:
        return self.name


class PointItem(models.TextChoices):
    DEMONSTRATION = "demonstration", _("Demonstration lesson or on-site meeting")
    ONLINE = "online", _("Online session")
    ACTIVITY = "activity", _("Other activity held")
    OBSERVATION = "observation", _("Lesson observed by a member")
    PROJECT = "project", _("Research project approved")


class PointLevel(models.TextChoices):
    ANY = "", _("Any level")
    PROVINCE = "province", _("Provincial")
    CITY = "city", pgettext_lazy("community level", "City")
    COUNTY = "county", pgettext_lazy("community level", "County")
    SCHOOL = "school", pgettext_lazy("community level", "School")


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=_settings_above_q,
)
class PointRule(models.Model):
    """One line of a bureau's studio points table (考核细则): an item, the level it is held
    at, the points it earns, and (online sessions) how many must take part."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(
        pgettext_lazy("points", "item"), max_length=14, choices=PointItem.choices
    )
    level = models.CharField(_("level"), max_length=10, choices=PointLevel.choices, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    min_participants = models.PositiveIntegerField(_("at least participants"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["org_unit_id", "item", "level"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "item", "level"], name="one_point_rule"),
            models.CheckConstraint(condition=Q(points__gte=0), name="point_rule_points"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.get_level_display()} {self.points}"


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=_settings_above_q,
)
class KindPolicy(Versioned, models.Model):
    """A bureau's settings for one kind of community below it: the coverage target (share
    of members from rural or weak schools), how many communities of the kind a person may
    be in, and the relaxations of the rules (several studios led at a level, a school in
    several consortia of a level)."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    target_share = models.DecimalField(
        _("target share of members from rural or weak schools (%)"),
        max_digits=5,
        decimal_places=1,
        default=50,
    )
    max_per_person = models.PositiveSmallIntegerField(
        _("communities of this kind a person may be in"), default=2
    )
    allow_several_leads = models.BooleanField(
        _("a person may lead several studios at a level"), default=False
    )
    allow_several_consortia = models.BooleanField(
        _("a school may be in several consortia of a level"), default=False
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community policy")
        verbose_name_plural = _("community policies")
        ordering = ["org_unit_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "kind"], name="one_policy_per_kind"),
            models.CheckConstraint(
                condition=Q(target_share__gte=0) & Q(target_share__lte=100),
                name="policy_share_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.get_kind_display()}"


@scoped(
    path="community__org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS},
    grants=False,
    check=_never_delete,
    visible=_follows("community"),
)
class YearlyReport(models.Model):
    """The yearly report of a community as .docx, rendered by a job from the records."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    docx = models.FileField(_("document"), upload_to="communities/%Y/", max_length=300, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = user_ref()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("yearly report")
        verbose_name_plural = _("yearly reports")
        ordering = ["community_id", "-year", "-id"]
        indexes = [models.Index(fields=["community", "year"], name="report_community_year")]

    def __str__(self) -> str:
        return f"{self.community} {self.year}"
