"""Research plans with monthly themes, and activities: venues, participants (invitation,
registration, check-in, attendance), materials, minutes with decisions, and feedback.

Scope: a plan and an activity belong to their organiser unit (``org_unit``); everything
else belongs to its activity (or plan). Two rules share objects beyond the subtree:

* lower units see the *published* plans of the units above them (``visible`` hook of
  :class:`ResearchPlan` and :class:`MonthlyTheme`), so they can nest their own under them;
* an invited person holds a :class:`~jiaoyan.core.models.ScopeGrant` on the activity; the
  activity's venues, materials and decisions follow the activity's grants (``visible``
  hooks reading ``granted_ids``), and a person always sees their own participation and
  feedback. Nothing else of the organiser's becomes visible.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import SubjectStageOptional, Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, granted_ids, scoped, units_above_q

ORGANISERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}


class Level(models.TextChoices):
    """The level of a plan or an activity: the level of its organiser unit."""

    PROVINCE = "province", pgettext_lazy("activity level", "Provincial")
    CITY = "city", pgettext_lazy("activity level", "City")
    COUNTY = "county", pgettext_lazy("activity level", "County")
    TOWN = "town", pgettext_lazy("activity level", "Town")
    SCHOOL = "school", pgettext_lazy("activity level", "School")


# --- plans -----------------------------------------------------------------------------


def _plans_above_q(user, prefix: str = "") -> Q | None:
    """Published plans of a unit above (or at) one of the user's units.

    A plan written by an institute or a bureau belongs to that office's unit, which hangs
    under its region: it counts as the region's plan for the region's lower units.
    """
    above = units_above_q(user, f"{prefix}org_unit")
    if above is None:
        return None
    return Q(**{f"{prefix}status": "published"}) & above


@scoped(
    path="org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS},
    visible=lambda user: _plans_above_q(user),
)
class ResearchPlan(Versioned, Timestamped, SubjectStageOptional, models.Model):
    """年度研修计划: a unit's annual research plan, with one theme per month.

    A lower unit's plan may name the plan above it that it follows (``parent``).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=120)
    goals = models.TextField(_("goals"), blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("follows the plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = user_ref()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("research plan")
        verbose_name_plural = _("research plans")
        ordering = ["-year", "org_unit__path", "id"]
        indexes = [
            models.Index(fields=["org_unit", "year"], name="plan_unit_year"),
            models.Index(fields=["year", "status"], name="plan_year_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:plan_detail", args=[self.pk])


@scoped(
    path="plan__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    visible=lambda user: _plans_above_q(user, "plan__"),
)
class MonthlyTheme(Versioned, SubjectStageOptional, models.Model):
    """一月一主题: the theme of one month of a plan, optionally for a subject and stage."""

    plan = models.ForeignKey(
        ResearchPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="themes"
    )
    month = models.PositiveSmallIntegerField(_("month"))
    title = models.CharField(_("theme"), max_length=120)
    goals = models.TextField(_("goals"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly theme")
        verbose_name_plural = _("monthly themes")
        ordering = ["plan_id", "month", "id"]
        indexes = [models.Index(fields=["plan", "month"], name="theme_plan_month")]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="theme_month_1_12"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month}月：{self.title}"


# --- activities -------------------------------------------------------------------------


def _activity_check(user, action, activity) -> bool | None:
    if action == "delete":
        return False  # activities are cancelled, never deleted: attendance and hours stay
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "import": ORGANISERS},
    check=_activity_check,
)
class Activity(Versioned, Timestamped, SubjectStageOptional, models.Model):
    """教研活动: one organised research event, with its venues and participants."""

    class Kind(models.TextChoices):
        LESSON_PREP = "lesson_prep", _("Collective lesson preparation")
        OBSERVATION = "observation", _("Lesson observation and critique")
        SAME_LESSON = "same_lesson", _("Same lesson, different designs")
        LECTURE = "lecture", _("Lecture")
        PROJECT = "project", _("Research project seminar")
        OUTREACH = "outreach", _("Outreach teaching")
        INSPECTION = "inspection", _("Teaching inspection")
        DEMONSTRATION = "demonstration", _("On-site meeting / demonstration")
        JOINT_MEETING = "joint_meeting", _("Joint meeting")
        ONLINE = "online", _("Online research")
        OTHER = "other", _("Other")

    class Mode(models.TextChoices):
        ONSITE = "onsite", _("On site")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("On site + video")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    class Registration(models.TextChoices):
        INVITED = "invited", _("Invited participants only")
        OPEN = "open", _("Open registration")

    title = models.CharField(pgettext_lazy("activity", "title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, editable=False)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organiser unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    host = models.ForeignKey(
        "people.Person",
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    theme = models.ForeignKey(
        MonthlyTheme,
        verbose_name=_("monthly theme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    # The community of practice (三名+) that organises it: the activity counts for the
    # community's tasks and points (jiaoyan.communities.progress).
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("organising community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    start_month = models.PositiveIntegerField(_("month"), editable=False)  # 202503, for stats
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.ONSITE)
    registration = models.CharField(
        _("participation"),
        max_length=8,
        choices=Registration.choices,
        default=Registration.INVITED,
    )
    hours = models.DecimalField(_("hours credited"), max_digits=4, decimal_places=1, default=0)
    description = models.TextField(pgettext_lazy("activity", "description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_updated_at = models.DateTimeField(_("minutes updated at"), null=True, blank=True)
    # Counters kept by the services (F() updates), so lists and stats never count rows.
    participant_count = models.PositiveIntegerField(_("participants"), default=0)
    checked_in_count = models.PositiveIntegerField(_("checked in"), default=0)
    feedback_count = models.PositiveIntegerField(_("feedback"), default=0)
    rating_total = models.PositiveIntegerField(default=0)
    created_by = user_ref()
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "starts_at"], name="activity_unit_starts"),
            models.Index(fields=["status", "starts_at"], name="activity_status_starts"),
            models.Index(fields=["kind", "starts_at"], name="activity_kind"),
            models.Index(fields=["subject", "starts_at"], name="activity_subject"),
            models.Index(fields=["checked_in_count"], name="activity_checked_in"),
            models.Index(fields=["title"], name="activity_title"),
            # A community's activities by date, with every column its points and task
            # progress read (held or not, kind, mode, level): index only.
            models.Index(
                fields=[
                    "community",
                    "starts_at",
                    "status",
                    "checked_in_count",
                    "kind",
                    "mode",
                    "level",
                ],
                name="activity_community_held",
            ),
            # Covering indexes: the calendar and the stats read these columns only, for
            # every activity of a month or a year, without touching the wide rows.
            models.Index(
                fields=["starts_at", "id", "org_unit", "status"], name="activity_calendar"
            ),
            models.Index(
                fields=[
                    "start_month",
                    "org_unit",
                    "kind",
                    "subject",
                    "status",
                    "checked_in_count",
                    "feedback_count",
                    "rating_total",
                ],
                name="activity_stats",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="activity_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    @property
    def average_rating(self) -> float | None:
        if not self.feedback_count:
            return None
        return round(self.rating_total / self.feedback_count, 1)

    @property
    def is_open(self) -> bool:
        """Still ahead or running: people may register, decline, check in."""
        return self.status in {self.Status.PUBLISHED, self.Status.IN_PROGRESS}

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.FINISHED, self.Status.CANCELLED}


def _follows_activity(user, prefix: str = "activity") -> Q:
    return Q(**{f"{prefix}__in_ids": granted_ids(user, Activity)})


@scoped(
    path="activity__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    grants=False,
    visible=_follows_activity,
)
class Venue(Versioned, models.Model):
    """主会场 / 分会场: where (or through which link) people take part, with a capacity.

    Each venue has its own check-in secret; the codes shown on its projector page are
    derived from it and the time (see ``activities.codes``).
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="venues"
    )
    is_main = models.BooleanField(_("main venue"), default=False)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    checkin_secret = models.CharField(max_length=64, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["activity_id", "-is_main", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity"], condition=Q(is_main=True), name="one_main_venue"
            )
        ]

    def __str__(self) -> str:
        return self.name


def _own_person(user) -> Q:
    return Q(person__user_id=user.pk)


@scoped(
    path="activity__org_unit__path",
    rules={"view": ORGANISERS, "add": ORGANISERS, "change": ORGANISERS, "import": ORGANISERS},
    grants=False,
    check=lambda user, action, p: False if action == "delete" else None,
    visible=_own_person,
)
class Participation(models.Model):
    """One person on one activity: invited or registered (or declined), their venue, and
    their attendance. This is the attendance record."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        REGISTERED = "registered", _("Registered")
        DECLINED = "declined", _("Declined")

    class Attendance(models.TextChoices):
        UNKNOWN = "", _("Not yet")
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    class Method(models.TextChoices):
        CODE = "code", _("Typed code")
        QR = "qr", _("QR code")
        API = "api", _("App")
        MANUAL = "manual", _("Marked by organiser")
        IMPORT = "import", _("Imported")

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("venue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    attendance = models.CharField(
        _("attendance"), max_length=8, choices=Attendance.choices, blank=True, default=""
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    method = models.CharField(_("check-in by"), max_length=8, choices=Method.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["activity_id", "venue_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="one_participation"),
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="participation_person"),
            models.Index(fields=["venue", "status"], name="participation_venue"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.activity}"

    @property
    def attended(self) -> bool:
        return self.attendance in {self.Attendance.PRESENT, self.Attendance.LATE}


class CheckinFailure(models.Model):
    """A wrong or expired check-in code typed by a user: the rate limit counts these.

    Internal bookkeeping, never shown on a page or through the API, so not scoped.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="checkin_failure_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M:%S}"


@scoped(
    path="activity__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    grants=False,
    visible=_follows_activity,
)
class Material(models.Model):
    """A file or a link attached to an activity, before or after it."""

    class Phase(models.TextChoices):
        BEFORE = "before", _("Before the activity")
        AFTER = "after", _("After the activity")

    class Kind(models.TextChoices):
        SLIDES = "slides", _("Slides")
        LESSON_DESIGN = "lesson_design", _("Lesson design")
        RECORDING = "recording", _("Lesson recording")
        READING = "reading", _("Reading")
        OTHER = "other", _("Other")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="materials"
    )
    phase = models.CharField(_("when"), max_length=8, choices=Phase.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=150)
    file = models.FileField(_("file"), upload_to="activities/%Y/%m/", blank=True, max_length=255)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    url = models.URLField(_("link"), max_length=300, blank=True)
    uploaded_by = user_ref()
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["activity_id", "phase", "id"]

    def __str__(self) -> str:
        return self.title


@scoped(
    path="activity__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    grants=False,
    visible=_follows_activity,
)
class Decision(models.Model):
    """A decision recorded in an activity's minutes; it may be sent to the work ledger.

    ``ledger_ref`` is what the ledger answered when the decision was sent to it (empty
    until then): see ``activities.hooks`` for how the ledger subscribes.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.CharField(_("decision"), max_length=300)
    owner_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_name = models.CharField(_("responsible person"), max_length=50, blank=True)
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    for_ledger = models.BooleanField(_("send to the work ledger"), default=False)
    ledger_ref = models.CharField(_("ledger reference"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent to the ledger at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return self.text


@scoped(
    path="activity__org_unit__path",
    rules={"view": ORGANISERS, "change": frozenset()},
    grants=False,
    check=lambda user, action, f: False if action in {"change", "delete"} else None,
    visible=_own_person,
)
class Feedback(models.Model):
    """A participant's rating (1–5) and comment on an activity they attended."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="feedback"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="one_feedback"),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="feedback_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.activity}：{self.rating}"
