"""Training (研训): programmes for the three cohorts (三支队伍), their sessions and
attendance, enrolment (open, nomination by schools within quotas, invitation) with a
waitlist, assignments, feedback, and completion computed from the programme's rule.

Scope: a programme belongs to its organiser unit (``org_unit``); everything else belongs
to its programme. Beyond the organiser's subtree:

* the units below the organiser see its programmes once they are no longer drafts (they
  enrol and nominate: ``visible`` hook of :class:`Programme`);
* a participant always sees their own enrolment, attendance, submissions and feedback,
  and a school (its admins and principal) sees its people's enrolments and attendance.

Hours are never typed: on completion they come from the sessions (all of them, or the
ones attended) and go to the hours ledger (``jiaoyan.hours.services.sync_for_source``);
a correction is an audited adjustment (``hours_adjustment`` with a reason).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scope_paths, scoped, under_q, units_above_q

ORGANISERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}
# Who nominates the people of a school: its principal and the bureau admins above it.
NOMINATORS = ADMINS | {Role.PRINCIPAL}


class Cohort(models.TextChoices):
    """三支队伍."""

    PRINCIPAL = "principal", _("Principals")
    TEACHER = "teacher", pgettext_lazy("cohort", "Teachers")
    RESEARCHER = "researcher", _("Researchers")


def _programmes_above_q(user, prefix: str = "") -> Q | None:
    """Programmes (no longer drafts) of a unit above or at one of the user's units."""
    above = units_above_q(user, f"{prefix}org_unit")
    if above is None:
        return None
    return above & ~Q(**{f"{prefix}status": "draft"})


def _programme_check(user, action, programme) -> bool | None:
    if action == "delete":
        return False  # a programme is closed, never deleted: attendance and hours stay
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "import": ORGANISERS},
    grants=False,
    check=_programme_check,
    visible=_programmes_above_q,
)
class Programme(Versioned, Timestamped, models.Model):
    """培训项目: one training programme of an organiser unit, with its sessions."""

    class Tier(models.TextChoices):
        NEW = "new", _("New staff")
        KEY = "key", _("Key staff")
        MASTER = "master", _("Master staff")
        ADVANCED = "advanced", _("Advanced study class")

    class Level(models.TextChoices):
        PROVINCE = "province", pgettext_lazy("programme level", "Provincial")
        CITY = "city", pgettext_lazy("programme level", "City")
        COUNTY = "county", pgettext_lazy("programme level", "County")
        SCHOOL = "school", pgettext_lazy("programme level", "School")

    class Format(models.TextChoices):
        FACE = "face", _("Face to face")
        ONLINE = "online", _("Online")
        BLENDED = "blended", _("Blended")

    class Mode(models.TextChoices):
        OPEN = "open", _("Open enrolment")
        NOMINATION = "nomination", _("Nomination by schools")
        INVITATION = "invitation", _("Invitation")

    class HoursMode(models.TextChoices):
        ALL = "all", _("All hours on completion")
        PER_SESSION = "per_session", _("Hours of the sessions attended")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for enrolment")
        RUNNING = "running", _("Running")
        CLOSED = "closed", pgettext_lazy("programme", "Closed")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("programme", "title"), max_length=120)
    description = models.TextField(pgettext_lazy("programme", "description"), blank=True)
    cohorts = models.CharField(_("cohorts"), max_length=40)  # "teacher,principal"
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, editable=False)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    category = models.ForeignKey(
        "hours.HoursCategory",
        verbose_name=_("hours category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    mode = models.CharField(_("enrolment"), max_length=10, choices=Mode.choices)
    # Assessment rule.
    min_attendance = models.PositiveSmallIntegerField(_("minimum attendance (%)"), default=80)
    assignment_required = models.BooleanField(_("assignment required"), default=False)
    assignment_pass_mark = models.DecimalField(
        _("assignment pass mark"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    test_pass_mark = models.DecimalField(
        _("test pass mark"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    hours_mode = models.CharField(
        _("hours granted"), max_length=12, choices=HoursMode.choices, default=HoursMode.ALL
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    # Counters kept by the services under the programme's row lock.
    enrolled_count = models.PositiveIntegerField(_("enrolled"), default=0)
    waitlist_count = models.PositiveIntegerField(_("waiting"), default=0)
    completed_count = models.PositiveIntegerField(_("completed"), default=0)
    total_hours = models.DecimalField(
        _("hours"), max_digits=6, decimal_places=1, default=0, editable=False
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True, editable=False)
    completion_at = models.DateTimeField(_("completion computed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training programme")
        verbose_name_plural = _("training programmes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-created_at"], name="programme_unit"),
            models.Index(fields=["status", "-created_at"], name="programme_status"),
            models.Index(fields=["-created_at", "-id"], name="programme_created"),
            models.Index(fields=["tier", "-created_at"], name="programme_tier"),
            models.Index(fields=["starts_on", "id"], name="programme_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_attendance__lte=100), name="programme_attendance_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("training:detail", args=[self.pk])

    @property
    def cohort_list(self) -> list[str]:
        return [c for c in self.cohorts.split(",") if c]

    def get_cohorts_display(self) -> str:
        labels = dict(Cohort.choices)
        return "、".join(str(labels.get(c, c)) for c in self.cohort_list)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.enrolled_count >= self.capacity

    @property
    def enrolling(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.RUNNING}


def _follows_programme(user, prefix: str = "programme__") -> Q | None:
    return _programmes_above_q(user, prefix)


@scoped(
    path="programme__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS, "import": ORGANISERS},
    grants=False,
    visible=_follows_programme,
)
class Session(Versioned, models.Model):
    """One session of a programme: when, where (or the link), and its hours. Each has its
    own check-in secret: the codes of its projector page (``activities.codes``)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(pgettext_lazy("session", "title"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    link = models.URLField(_("online link"), max_length=300, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    checkin_secret = models.CharField(max_length=64, editable=False)
    present_count = models.PositiveIntegerField(_("attended"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["programme_id", "starts_at", "id"]
        indexes = [models.Index(fields=["programme", "starts_at"], name="session_programme")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="session_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


@scoped(
    path="programme__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    grants=False,
    visible=lambda user: units_above_q(user, "school"),
)
class Quota(models.Model):
    """名额: how many people a school may nominate to a programme."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="quotas"
    )
    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    seats = models.PositiveIntegerField(_("seats"))
    used = models.PositiveIntegerField(_("nominated"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("nomination quota")
        verbose_name_plural = _("nomination quotas")
        ordering = ["programme_id", "school__path"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "school"], name="quota_once"),
        ]

    def __str__(self) -> str:
        return f"{self.school}：{self.used}/{self.seats}"


def _own_or_school(user, prefix: str = "") -> Q | None:
    """A participant's own rows, and the rows of the people of a school (or region) where
    the user is an admin or principal."""
    own = Q(**{f"{prefix}person__user_id": user.pk})
    paths = scope_paths(user, NOMINATORS)
    if paths:
        return own | under_q(Enrolment, f"{prefix}person__org_unit__path", paths)
    return own


@scoped(
    path="programme__org_unit__path",
    # "adjust": correcting the hours a completed participant is credited (an organiser's
    # admin only, not the researcher who runs the programme).
    rules={"view": ORGANISERS, "add": ORGANISERS, "change": ORGANISERS, "adjust": ADMINS},
    grants=False,
    check=lambda user, action, e: False if action == "delete" else None,
    visible=_own_or_school,
)
class Enrolment(models.Model):
    """One person on a programme: enrolled, waiting for a seat, or withdrawn; and, once
    completion is computed, the outcome with the conditions missed and the hours."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WAITLISTED = "waitlisted", _("On the waitlist")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Via(models.TextChoices):
        OPEN = "open", _("Enrolled themselves")
        NOMINATION = "nomination", _("Nominated by the school")
        INVITATION = "invitation", _("Invited")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not computed yet")
        COMPLETED = "completed", _("Completed")
        NOT_COMPLETED = "not_completed", _("Not completed")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    school = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The person's unit when they enrolled (nominations count against it)."),
    )
    cohort = models.CharField(_("cohort"), max_length=10, choices=Cohort.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    via = models.CharField(_("how"), max_length=10, choices=Via.choices)
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    waitlisted_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    test_score = models.DecimalField(
        _("test score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=14, choices=Outcome.choices, default="", blank=True
    )
    # What was missed: [{"code": "attendance", "have": 2, "need": 3}, …] (see completion).
    missed = models.JSONField(_("conditions missed"), default=list, blank=True)
    attended_sessions = models.PositiveSmallIntegerField(_("sessions attended"), default=0)
    hours_earned = models.DecimalField(_("hours earned"), max_digits=6, decimal_places=1, default=0)
    hours_adjustment = models.DecimalField(
        _("hours adjustment"), max_digits=6, decimal_places=1, default=0
    )
    adjustment_reason = models.CharField(_("reason for the adjustment"), max_length=300, blank=True)
    added_by = user_ref(_("added by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["programme_id", "id"]
        indexes = [
            models.Index(fields=["programme", "status", "id"], name="enrolment_programme"),
            models.Index(fields=["programme", "school"], name="enrolment_school"),
            models.Index(fields=["person", "-enrolled_at"], name="enrolment_person"),
            models.Index(
                fields=["programme", "status", "waitlisted_at", "id"], name="enrolment_waitlist"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="enrolment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.programme}"

    @property
    def hours_credited(self) -> Decimal:
        if self.outcome != self.Outcome.COMPLETED:
            return Decimal("0")
        return max(Decimal("0"), self.hours_earned + self.hours_adjustment)


@scoped(
    path="session__programme__org_unit__path",
    rules={"view": ORGANISERS, "add": ORGANISERS, "change": ORGANISERS, "import": ORGANISERS},
    grants=False,
    check=lambda user, action, a: False if action == "delete" else None,
    visible=_own_or_school,
)
class Attendance(models.Model):
    """签到: one person at one session — present, late or absent, and how it was known."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")

    class Method(models.TextChoices):
        CODE = "code", _("Typed code")
        QR = "qr", _("QR code")
        IMPORT = "import", _("Imported")

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("attendance"), max_length=8, choices=Status.choices)
    method = models.CharField(_("recorded by"), max_length=8, choices=Method.choices)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        ordering = ["session_id", "id"]
        indexes = [models.Index(fields=["person", "session"], name="attendance_person")]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.session}"

    @property
    def attended(self) -> bool:
        return self.status in {self.Status.PRESENT, self.Status.LATE}


@scoped(
    path="programme__org_unit__path",
    rules={"add": ORGANISERS, "change": ORGANISERS, "delete": ORGANISERS},
    grants=False,
    visible=_follows_programme,
)
class Assignment(Versioned, models.Model):
    """作业: what participants hand in (a file or text) before the deadline."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    title = models.CharField(pgettext_lazy("assignment", "title"), max_length=120)
    instructions = models.TextField(_("instructions"), blank=True)
    deadline = models.DateTimeField(_("deadline"))
    max_score = models.DecimalField(_("full marks"), max_digits=5, decimal_places=1, default=100)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["programme_id", "deadline", "id"]
        indexes = [models.Index(fields=["programme", "deadline"], name="assignment_programme")]

    def __str__(self) -> str:
        return self.title


@scoped(
    path="assignment__programme__org_unit__path",
    rules={"view": ORGANISERS, "add": ORGANISERS, "change": ORGANISERS},
    grants=False,
    check=lambda user, action, s: False if action == "delete" else None,
    visible=lambda user: Q(person__user_id=user.pk),
)
class Submission(models.Model):
    """A participant's work for an assignment, its score and comment; returned once."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for resubmission")
        GRADED = "graded", _("Graded")

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    file = models.FileField(
        _("file"), upload_to="training/submissions/%Y/", max_length=300, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    resubmitted = models.BooleanField(_("resubmitted"), default=False)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    graded_by = user_ref(_("graded by"))
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["assignment_id", "id"]
        indexes = [models.Index(fields=["assignment", "status", "id"], name="submission_status")]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "person"], name="submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.assignment}"


@scoped(
    path="programme__org_unit__path",
    rules={"view": ORGANISERS, "add": ORGANISERS, "change": ORGANISERS},
    grants=False,
    check=lambda user, action, f: False if action in {"change", "delete"} else None,
    visible=lambda user: Q(person__user_id=user.pk),
)
class Feedback(models.Model):
    """A participant's 1–5 rating of a session or of the whole programme."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="feedback"
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training feedback")
        verbose_name_plural = _("training feedback")
        ordering = ["programme_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["programme", "session"], name="training_feedback_prog")]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "person"],
                condition=Q(session__isnull=True),
                name="training_feedback_once",
            ),
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(session__isnull=False),
                name="training_feedback_session",
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="training_feedback_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}：{self.rating}"
