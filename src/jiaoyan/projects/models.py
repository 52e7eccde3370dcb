"""Research projects (课题): calls for applications (课题指南), projects with their members,
the stages from application to conclusion with their documents and deadlines, expert
reviews, and a bureau's settings (how many ongoing projects one person may lead).

Scope: a project belongs to its host unit (``org_unit``) and is also visible to the
approving unit's chain (the approving unit and the units above it: ``visible`` hook of
:class:`Project`), to its members, and to the experts it is assigned to (a
``core.scope.grant`` to the expert's account, given when they are assigned). A call belongs
to its approving unit and, once published, is visible to the units below it (they apply).
Stage records, documents and members follow their project; a review belongs to the
approving unit and is visible to its expert.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, ALL_ROLES, Role
from jiaoyan.core.scope import (
    ScopedQuerySet,
    granted_ids,
    scope_paths,
    scoped,
    under_q,
    units_above_q,
)

#: Who runs calls, assigns experts and decides: the approving unit's admins and researchers.
MANAGERS = ADMINS | {Role.RESEARCHER}
#: Who applies for a project of their unit.
APPLICANTS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL, Role.TEACHER}


class Level(models.TextChoices):
    """课题级别."""

    NATIONAL = "national", pgettext_lazy("project level", "National")
    PROVINCE = "province", pgettext_lazy("project level", "Provincial")
    CITY = "city", pgettext_lazy("project level", "City")
    COUNTY = "county", pgettext_lazy("project level", "County")
    SCHOOL = "school", pgettext_lazy("project level", "School")


class Stage(models.TextChoices):
    """The stages of a project, in their order (none may be skipped)."""

    APPLICATION = "application", _("Application")
    REVIEW = "review", _("Review")
    OPENING = "opening", _("Opening report")
    MIDTERM = "midterm", _("Mid-term check")
    CONCLUSION = "conclusion", _("Conclusion")


STAGE_ORDER = [s.value for s in Stage]
#: The stages the project team files a report for, after approval.
FILED_STAGES = (Stage.OPENING, Stage.MIDTERM, Stage.CONCLUSION)


class Grade(models.TextChoices):
    """结题等级."""

    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", pgettext_lazy("grade", "Good")
    PASS = "pass", pgettext_lazy("grade", "Pass")
    FAIL = "fail", pgettext_lazy("grade", "Fail")


def _published_calls_above(user) -> Q | None:
    above = units_above_q(user, "org_unit")
    if above is None:
        return None
    return above & ~Q(status="draft")


@scoped(
    path="org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS},
    grants=False,
    check=lambda user, action, c: False if action == "delete" and c.status != "draft" else None,
    visible=_published_calls_above,
)
class ProjectCall(Versioned, Timestamped, models.Model):
    """课题指南: a call for applications of an approving unit, with its topics, the dates
    applications are taken and how many applications each unit below may submit."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        CLOSED = "closed", _("Closed for applications")
        DECIDED = "decided", _("Decided")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("approving unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(pgettext_lazy("call", "title"), max_length=120)
    level = models.CharField(_("project level"), max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    # One topic per line (选题指南).
    topics = models.TextField(_("topics"), blank=True)
    description = models.TextField(pgettext_lazy("call", "description"), blank=True)
    opens_on = models.DateField(_("applications open on"))
    closes_on = models.DateField(_("applications close on"))
    # Applications per unit: the unit nearest above the host unit that has a quota in
    # ``quotas`` ({unit id: n}); otherwise ``default_quota`` for the host unit itself.
    default_quota = models.PositiveSmallIntegerField(_("applications per unit"), default=3)
    quotas = models.JSONField(_("quotas of units"), default=dict, blank=True)
    # 区县推荐: applications of schools reach the approving unit only once the unit right
    # below its region on their path (the county) forwards them, within the quota, which
    # then counts forwarded applications.
    forwarding = models.BooleanField(_("forwarded by the counties"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    application_count = models.PositiveIntegerField(_("applications"), default=0)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("call for projects")
        verbose_name_plural = _("calls for projects")
        ordering = ["-opens_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-opens_on"], name="projectcall_unit"),
            models.Index(fields=["-opens_on", "-id"], name="projectcall_opens"),
            models.Index(fields=["status", "-opens_on"], name="projectcall_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="projectcall_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:call", args=[self.pk])

    @property
    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.topics.splitlines() if t.strip()]

    def phase(self, today=None) -> str:
        today = today or timezone.localdate()
        if self.status == self.Status.DRAFT:
            return "draft"
        if self.status in {self.Status.CLOSED, self.Status.DECIDED}:
            return "closed"
        if today < self.opens_on:
            return "upcoming"
        if today > self.closes_on:
            return "closed"
        return "open"


def _project_beyond_q(user, prefix: str = "", model=None) -> Q:
    """Rows (of a project, or of ``model`` following one through ``prefix``) seen beyond
    the host's subtree: the approving unit's chain, the members, and (for the rows that
    follow a project: the project's own grants are core's) the experts it is granted to."""
    members = ProjectMember.objects.filter(person__user_id=user.pk).values("project_id")
    q = Q(**{f"{prefix}pk__in": members})
    if prefix:
        q |= Q(**{f"{prefix}pk__in": granted_ids(user, Project)})
    paths = scope_paths(user, MANAGERS)
    if paths:
        q |= under_q(model or Project, f"{prefix}approving_unit__path", paths)
    return q


def forwarding_unit_id(project) -> int | None:
    """The unit that forwards ``project``'s application to a call with forwarding: the
    unit right below the approving unit's region on the host's path (the county); none
    when the host is that unit or the region itself (nothing to forward)."""
    from jiaoyan.core.paths import path_ids

    approving = project.approving_unit
    region = approving.parent_id if approving.kind in {"bureau", "institute"} else approving.pk
    ids = path_ids(project.org_unit.path)
    if region not in ids:
        return None
    below = ids[ids.index(region) + 1 : ids.index(region) + 2]
    if not below or below[0] == project.org_unit_id:
        return None
    return below[0]


def _project_check(user, action, project) -> bool | None:
    if action == "delete":
        return False  # a project is rejected or terminated, never deleted
    if action == "forward":
        # The county's own managers (of the county, or of an office right under it)
        # forward their schools' applications; the city does not forward for them.
        unit_id = forwarding_unit_id(project)
        if unit_id is None:
            return False
        if user.is_superuser:
            return True
        path = project.org_unit.path
        county = path[: path.index(f"/{unit_id}/") + len(f"/{unit_id}/")]
        return any(
            p == county or (p.startswith(county) and p[len(county) :].count("/") == 1)
            for p in scope_paths(user, MANAGERS)
        )
    if action == "decide":
        # The approving unit's chain decides, whoever hosts the project.
        from jiaoyan.core.paths import is_under

        if user.is_superuser:
            return True
        path = project.approving_unit.path if project.approving_unit_id else ""
        return bool(path) and any(is_under(path, p) for p in scope_paths(user, MANAGERS))
    return None


@scoped(
    path="org_unit__path",
    rules={"add": APPLICANTS, "change": APPLICANTS},
    check=_project_check,
    visible=_project_beyond_q,
)
class Project(Versioned, Timestamped, models.Model):
    """课题: one research project of a host unit, approved (or not) by an approving unit,
    led by its principal investigator (``pi``, also a member with the role ``pi``)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNDER_REVIEW = "under_review", _("Under review")
        ONGOING = "ongoing", _("Ongoing")
        REJECTED = "rejected", pgettext_lazy("project", "Rejected")
        CONCLUDED = "concluded", _("Concluded")
        TERMINATED = "terminated", _("Terminated")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("host unit"), on_delete=models.PROTECT, related_name="+"
    )
    approving_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("approving unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    call = models.ForeignKey(
        ProjectCall,
        verbose_name=_("call for projects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField(pgettext_lazy("project", "title"), max_length=150)
    level = models.CharField(_("project level"), max_length=10, choices=Level.choices)
    subject = models.ForeignKey(
        "orgs.Subject",
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    theme = models.CharField(_("theme"), max_length=100, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    pi = models.ForeignKey(
        "people.Person",
        verbose_name=_("principal investigator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    number = models.CharField(_("project number"), max_length=40, null=True, blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.APPLICATION
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.APPLIED
    )
    grade = models.CharField(
        _("conclusion grade"), max_length=10, choices=Grade.choices, blank=True
    )
    applied_on = models.DateField(_("applied on"), default=timezone.localdate)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    # Planned dates of the stages after approval (the deadlines of their records).
    opening_due = models.DateField(_("opening report due"), null=True, blank=True)
    midterm_due = models.DateField(_("mid-term check due"), null=True, blank=True)
    conclusion_due = models.DateField(_("conclusion due"), null=True, blank=True)
    # The deadline of the current stage, kept by the services (list filter "overdue").
    due_on = models.DateField(_("current stage due"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # 区县推荐 of an application to a call with ``forwarding`` (services.forward).
    forwarded_on = models.DateField(_("forwarded on"), null=True, blank=True)
    forwarded_by = user_ref(_("forwarded by"))
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("research project")
        verbose_name_plural = _("research projects")
        ordering = ["-applied_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-applied_on"], name="project_unit"),
            models.Index(fields=["approving_unit", "-applied_on"], name="project_approving"),
            models.Index(fields=["-applied_on", "-id"], name="project_applied"),
            models.Index(fields=["level", "-applied_on"], name="project_level"),
            models.Index(fields=["stage", "-applied_on"], name="project_stage"),
            models.Index(fields=["status", "-applied_on"], name="project_status"),
            models.Index(fields=["status", "due_on"], name="project_due"),
            models.Index(fields=["due_on", "id"], name="project_due_on"),
            models.Index(fields=["call", "org_unit"], name="project_call"),
            models.Index(fields=["pi", "level", "status"], name="project_pi"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="project_number_once"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        """Still running: applied, under review or ongoing."""
        return self.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return (
            self.status == self.Status.ONGOING
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )


OPEN_STATUSES = (
    Project.Status.APPLIED,
    Project.Status.UNDER_REVIEW,
    Project.Status.ONGOING,
)


def _members_follow(user) -> Q:
    return _project_beyond_q(user, "project__", ProjectMember)


def _stages_follow(user) -> Q:
    return _project_beyond_q(user, "project__", StageRecord)


@scoped(
    path="project__org_unit__path",
    rules={"add": APPLICANTS, "change": APPLICANTS, "delete": APPLICANTS},
    grants=False,
    visible=_members_follow,
)
class ProjectMember(models.Model):
    """课题组成员: a person on a project, with their role and unit."""

    class Role(models.TextChoices):
        PI = "pi", _("Principal investigator")
        CORE = "core", _("Core member")
        MEMBER = "member", _("Member")

    project = models.ForeignKey(
        Project,
        verbose_name=_("research project"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role in the project"), max_length=8, choices=Role.choices)
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    task = models.CharField(_("task in the project"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project member")
        verbose_name_plural = _("project members")
        ordering = ["project_id", "id"]
        indexes = [models.Index(fields=["person", "project"], name="projectmember_person")]
        constraints = [
            models.UniqueConstraint(fields=["project", "person"], name="projectmember_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.project}"


@scoped(
    path="project__org_unit__path",
    rules={"add": APPLICANTS, "change": APPLICANTS},
    grants=False,
    check=lambda user, action, r: False if action == "delete" else None,
    visible=_stages_follow,
)
class StageRecord(Versioned, models.Model):
    """One stage of a project: its deadline, what was filed and when, and how it ended
    (passed, returned for a new filing); an extension or termination is recorded on the
    stage it happened in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not filed yet")
        SUBMITTED = "submitted", _("Filed")
        PASSED = "passed", _("Passed")
        RETURNED = "returned", _("Returned")
        FAILED = "failed", _("Not passed")

    project = models.ForeignKey(
        Project,
        verbose_name=_("research project"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    note = models.TextField(_("report summary"), blank=True)
    submitted_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=300, blank=True)
    reminded_on = models.DateField(_("owners reminded on"), null=True, blank=True)
    submitted_by = user_ref(_("filed by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project stage")
        verbose_name_plural = _("project stages")
        ordering = ["project_id", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="stagerecord_due")]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="stagerecord_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_stage_display()}"

    @property
    def overdue(self) -> bool:
        return (
            self.status in {self.Status.PENDING, self.Status.RETURNED}
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )


@scoped(
    path="record__project__org_unit__path",
    rules={"add": APPLICANTS, "change": APPLICANTS},
    grants=False,
    check=lambda user, action, d: False if action in {"change", "delete"} else None,
    visible=lambda user: _project_beyond_q(user, "record__project__", StageDocument),
)
class StageDocument(models.Model):
    """A file filed for a stage: the application form, a report, an outcome."""

    class Kind(models.TextChoices):
        APPLICATION_FORM = "application_form", _("Application form")
        OPENING_REPORT = "opening_report", _("Opening report")
        MIDTERM_REPORT = "midterm_report", _("Mid-term report")
        FINAL_REPORT = "final_report", _("Final report")
        OUTCOME = "outcome", _("Outcome file")
        OTHER = "other", _("Other document")

    record = models.ForeignKey(
        StageRecord,
        verbose_name=_("project stage"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(_("document"), max_length=18, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="projects/%Y/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = user_ref(_("uploaded by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage document")
        verbose_name_plural = _("stage documents")
        ordering = ["record_id", "id"]
        indexes = [models.Index(fields=["record", "kind"], name="stagedocument_kind")]

    def __str__(self) -> str:
        return self.file_name


def _review_check(user, action, review) -> bool | None:
    if action == "score":
        # Only the assigned expert scores: not the approving unit's managers (who assign
        # the experts), not a superuser.
        expert_user = review.expert.user_id if review.expert_id else None
        return expert_user is not None and expert_user == user.pk
    return None


@scoped(
    path="project__approving_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    grants=False,
    check=_review_check,
    visible=lambda user: Q(expert__user_id=user.pk),
)
class Review(Versioned, models.Model):
    """专家评审: one expert assigned to review a project at its review (application) or
    conclusion stage, and their score, opinion and recommendation once submitted."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    project = models.ForeignKey(
        Project,
        verbose_name=_("research project"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    expert = models.ForeignKey(
        "people.Person", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ASSIGNED
    )
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    verdict = models.CharField(
        _("recommendation"), max_length=8, choices=Verdict.choices, blank=True
    )
    grade = models.CharField(_("suggested grade"), max_length=10, choices=Grade.choices, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    assigned_by = user_ref(_("assigned by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert review")
        verbose_name_plural = _("expert reviews")
        ordering = ["project_id", "stage", "id"]
        indexes = [
            models.Index(fields=["expert", "status", "-assigned_at"], name="review_expert"),
            models.Index(fields=["-assigned_at", "-id"], name="projectreview_assigned"),
            models.Index(fields=["project", "stage"], name="review_project"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage", "expert"], name="review_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="review_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.project}"


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=lambda user: units_above_q(user, "org_unit"),
)
class ProjectPolicy(Versioned, models.Model):
    """A bureau's setting for the projects of its region: how many ongoing projects of one
    level a person may lead (the nearest region above a host unit decides)."""

    org_unit = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    max_led = models.PositiveSmallIntegerField(
        _("ongoing projects one person may lead at a level"), default=2
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project settings")
        verbose_name_plural = _("project settings")
        ordering = ["org_unit_id"]

    def __str__(self) -> str:
        return f"{self.org_unit}：{self.max_led}"


__all__ = [
    "ALL_ROLES",
    "Grade",
    "Level",
    "Project",
    "ProjectCall",
    "ProjectMember",
    "ProjectPolicy",
    "Review",
    "Stage",
    "StageDocument",
    "StageRecord",
]
