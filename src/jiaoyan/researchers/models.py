"""Teaching researchers (教研员): profiles with subjects, stages and yearly duties,
residencies (驻校蹲点) with their visits, and the history of exits and exchanges
(退出/交流).

Liaison schools (联点联校) are ``observations.LiaisonAssignment``, the one record of them:
the researchers app assigns them per term (``services.assign_liaison_schools``) and reads
them for the work record and the coverage page; observations keeps reading them for
its liaison share.

Scope (DESIGN.md "Scope"): a researcher's record belongs to their institute's unit
(``org_unit``, copied onto every row so each is one path lookup); the researcher sees
their own record (the ``visible`` hooks); a residency's school sees the visits made to it
— its principal, through the visit's ``visible`` hook — and nothing else of the record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import SubjectStageOptional, Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scope_paths, scoped, under_q

# Who keeps researchers' profiles and residencies: the bureau admins above the institute.
KEEPERS = ADMINS
# Who may log a residency and its visits: admins, and the researcher (their own, checked).
LOGGERS = ADMINS | {Role.RESEARCHER}


def _own_profile(user) -> Q:
    return Q(person__user_id=user.pk)


def _profile_check(user, action, profile) -> bool | None:
    if action == "delete":
        return False  # a researcher leaves through exit (退出); the record is kept
    return None


@scoped(
    path="org_unit__path",
    rules={"add": KEEPERS, "change": KEEPERS, "exit": KEEPERS, "exchange": KEEPERS},
    check=_profile_check,
    visible=_own_profile,
    grants=False,
)
class ResearcherProfile(Versioned, Timestamped, models.Model):
    """One researcher: a person holding the researcher role, their institute (the owning
    unit), subjects and stages, full- or part-time, and whether they still serve."""

    class Employment(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time")
        PART_TIME = "part_time", _("Part-time")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Serving")
        EXITED = "exited", _("Exited")

    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="researcher_profile",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("institute"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    employment = models.CharField(
        _("employment"), max_length=10, choices=Employment.choices, default=Employment.FULL_TIME
    )
    # A part-time researcher (兼职教研员) teaches at a school besides.
    school = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("school taught at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subjects = models.ManyToManyField("orgs.Subject", verbose_name=_("subjects"), blank=True)
    stages = models.ManyToManyField("orgs.Stage", verbose_name=_("stages"), blank=True)
    since = models.DateField(_("researcher since"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    exited_on = models.DateField(_("exited on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("researcher profile")
        verbose_name_plural = _("researcher profiles")
        ordering = ["org_unit_id", "id"]
        indexes = [models.Index(fields=["org_unit", "status"], name="researcher_unit_status")]

    def __str__(self) -> str:
        return self.person.name

    def get_absolute_url(self) -> str:
        return reverse("researchers:detail", args=[self.pk])


@scoped(
    path="profile__org_unit__path",
    rules={"add": KEEPERS, "change": KEEPERS},
    check=lambda user, action, d: False if action == "delete" else None,
    visible=lambda user: Q(profile__person__user_id=user.pk),
    grants=False,
)
class Duty(models.Model):
    """职责: what a researcher is responsible for in one year (free text)."""

    profile = models.ForeignKey(
        ResearcherProfile,
        verbose_name=_("researcher"),
        on_delete=models.CASCADE,
        related_name="duties",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    text = models.TextField(_("duties"))
    updated_by = user_ref(blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("duties of a year")
        verbose_name_plural = _("duties of a year")
        ordering = ["profile_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "year"], name="one_duty_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.year}"


def _own_residency(user) -> Q:
    return Q(researcher__user_id=user.pk)


def _residency_check(user, action, residency) -> bool | None:
    if action == "delete":
        return False
    if action in {"add", "change", "log"} and Role.RESEARCHER in _roles(user):
        # A researcher keeps their own residencies only (admins keep everyone's).
        if residency.researcher.user_id == user.pk:
            return True
        if not (_roles(user) & ADMINS):
            return False
    return None


def _roles(user) -> set[str]:
    from jiaoyan.core.scope import user_roles

    return user_roles(user)


@scoped(
    path="org_unit__path",
    rules={"add": LOGGERS, "change": LOGGERS, "log": LOGGERS},
    check=_residency_check,
    visible=_own_residency,
    grants=False,
)
class Residency(Versioned, Timestamped, models.Model):
    """驻校蹲点: a researcher stationed at a school for a period, with goals; the visits
    logged during it, and a summary report at the end."""

    profile = models.ForeignKey(
        ResearcherProfile,
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="residencies",
    )
    researcher = models.ForeignKey(
        "people.Person", verbose_name=_("researcher"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("institute"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    goals = models.TextField(_("goals"))
    summary = models.TextField(_("summary report"), blank=True)
    summarised_at = models.DateTimeField(_("summarised at"), null=True, blank=True)
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["researcher", "start_date"], name="residency_researcher"),
            models.Index(fields=["org_unit", "-start_date"], name="residency_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="residency_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.researcher.name} @ {self.school.name}"

    def get_absolute_url(self) -> str:
        return reverse("researchers:residency", args=[self.pk])

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


def _visit_visible(user) -> Q:
    """The researcher's own visits, and, for a school's principal, the visits to it."""
    q = Q(researcher__user_id=user.pk)
    paths = scope_paths(user, {Role.PRINCIPAL})
    if paths:
        q |= under_q(Visit, "school__path", paths)
    return q


def _visit_check(user, action, visit) -> bool | None:
    if action in {"add", "change", "delete"}:
        if visit.researcher.user_id == user.pk:
            return True
        if not (_roles(user) & ADMINS):
            return False
    return None


@scoped(
    path="org_unit__path",
    rules={"add": LOGGERS, "change": LOGGERS, "delete": LOGGERS},
    check=_visit_check,
    visible=_visit_visible,
    grants=False,
)
class Visit(models.Model):
    """One day of a residency at its school: what the researcher did, linking to the
    activity or observation it was when that is on the platform."""

    class Kind(models.TextChoices):
        OBSERVED = "observed", _("Observed lessons")
        LESSON_PREP = "lesson_prep", _("Guided collective lesson preparation")
        MET_PRINCIPAL = "met_principal", _("Met the principal")
        LECTURE = "lecture", _("Gave a talk")
        GUIDANCE = "guidance", _("Guided teachers")
        OTHER = "other", _("Other")

    residency = models.ForeignKey(
        Residency, verbose_name=_("residency"), on_delete=models.CASCADE, related_name="visits"
    )
    researcher = models.ForeignKey(
        "people.Person", verbose_name=_("researcher"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("institute"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("what was done"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("research activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    observation = models.ForeignKey(
        "observations.Observation",
        verbose_name=_("observation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = user_ref(blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("residency visit")
        verbose_name_plural = _("residency visits")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["researcher", "date"], name="visit_researcher_date"),
            models.Index(fields=["school", "date"], name="visit_school_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


@scoped(
    path="org_unit__path",
    rules={"add": KEEPERS},
    check=lambda user, action, c: False if action in {"change", "delete"} else None,
    visible=lambda user: Q(profile__person__user_id=user.pk),
    grants=False,
)
class RoleChange(models.Model):
    """退出/交流: the researcher role ended or moved to another institute, with the reason;
    the history of a profile (owned by the institute the researcher left)."""

    class Kind(models.TextChoices):
        EXIT = "exit", pgettext_lazy("researcher", "Exit")
        EXCHANGE = "exchange", _("Exchange")

    class Reason(models.TextChoices):
        APPRAISAL = "appraisal", _("Appraisal result")
        TRANSFER = "transfer", _("Transfer")
        RETIREMENT = "retirement", _("Retirement")
        REQUEST = "request", _("Own request")
        OTHER = "other", _("Other")

    profile = models.ForeignKey(
        ResearcherProfile,
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="changes",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    date = models.DateField(_("date"))
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("institute left"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("institute joined"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = user_ref(blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("exit or exchange")
        verbose_name_plural = _("exits and exchanges")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.profile} {self.get_kind_display()} {self.date:%Y-%m-%d}"


# --- admission (准入) -------------------------------------------------------------------------


def _round_visible(user) -> Q | None:
    """A published round is seen by everyone of the region below its bureau (the people
    who may apply), besides the keepers of its unit."""
    from jiaoyan.core.scope import units_above_q

    above = units_above_q(user)
    if above is None:
        return None
    return above & Q(status__in=[AdmissionRound.Status.OPEN, AdmissionRound.Status.CLOSED])


def _round_check(user, action, rnd) -> bool | None:
    if action == "delete" and rnd.status != AdmissionRound.Status.DRAFT:
        return False  # a published round keeps its history
    return None


@scoped(
    path="org_unit__path",
    rules={
        "view": KEEPERS | {Role.RESEARCHER},
        "add": KEEPERS,
        "change": KEEPERS,
        "delete": KEEPERS,
    },
    check=_round_check,
    visible=_round_visible,
    grants=False,
)
class AdmissionRound(Versioned, Timestamped, SubjectStageOptional):
    """准入: a bureau's round of admitting teaching researchers — the requirements it
    publishes (each one checkable: from the people records or by its reviewers), the
    application window, the institute the appointed join and how many places it has.

    The requirements are kept as they were published (a list of ``{"kind", "value"}``):
    the candidates are judged by what they applied under."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        CLOSED = "closed", _("Applications closed")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    institute = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("appointed to institute"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(pgettext_lazy("admission", "title"), max_length=100)
    employment = models.CharField(
        _("employment"),
        max_length=10,
        choices=ResearcherProfile.Employment.choices,
        default=ResearcherProfile.Employment.FULL_TIME,
    )
    places = models.PositiveSmallIntegerField(_("places"), default=1)
    opens_on = models.DateField(_("applications from"))
    closes_on = models.DateField(_("applications until"))
    requirements = models.JSONField(_("requirements"), default=list)
    notes = models.TextField(pgettext_lazy("admission", "notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("admission round")
        verbose_name_plural = _("admission rounds")
        ordering = ["-opens_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-opens_on"], name="admission_round_unit"),
            models.Index(fields=["status", "-opens_on"], name="admission_round_status"),
            models.Index(fields=["opens_on", "id"], name="admission_round_opens"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="admission_closes_after_opens"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("researchers:admission_round", args=[self.pk])


def _application_visible(user) -> Q:
    return Q(person__user_id=user.pk)


def _application_check(user, action, app) -> bool | None:
    own = app.person_id is not None and app.person.user_id in (user.pk,) and user.pk is not None
    if action == "add":
        return own  # a candidate applies for themselves
    if action in {"change", "withdraw", "attach"}:
        return own and app.status == AdmissionApplication.Status.SUBMITTED
    if action == "delete":
        return False
    if action in {"review", "decide"} and own:
        return False  # nobody judges their own application
    return None


@scoped(
    path="org_unit__path",
    rules={
        "view": KEEPERS | {Role.RESEARCHER},
        "review": KEEPERS | {Role.RESEARCHER},
        "decide": KEEPERS,
    },
    check=_application_check,
    visible=_application_visible,
    grants=False,
)
class AdmissionApplication(Versioned, Timestamped, models.Model):
    """A candidate's application to an admission round: their statement and evidence,
    the reviewers' records of what the people records cannot show (a demonstration
    lesson's score, the interview), and the result — appointed (the researcher role from
    a start date, a profile at the round's institute) or not, with the reasons.

    ``checks`` is the pre-check as it stood when the result was recorded (the people
    records may change later); until then it is computed from the records."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", pgettext_lazy("admission", "Withdrawn")
        APPOINTED = "appointed", _("Appointed")
        NOT_APPOINTED = "not_appointed", _("Not appointed")

    round = models.ForeignKey(
        AdmissionRound,
        verbose_name=_("admission round"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    statement = models.TextField(_("statement"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.SUBMITTED
    )
    # Per reviewer-recorded requirement kind: {"score"|"passed", "comment", "by", "at"}.
    reviews = models.JSONField(pgettext_lazy("admission", "reviews"), default=dict, blank=True)
    checks = models.JSONField(_("pre-check"), default=list, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    start_date = models.DateField(_("appointed from"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = user_ref(blank=True)
    role_assignment = models.ForeignKey(
        "people.RoleAssignment",
        verbose_name=_("role assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")
        ordering = ["round_id", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["round", "status"], name="admission_app_round"),
            models.Index(fields=["org_unit", "-created_at"], name="admission_app_unit"),
            models.Index(fields=["person", "-created_at"], name="admission_app_person"),
            models.Index(fields=["created_at", "id"], name="admission_app_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "person"],
                condition=~Q(status="withdrawn"),
                name="one_application_per_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.round.title}"

    def get_absolute_url(self) -> str:
        return reverse("researchers:admission_application", args=[self.pk])


@scoped(
    path="application__org_unit__path",
    rules={"view": KEEPERS | {Role.RESEARCHER}},
    check=lambda user, action, e: (
        False
        if action == "change"
        else (
            e.application.person.user_id == user.pk
            and e.application.status == AdmissionApplication.Status.SUBMITTED
            if action in {"add", "delete"}
            else None
        )
    ),
    visible=lambda user: Q(application__person__user_id=user.pk),
    grants=False,
)
class AdmissionEvidence(models.Model):
    """A file a candidate gives as evidence (certificates, a lesson design, a video's
    description) — uploaded through core's guarded path."""

    application = models.ForeignKey(
        AdmissionApplication,
        verbose_name=_("admission application"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to="admission/%Y/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=200)
    note = models.CharField(_("note"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["application_id", "id"]

    def __str__(self) -> str:
        return self.file_name


# --- professional-standard self-review (专业标准自评) and annual appraisal (年度考核) -------------
#
# Shaped like the future generic evaluation module: a scheme (``AppraisalScheme``) with its
# indicators (``AppraisalIndicator``: computed from the work record, or scored by the
# institute) and one result per person (``Appraisal``: per-indicator scores, a total and a
# grade). The self-review's standard is a scheme of statements rated on levels.


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASIC = "basic", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


class Rating(models.IntegerChoices):
    """How far a researcher meets one statement of the standard."""

    NOT_YET = 1, _("Not yet met")
    PARTLY = 2, _("Partly met")
    MET = 3, _("Met")
    EXEMPLARY = 4, _("Exemplary")


def _standard_visible(user) -> Q:
    from jiaoyan.core.scope import ancestor_ids

    # The built-in standard, and those of the units above one of the user's units or of
    # a bureau governing one of them (a bureau's standard is its region's).
    above = sorted(ancestor_ids(user))
    return (
        Q(org_unit__isnull=True)
        | Q(org_unit_id__in=above)
        | Q(org_unit__parent_id__in=above, org_unit__kind__in=["bureau", "institute"])
    )


def _standard_check(user, action, standard) -> bool | None:
    if action == "delete":
        return False  # retired (is_active=False): the self-reviews keep theirs
    if standard.org_unit_id is None:
        return True if action == "view" else bool(user.is_superuser)
    return None


@scoped(
    path="org_unit__path",
    rules={"add": KEEPERS, "change": KEEPERS},
    check=_standard_check,
    visible=_standard_visible,
    grants=False,
)
class ReviewStandard(Versioned, Timestamped, models.Model):
    """专业标准: dimensions, each with statements a researcher rates themselves on.
    ``dimensions``: ``[{"code": "d1", "name": "课程理解", "statements": [{"code": "d1s1",
    "text": "…"}]}]``. The built-in one has no unit; a bureau may keep its own."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    dimensions = models.JSONField(_("dimensions"), default=list)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("professional standard")
        verbose_name_plural = _("professional standards")
        ordering = ["org_unit_id", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("researchers:standard", args=[self.pk])

    def statements(self) -> list[tuple[dict, dict]]:
        return [(d, s) for d in self.dimensions for s in d.get("statements", [])]


def _own_appraisal_row(user) -> Q:
    return Q(profile__person__user_id=user.pk)


def _self_review_check(user, action, review) -> bool | None:
    if action == "delete":
        return False
    if action in {"add", "change"}:
        # A self-review is the researcher's own word: nobody else writes it.
        return review.profile.person.user_id == user.pk
    return None


@scoped(
    path="org_unit__path",
    rules={"view": KEEPERS, "add": LOGGERS, "change": LOGGERS},
    check=_self_review_check,
    visible=_own_appraisal_row,
    grants=False,
)
class SelfReview(Timestamped, models.Model):
    """A researcher's yearly rating of themselves on a standard's statements
    (``ratings``: ``{statement code: 1–4}``), with evidence from their work record
    (``evidence``: ``{dimension code: ["activity:12", "observation:5", …]}``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    profile = models.ForeignKey(
        ResearcherProfile,
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="self_reviews",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("institute"), on_delete=models.PROTECT, related_name="+"
    )
    standard = models.ForeignKey(
        ReviewStandard,
        verbose_name=_("professional standard"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    ratings = models.JSONField(_("self-ratings"), default=dict)
    evidence = models.JSONField(_("supporting records"), default=dict, blank=True)
    reflection = models.TextField(_("reflection and plan"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("self-review")
        verbose_name_plural = _("self-reviews")
        ordering = ["-year", "org_unit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "year"], name="one_self_review_per_year")
        ]
        indexes = [models.Index(fields=["org_unit", "year"], name="self_review_unit_year")]

    def __str__(self) -> str:
        return f"{self.profile} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("researchers:self_review", args=[self.pk])


def _scheme_check(user, action, scheme) -> bool | None:
    if action == "delete":
        return False
    if action == "close":
        return None if scheme.status == "open" else False
    return None


@scoped(
    path="org_unit__path",
    rules={
        "view": KEEPERS,
        "add": KEEPERS,
        "change": KEEPERS,
        "confirm": KEEPERS,
        "close": KEEPERS,
    },
    check=_scheme_check,
    grants=False,
)
class AppraisalScheme(Versioned, Timestamped, models.Model):
    """年度考核方案: a bureau's appraisal of its region's researchers for one year — its
    indicators, the score bands of the grades, the quota of 优秀 (none: no quota) and
    the grades that call for an exit review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Under way")
        CLOSED = "closed", _("Finished")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=100)
    excellent_min = models.DecimalField(
        _("lowest total for excellent"), max_digits=5, decimal_places=1, default=90
    )
    qualified_min = models.DecimalField(
        _("lowest total for qualified"), max_digits=5, decimal_places=1, default=75
    )
    basic_min = models.DecimalField(
        _("lowest total for basically qualified"), max_digits=5, decimal_places=1, default=60
    )
    excellent_quota = models.PositiveSmallIntegerField(
        _("quota of excellent"), null=True, blank=True
    )
    exit_grades = models.JSONField(_("grades calling for an exit review"), default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal scheme")
        verbose_name_plural = _("appraisal schemes")
        ordering = ["-year", "org_unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year"], name="one_scheme_per_unit_year")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("researchers:scheme", args=[self.pk])

    def grade_for(self, total) -> str:
        if total is None:
            return ""
        if total >= self.excellent_min:
            return Grade.EXCELLENT
        if total >= self.qualified_min:
            return Grade.QUALIFIED
        if total >= self.basic_min:
            return Grade.BASIC
        return Grade.UNQUALIFIED


@scoped(
    path="scheme__org_unit__path",
    rules={"view": KEEPERS, "add": KEEPERS, "change": KEEPERS, "delete": KEEPERS},
    grants=False,
)
class AppraisalIndicator(models.Model):
    """One indicator of a scheme: computed from the work record (``measure`` reaching
    ``target`` earns the full ``max_score``, less earns its share) or scored by the
    institute (0 to ``max_score``, with a comment)."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Computed from the work record")
        SCORED = "scored", _("Scored by the institute")

    class Measure(models.TextChoices):
        OBSERVED = "observed", _("Lessons observed")
        LIAISON = "liaison", _("Liaison schools reached each term (%)")
        LEDGER_ON_TIME = "ledger_on_time", _("Ledger items done on time (%)")
        ORGANISED = "organised", _("Activities organised")
        RESIDENCY_DAYS = "residency_days", _("Residency days")
        TRAINING_GIVEN = "training_given", _("Training hours given")

    scheme = models.ForeignKey(
        AppraisalScheme,
        verbose_name=_("appraisal scheme"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    measure = models.CharField(_("measure"), max_length=16, choices=Measure.choices, blank=True)
    target = models.DecimalField(
        _("target (at least)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    max_score = models.DecimalField(_("full score"), max_digits=5, decimal_places=1)
    order = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal indicator")
        verbose_name_plural = _("appraisal indicators")
        ordering = ["scheme_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_code_per_scheme")
        ]

    def __str__(self) -> str:
        return self.name


def _appraisal_check(user, action, appraisal) -> bool | None:
    if action == "delete":
        return False
    own = appraisal.profile.person.user_id == user.pk
    if action == "self_assess":
        return own
    if action in {"review", "add"} and own:
        return False  # nobody reviews their own appraisal
    return None


@scoped(
    path="org_unit__path",
    rules={"view": KEEPERS, "add": KEEPERS, "review": KEEPERS, "self_assess": LOGGERS},
    check=_appraisal_check,
    visible=_own_appraisal_row,
    grants=False,
)
class Appraisal(Timestamped, models.Model):
    """One researcher's result in a scheme: self-assessment → institute review → bureau
    confirmation. ``scores``: ``{indicator code: {"value": …, "score": …, "comment":
    …}}`` (computed indicators carry the value read from the work record)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting self-assessment")
        SELF_ASSESSED = "self_assessed", _("Self-assessed")
        REVIEWED = "reviewed", _("Reviewed by the institute")
        CONFIRMED = "confirmed", _("Confirmed by the bureau")

    scheme = models.ForeignKey(
        AppraisalScheme,
        verbose_name=_("appraisal scheme"),
        on_delete=models.PROTECT,
        related_name="appraisals",
    )
    profile = models.ForeignKey(
        ResearcherProfile,
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="appraisals",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("institute"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PENDING
    )
    self_summary = models.TextField(_("self-assessment"), blank=True)
    self_grade = models.CharField(
        _("grade proposed by the researcher"), max_length=12, choices=Grade.choices, blank=True
    )
    scores = models.JSONField(_("indicator scores"), default=dict, blank=True)
    total = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    grade = models.CharField(_("appraisal grade"), max_length=12, choices=Grade.choices, blank=True)
    review_comment = models.TextField(_("institute's comment"), blank=True)
    exit_review = models.BooleanField(_("exit review called for"), default=False)
    self_assessed_at = models.DateTimeField(_("self-assessed at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = user_ref(_("reviewed by"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = user_ref(_("confirmed by"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual appraisal")
        verbose_name_plural = _("annual appraisals")
        ordering = ["-year", "org_unit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "profile"], name="one_appraisal_per_scheme")
        ]
        indexes = [
            models.Index(fields=["scheme", "grade"], name="appraisal_scheme_grade"),
            models.Index(fields=["org_unit", "year"], name="appraisal_unit_year"),
            models.Index(fields=["profile", "year"], name="appraisal_profile_year"),
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("researchers:appraisal", args=[self.pk])
