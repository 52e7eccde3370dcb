"""Mental-health screening (心理健康筛查): the most sensitive data of the product.

Least exposure by construction:

* every row about a student (:class:`Student`, :class:`Participation`, :class:`Alert`) is
  seen only by accounts holding the restricted permission ``wellbeing``
  (:class:`WellbeingPermission`, granted on a school's or a region's subtree) — whatever
  their role; scope alone shows nothing of them, and every read is audited with a reason
  (:func:`jiaoyan.core.restricted.record_read`);
* identified fields (a student's name, notes) are encrypted at rest
  (:class:`jiaoyan.core.crypto.EncryptedTextField`);
* campaigns and custom scales carry no student data and follow scope as usual;
* others see aggregates only, with small cells suppressed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core import restricted
from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.crypto import EncryptedTextField
from jiaoyan.core.roles import ADMINS, ALL_ROLES, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped, units_above_q

CAMPAIGN_RUNNERS = ADMINS | {Role.COUNSELLOR}
COUNSELLORS = frozenset({Role.COUNSELLOR})


def _grant_check(user, action, perm) -> bool | None:
    if action == "view" and perm.user_id == user.pk:
        return True
    return None


@scoped(
    path="org_unit__path",
    rules={"view": ADMINS, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    check=_grant_check,
    visible=lambda user: Q(user_id=user.pk),
)
class WellbeingPermission(restricted.PermissionGrantBase):
    """The permission to read screening records (identified students, answers, alerts) on
    one unit's subtree, granted by an admin of that subtree to named counsellors and a few
    district staff. The grants table of the core kind ``wellbeing``."""

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("wellbeing permission")
        verbose_name_plural = _("wellbeing permissions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="wbperm_granted")]


def _scale_visible(user) -> Q | None:
    return units_above_q(user, "org_unit")


@scoped(
    path="org_unit__path",
    rules={"view": ALL_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    visible=_scale_visible,
)
class Scale(Versioned, Timestamped, models.Model):
    """A scale a bureau holding a licence defines (the shipped PHQ-9 and GAD-7 live in
    :mod:`jiaoyan.wellbeing.scales`, not here). ``definition`` is checked by
    :func:`jiaoyan.wellbeing.scales.parse_definition`; schools below the bureau use it."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    definition = models.JSONField(_("definition"), default=dict)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scale")
        verbose_name_plural = _("scales")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:scales")

    def as_scale(self):
        from .scales import parse_definition

        return parse_definition(self.code, self.name, self.definition)


def _student_visible(user) -> Q:
    return restricted.permitted_q(user, restricted.WELLBEING, "school__path")


def _restricted_check(lookup: str):
    def check(user, action, obj) -> bool | None:
        if user.is_superuser:
            return None
        school = obj
        for part in lookup.split("__"):
            school = getattr(school, part, None)
        if not restricted.has_permission(user, restricted.WELLBEING, school):
            return False
        # The permission reads; a write also needs the role (counsellor or admin) there.
        return True if action == "view" else None

    return check


@scoped(
    path="school__path",
    rules={
        "view": frozenset(),
        "add": CAMPAIGN_RUNNERS,
        "change": CAMPAIGN_RUNNERS,
        "delete": CAMPAIGN_RUNNERS,
        "import": CAMPAIGN_RUNNERS,
    },
    grants=False,
    check=_restricted_check("school"),
    visible=_student_visible,
)
class Student(Timestamped, models.Model):
    """A student of a roster, known by the school-issued pseudonymous key (学生编号).
    The name is encrypted at rest and shown only to holders of the wellbeing permission
    on the school."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(_("student key"), max_length=40)
    name = EncryptedTextField(_("name"))
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"))
    class_name = models.CharField(_("class"), max_length=30)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["school_id", "grade", "class_name", "key"]
        constraints = [
            models.UniqueConstraint(fields=["school", "key"], name="wb_student_key"),
        ]
        indexes = [models.Index(fields=["school", "grade", "class_name"], name="wb_student_class")]

    def __str__(self) -> str:
        return self.key

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:student", args=[self.pk])


@scoped(
    path="org_unit__path",
    rules={
        "view": ALL_ROLES,
        "add": CAMPAIGN_RUNNERS,
        "change": CAMPAIGN_RUNNERS,
        "delete": CAMPAIGN_RUNNERS,
    },
    visible=_scale_visible,
)
class Campaign(Versioned, Timestamped, models.Model):
    """A screening window (测评活动) run by a district or a school for chosen schools,
    grades and classes, with the scales answered in order and the consent settings.
    Holds no student data."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    scales = models.JSONField(_("scales"), default=list)  # codes, answered in this order
    schools = models.ManyToManyField("orgs.OrgUnit", verbose_name=_("schools"), related_name="+")
    grades = models.JSONField(_("grades"), default=list, blank=True)  # empty: every grade
    classes = models.JSONField(_("classes"), default=list, blank=True)  # empty: every class
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"))
    notice = models.TextField(_("notice to parents"), blank=True)
    opt_out = models.BooleanField(_("parents may opt out"), default=True)
    help_text = models.TextField(_("help-line text"), blank=True)
    class_code = models.CharField(_("class code"), max_length=12, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at", "id"], name="wb_campaign_start")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:campaign", args=[self.pk])

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.starts_at <= now < self.ends_at


class QuestionnaireStatus(models.TextChoices):
    """Where one student's questionnaire stands (``Participation.Status``)."""

    PENDING = "pending", _("Not started")
    STARTED = "started", _("In progress")
    FINISHED = "finished", _("Finished")
    INVALID = "invalid", _("Invalid, re-test offered")
    OPTED_OUT = "opted_out", _("Opted out")


# Versions (core.stamps) of what a campaign's figures are counted from: its participations
# (added, handed in, scored, re-tested, opted out) and the students' grade, class and gender.
FIGURES_STUDENTS = "wellbeing.students"


def figures_key(campaign_id: int) -> str:
    return f"wellbeing.campaign.{campaign_id}"


@scoped(
    path="school__path",
    rules={"view": frozenset(), "add": CAMPAIGN_RUNNERS, "change": CAMPAIGN_RUNNERS},
    grants=False,
    check=_restricted_check("school"),
    visible=_student_visible,
)
class Participation(Versioned, models.Model):
    """One student's questionnaire in a campaign: the one-time code, the answers saved
    item by item (``answers``: scale code -> list of option indexes, ``None`` unanswered),
    and, once finished and scored, ``results`` (scale code -> total, level, crisis,
    factors) and the risk level. Never shown to the student."""

    Status = QuestionnaireStatus

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participations")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="participations")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("answer code"), max_length=12, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answers = models.JSONField(_("answers"), default=dict)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    on_paper = models.BooleanField(_("entered from paper"), default=False)
    invalid_reason = models.CharField(_("why invalid"), max_length=20, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    risk = models.CharField(_("risk level"), max_length=20, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    opt_out_note = EncryptedTextField(_("opt-out note"), blank=True)
    retest_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["campaign_id", "school_id", "id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="wb_part_status"),
            models.Index(fields=["school", "campaign"], name="wb_part_school"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.student_id}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:student", args=[self.student_id])


@scoped(
    path="school__path",
    rules={"view": frozenset(), "change": CAMPAIGN_RUNNERS},
    grants=False,
    check=_restricted_check("school"),
    visible=_student_visible,
)
class Alert(Versioned, Timestamped, models.Model):
    """A crisis flag or a high risk level raised for one participation, shown to the
    school's counsellors until handled. Versioned: two counsellors handling it at once do
    not overwrite each other."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HANDLED = "handled", _("Handled")

    class Reason(models.TextChoices):
        CRISIS = "crisis", _("Crisis item answered")
        RISK = "risk", _("High risk level")

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="alerts"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="alerts")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    scale = models.CharField(_("scale"), max_length=20)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    note = EncryptedTextField(_("note"), blank=True)
    handled_by = user_ref(_("handled by"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["school", "status", "created_at"], name="wb_alert_open"),
            models.Index(fields=["created_at", "id"], name="wb_alert_raised"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "reason", "scale"], name="wb_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.student}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:alert", args=[self.pk])


@scoped(
    path="org_unit__path",
    rules={"view": ALL_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    visible=_scale_visible,
)
class RiskRule(Versioned, Timestamped, models.Model):
    """One rule of a bureau's risk levels: a participation whose results meet every
    condition gets ``level`` (the rule of lowest ``order`` that matches wins). Conditions:
    ``min_total`` on ``scale``, ``factors`` ({name: lowest score}), ``items`` ({item number:
    lowest answer}); ``alert`` raises an alert as a crisis item does."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    scale = models.CharField(_("scale"), max_length=20)
    level = models.CharField(_("risk level"), max_length=20)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    min_total = models.IntegerField(_("lowest total"), null=True, blank=True)
    factors = models.JSONField(_("factors"), default=dict, blank=True)
    items = models.JSONField(_("items"), default=dict, blank=True)
    alert = models.BooleanField(_("raise an alert"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["org_unit_id", "scale", "order", "id"]

    def __str__(self) -> str:
        return f"{self.scale}: {self.level}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:scales")


# --- follow-up (一生一策) ------------------------------------------------------------------


class ConcernLevel(models.TextChoices):
    """How worried the counsellor is after an interview or a visit (lowest first: a later
    level above the case's level is a worsening, which escalates to the district)."""

    WATCH = "watch", _("Watch")
    ATTENTION = "attention", _("Close attention")
    HIGH = "high", _("High risk")
    CRISIS = "crisis", _("Crisis")


CONCERN_RANK = {level: n for n, level in enumerate(ConcernLevel.values)}


@scoped(
    path="school__path",
    rules={"view": frozenset(), "add": CAMPAIGN_RUNNERS, "change": CAMPAIGN_RUNNERS},
    grants=False,
    check=_restricted_check("school"),
    visible=_student_visible,
)
class FollowUpCase(Versioned, Timestamped, models.Model):
    """One student's follow-up (一生一策) opened by the interview after an alert: optional
    district review, referral to medical care, visits on a schedule (``next_due`` every
    ``every_days``), closed with a reason. An overdue visit or a worsening level escalates
    it to the district (back to review). Versioned like the alert it comes from; what was
    said lives, encrypted, in its :class:`FollowUpEntry` rows."""

    class Status(models.TextChoices):
        REVIEW = "review", _("Awaiting district review")
        FOLLOW_UP = "follow_up", _("In follow-up")
        CLOSED = "closed", _("Closed")

    class Escalation(models.TextChoices):
        NONE = "", _("Not escalated")
        OVERDUE = "overdue", _("Follow-up overdue")
        WORSE = "worse", _("Level worsened")

    class CloseReason(models.TextChoices):
        RECOVERED = "recovered", _("Recovered, no further follow-up")
        TRANSFERRED = "transferred", _("Left the school")
        GRADUATED = "graduated", _("Graduated")
        OTHER = "other", _("Other")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="followups"
    )
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="followup"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.FOLLOW_UP
    )
    level = models.CharField(_("concern level"), max_length=10, choices=ConcernLevel.choices)
    every_days = models.PositiveSmallIntegerField(_("follow up every (days)"), default=14)
    next_due = models.DateField(_("next follow-up due"), null=True, blank=True)
    referred = models.BooleanField(_("referred to medical care"), default=False)
    escalation = models.CharField(
        _("escalation"), max_length=10, choices=Escalation.choices, default="", blank=True
    )
    escalated_at = models.DateTimeField(_("escalated to the district at"), null=True, blank=True)
    close_reason = models.CharField(
        _("closed because"), max_length=12, choices=CloseReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    counsellor = user_ref(_("counsellor"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["school", "status", "next_due"], name="wb_case_due"),
            models.Index(fields=["status", "next_due"], name="wb_case_overdue"),
            models.Index(fields=["created_at", "id"], name="wb_case_opened"),
            models.Index(fields=["next_due", "id"], name="wb_case_next"),
        ]

    def __str__(self) -> str:
        return f"{self.student.key} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:followup", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


@scoped(
    path="school__path",
    rules={"view": frozenset(), "add": CAMPAIGN_RUNNERS, "change": frozenset()},
    grants=False,
    check=_restricted_check("school"),
    visible=_student_visible,
)
class FollowUpEntry(models.Model):
    """One step of a follow-up case, in the bureau's record format: an interview (date,
    counsellor, assessment, plan), the district's review, a referral (institution, date,
    outcome), a visit, an escalation or the closing. Texts are encrypted at rest; entries
    are never edited (a correction is a new entry)."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("Interview")
        REVIEW = "review", _("District review")
        REFERRAL = "referral", _("Referral")
        VISIT = "visit", _("Follow-up visit")
        ESCALATION = "escalation", _("Escalated to the district")
        CLOSE = "close", _("Closed")

    case = models.ForeignKey(FollowUpCase, on_delete=models.CASCADE, related_name="entries")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("step"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    by = user_ref(_("entered by"), blank=True)
    level = models.CharField(
        _("concern level"), max_length=10, choices=ConcernLevel.choices, blank=True
    )
    assessment = EncryptedTextField(_("assessment"), blank=True)
    plan = EncryptedTextField(_("plan"), blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    institution = EncryptedTextField(_("institution"), blank=True)
    outcome = EncryptedTextField(_("referral outcome"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up record")
        verbose_name_plural = _("follow-up records")
        ordering = ["case_id", "on", "id"]
        indexes = [models.Index(fields=["case", "on"], name="wb_entry_case")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("wellbeing:followup", args=[self.case_id])


from .models_governance import ExportRequest  # noqa: E402, F401  (the governance tables)
