"""Education-quality data: exams and their subjects, the students' scores (restricted), the
stored analysis (one row per exam × level × group × subject), item analysis, value-added
between two exams of one cohort, the resource inputs of the balance standard, and the
explicit permission that opens student-level rows.

Scope (DESIGN.md "Scope"):

* an exam belongs to its owner region (the city or county whose bureau holds it); it is
  seen by everybody whose scope contains that region *or lies inside it* — a school takes
  part in its city's exam and so sees it;
* stored figures carry the tree path of their group (the school for school and class
  rows, the county, the exam's region for the whole-exam row): a school sees its own rows,
  a district its schools' rows, and everybody the rows of the regions above them (the
  county and city references a principal compares against);
* student-level rows (:class:`Candidate`) are seen only with a
  :class:`StudentDataPermission` on a subtree containing the school, whatever the role.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core import restricted
from jiaoyan.core.bases import Timestamped, Versioned, user_ref
from jiaoyan.core.paths import PathField
from jiaoyan.core.roles import ADMINS, ALL_ROLES, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped, user_scopes

EXAM_MANAGERS = ADMINS | {Role.RESEARCHER}

DEFAULT_CUTOFFS = {"excellent": 0.85, "good": 0.70, "pass": 0.60, "low": 0.40}
DEFAULT_WEIGHTS = {"mean": 0.4, "excellent": 0.2, "pass": 0.3, "low": 0.1}
SMALL_GROUP = 10  # aggregates over fewer students are suppressed without the permission


def ancestor_paths(path: str) -> list[str]:
    """``/1/5/23/`` → ``["/1/", "/1/5/", "/1/5/23/"]``."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _ancestors_of_scope(user) -> list[str]:
    paths: set[str] = set()
    for s in user_scopes(user):
        paths.update(ancestor_paths(s.path))
    return sorted(paths)


def permitted_paths(user) -> list[str]:
    """Paths of the subtrees on which ``user`` holds an active student-data permission
    (the core kind ``student_data``, see :mod:`jiaoyan.core.restricted`)."""
    return restricted.permitted_paths(user, restricted.STUDENT_DATA)


def forget_permitted_paths(user) -> None:
    restricted.forget(user)


def _under_any(lookup: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{lookup}__under": p})
    return q


def _exam_visible(user) -> Q:
    return Q(org_unit__path__in=_ancestors_of_scope(user))


@scoped(
    path="org_unit__path",
    rules={
        "view": ALL_ROLES,
        "add": EXAM_MANAGERS,
        "change": EXAM_MANAGERS,
        "delete": ADMINS,
        "import": EXAM_MANAGERS,
    },
    visible=_exam_visible,
)
class Exam(Versioned, Timestamped, models.Model):
    """An exam or monitoring held by a bureau: its subjects, cut-offs and composite weights,
    and the state of its stored analysis (computed once after each import)."""

    class Kind(models.TextChoices):
        ZHONGKAO = "zhongkao", _("Senior-entrance exam")
        MONITORING = "monitoring", _("Quality monitoring")
        SAMPLE = "sample", _("Sample test")
        TERM = "term", _("Mid-term / final exam")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        EMPTY = "empty", _("No scores yet")
        PENDING = "pending", _("Waiting to be analysed")
        RUNNING = "running", _("Analysing")
        READY = "ready", _("Analysis ready")
        FAILED = "failed", _("Analysis failed")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    grade = models.PositiveSmallIntegerField(_("grade"))
    stage = models.ForeignKey(
        "orgs.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("owner unit"),
        on_delete=models.PROTECT,
        related_name="exams",
    )
    excellent_cut = models.FloatField(_("excellent cut-off"), default=0.85)
    good_cut = models.FloatField(_("good cut-off"), default=0.70)
    pass_cut = models.FloatField(_("pass cut-off"), default=0.60)
    low_cut = models.FloatField(_("low cut-off"), default=0.40)
    weight_mean = models.FloatField(_("weight of the mean"), default=0.4)
    weight_excellent = models.FloatField(_("weight of the excellent rate"), default=0.2)
    weight_pass = models.FloatField(_("weight of the pass rate"), default=0.3)
    weight_low = models.FloatField(_("weight of the non-low rate"), default=0.1)
    candidates_count = models.PositiveIntegerField(_("students"), default=0)
    names_dropped = models.BooleanField(_("names dropped on import"), default=False)
    scores_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    data_version = models.PositiveIntegerField(default=0, editable=False)
    # Where the stored figures stand (no scores, being computed, ready, failed); the run
    # computing them is ``analysis_job`` (its phase, progress, message and heartbeat).
    analysis_status = models.CharField(
        _("analysis"), max_length=10, choices=Status.choices, default=Status.EMPTY
    )
    analysis_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    analysis_seconds = models.FloatField(null=True, blank=True, editable=False)
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-date"], name="exam_unit_date"),
            # The exam list's sorts.
            models.Index(fields=["date", "id"], name="exam_date"),
            models.Index(fields=["name"], name="exam_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("quality:exam_detail", args=[self.pk])

    @property
    def is_ready(self) -> bool:
        return self.analysis_status == self.Status.READY

    @property
    def is_busy(self) -> bool:
        return self.analysis_status in {self.Status.PENDING, self.Status.RUNNING}

    @property
    def analysis_progress(self) -> int:
        """0–100: how far the analysis job got (100 once the figures are ready)."""
        if self.is_busy:
            return self.analysis_job.percent if self.analysis_job_id else 0
        return 100 if self.is_ready else 0

    @property
    def analysis_error(self) -> str:
        """Why the last analysis failed, for people (the job's message)."""
        if self.analysis_status != self.Status.FAILED or not self.analysis_job_id:
            return ""
        return self.analysis_job.message

    def cutoffs(self) -> dict[str, float]:
        return {
            "excellent": self.excellent_cut,
            "good": self.good_cut,
            "pass": self.pass_cut,
            "low": self.low_cut,
        }

    def weights(self) -> dict[str, float]:
        return {
            "mean": self.weight_mean,
            "excellent": self.weight_excellent,
            "pass": self.weight_pass,
            "low": self.weight_low,
        }

    @property
    def balance_threshold(self) -> float | None:
        from .stats import balance_threshold

        return balance_threshold(self.stage.code if self.stage_id else "")


class ExamSubject(models.Model):
    """A subject of an exam (the score sheet's column header) with its full marks.
    Cut-offs left empty fall back to the exam's."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="subjects")
    name = models.CharField(_("subject"), max_length=30)
    full_marks = models.FloatField(_("full marks"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    excellent_cut = models.FloatField(_("excellent cut-off"), null=True, blank=True)
    good_cut = models.FloatField(_("good cut-off"), null=True, blank=True)
    pass_cut = models.FloatField(_("pass cut-off"), null=True, blank=True)
    low_cut = models.FloatField(_("low cut-off"), null=True, blank=True)

    class Meta:
        verbose_name = _("exam subject")
        verbose_name_plural = _("exam subjects")
        ordering = ["exam_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "name"], name="exam_subject_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def cutoffs(self, exam: Exam | None = None) -> dict[str, float]:
        exam = exam or self.exam
        base = exam.cutoffs()
        own = {
            "excellent": self.excellent_cut,
            "good": self.good_cut,
            "pass": self.pass_cut,
            "low": self.low_cut,
        }
        return {k: (v if v is not None else base[k]) for k, v in own.items()}


class ExamItem(models.Model):
    """An item (question) of one subject's paper, with its full marks."""

    subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(_("item"), max_length=30)
    full_marks = models.FloatField(_("full marks"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["subject_id", "order"]

    def __str__(self) -> str:
        return self.label


def _candidate_visible(user) -> Q:
    return _under_any("school__path", permitted_paths(user))


def _candidate_check(user, action, cand) -> bool | None:
    if user.is_superuser:
        return None
    if action != "view":
        return False  # scores change only by re-importing the exam's sheet
    path = cand.school.path if cand.school_id else ""
    return any(path.startswith(p) for p in permitted_paths(user))


@scoped(
    path="school__path",
    rules={"view": frozenset()},
    grants=False,
    check=_candidate_check,
    visible=_candidate_visible,
)
class Candidate(models.Model):
    """One student's row in an exam (restricted data). No name is stored: the student is
    known by exam number (考号) and, to link exams of one cohort, the bureau's student key
    (学籍号; the exam number when the sheet has none). ``scores`` is the list of subject
    scores in the exam's subject order, ``None`` for absent."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="candidates")
    exam_no = models.CharField(_("exam number"), max_length=32)
    student_key = models.CharField(_("student key"), max_length=40)
    school = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    class_name = models.CharField(_("class"), max_length=30)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    scores = models.JSONField(_("scores"), default=list)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("student score row")
        verbose_name_plural = _("student score rows")
        ordering = ["exam_id", "school_id", "class_name", "exam_no"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "exam_no"], name="candidate_unique_exam_no")
        ]
        indexes = [
            models.Index(fields=["exam", "school", "class_name"], name="candidate_group"),
            models.Index(fields=["exam", "student_key"], name="candidate_key"),
        ]

    def __str__(self) -> str:
        return self.exam_no


class ItemScore(models.Model):
    """One student's item scores on one subject's paper (``None`` for absent)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="item_scores")
    subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="+")
    scores = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("item scores")
        verbose_name_plural = _("item scores")
        ordering = ["subject_id", "candidate_id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "subject"], name="item_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id}/{self.subject_id}"


def _stat_visible(user) -> Q:
    return Q(path__in=_ancestors_of_scope(user))


class Level(models.TextChoices):
    ALL = "all", _("Whole exam")
    COUNTY = "county", _("County")
    SCHOOL = "school", _("School")
    CLASS = "class", _("Class")


@scoped(path="path", rules={"view": ALL_ROLES}, grants=False, visible=_stat_visible)
class GroupStat(models.Model):
    """The stored figures of one group (the whole exam, a county, a school or a class) on
    one subject (``subject`` empty: the total). Every figure is defined in
    :mod:`jiaoyan.quality.stats`; rates are fractions of the students tested."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="stats")
    level = models.CharField(
        pgettext_lazy("stat group", "level"), max_length=8, choices=Level.choices
    )
    subject = models.ForeignKey(
        ExamSubject, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    class_name = models.CharField(_("class"), max_length=30, blank=True)
    path = PathField(_("path"))
    n = models.PositiveIntegerField(_("tested"))
    absent = models.PositiveIntegerField(_("absent"))
    mean = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    max_score = models.FloatField(null=True)
    min_score = models.FloatField(null=True)
    median = models.FloatField(null=True)
    q1 = models.FloatField(null=True)
    q3 = models.FloatField(null=True)
    excellent_rate = models.FloatField(null=True)
    good_rate = models.FloatField(null=True)
    pass_rate = models.FloatField(null=True)
    low_rate = models.FloatField(null=True)
    all_pass_rate = models.FloatField(null=True)
    z = models.FloatField(null=True)
    t = models.FloatField(null=True)
    rank = models.PositiveIntegerField(null=True)
    peers = models.PositiveIntegerField(null=True)
    rank_in_county = models.PositiveIntegerField(null=True)
    percentile = models.FloatField(null=True)
    ratio_county = models.FloatField(null=True)
    ratio_city = models.FloatField(null=True)
    ratio_school = models.FloatField(null=True)
    composite = models.FloatField(null=True)
    bands = models.JSONField(default=list)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("analysis figure")
        verbose_name_plural = _("analysis figures")
        ordering = ["exam_id", "level", "path", "class_name"]
        indexes = [
            models.Index(fields=["exam", "level", "subject"], name="groupstat_lookup"),
            models.Index(fields=["exam", "org_unit"], name="groupstat_unit"),
            models.Index(fields=["org_unit", "level", "subject"], name="groupstat_trend"),
            models.Index(fields=["path"], name="groupstat_path", opclasses=["varchar_pattern_ops"]),
            # Scoped reads of one exam and level (with or without a subject) read only the
            # rows under the user's unit: the path range inside the exam and level.
            models.Index(
                fields=["exam", "level", "path"],
                name="groupstat_scope",
                opclasses=["", "", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["exam", "level", "subject", "path"],
                name="groupstat_scope_subject",
                opclasses=["", "", "", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}/{self.level}/{self.org_unit_id}/{self.class_name}"


class PaperStat(models.Model):
    """Reliability of one subject's paper (whole exam): Cronbach's α, KR-20 for 0/1 items."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="paper_stats")
    subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField()
    k = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    alpha = models.FloatField(null=True)
    kr20 = models.FloatField(null=True)
    dichotomous = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("paper statistics")
        verbose_name_plural = _("paper statistics")
        ordering = ["exam_id", "subject_id"]

    def __str__(self) -> str:
        return f"{self.exam_id}/{self.subject_id}"


class ItemStat(models.Model):
    """Difficulty, discrimination and item-total correlation of one item (whole exam)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="item_stats")
    subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ExamItem, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    difficulty = models.FloatField(null=True)
    discrimination = models.FloatField(null=True)
    item_total_r = models.FloatField(null=True)

    class Meta:
        verbose_name = _("item statistics")
        verbose_name_plural = _("item statistics")
        ordering = ["exam_id", "subject_id", "item__order"]

    def __str__(self) -> str:
        return f"{self.exam_id}/{self.item_id}"


def _link_visible(user) -> Q:
    return Q(exit_exam__org_unit__path__in=_ancestors_of_scope(user))


def _link_check(user, action, link) -> bool | None:
    if action == "add":
        # Anyone who sees both exams may ask for their value-added to be computed.
        from jiaoyan.core.scope import can

        return can(user, "view", link.entry_exam) and can(user, "view", link.exit_exam)
    return None


@scoped(
    path="exit_exam__org_unit__path",
    rules={"view": ALL_ROLES},
    grants=False,
    check=_link_check,
    visible=_link_visible,
)
class ValueAddedLink(models.Model):
    """A pair of exams of one cohort (entry and exit) whose value-added has been, or is
    being, computed; results in :class:`ValueAddedStat`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be computed")
        RUNNING = "running", _("Computing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    entry_exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    exit_exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    # The latest computation (its status is the pair's, see ``status``).
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    n_linked = models.PositiveIntegerField(default=0)
    n_exit = models.PositiveIntegerField(default=0)
    slope = models.FloatField(null=True)
    intercept = models.FloatField(null=True)
    entry_version = models.PositiveIntegerField(default=0)
    exit_version = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("value-added pair")
        verbose_name_plural = _("value-added pairs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["entry_exam", "exit_exam"], name="va_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_exam_id} → {self.exit_exam_id}"

    @property
    def status(self) -> str:
        """Its latest job's status in the pair's terms; without one, ready once computed."""
        job = self.job if self.job_id else None
        if job is None:
            return self.Status.READY if self.computed_at else self.Status.PENDING
        return {
            "queued": self.Status.PENDING,
            "running": self.Status.RUNNING,
            "succeeded": self.Status.READY,
        }.get(job.status, self.Status.FAILED)

    @property
    def is_current(self) -> bool:
        return (
            self.status == self.Status.READY
            and self.entry_version == self.entry_exam.data_version
            and self.exit_version == self.exit_exam.data_version
        )

    @property
    def awaits_refresh(self) -> bool:
        """Not current, and no computation waiting or under way: someone who may link
        the exams has to ask again (after an import by someone who may not, or a
        failure)."""
        waiting = self.job_id and self.status in (self.Status.PENDING, self.Status.RUNNING)
        return not self.is_current and not waiting


@scoped(path="path", rules={"view": ALL_ROLES}, grants=False, visible=_stat_visible)
class ValueAddedStat(models.Model):
    """Value-added of one group of the exit exam (see :func:`stats.value_added`)."""

    link = models.ForeignKey(ValueAddedLink, on_delete=models.CASCADE, related_name="stats")
    level = models.CharField(
        pgettext_lazy("stat group", "level"), max_length=8, choices=Level.choices
    )
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    class_name = models.CharField(_("class"), max_length=30, blank=True)
    path = PathField(_("path"))
    n_exit = models.PositiveIntegerField()
    n_linked = models.PositiveIntegerField()
    mean_entry = models.FloatField(null=True)
    mean_exit = models.FloatField(null=True)
    mean_z_gain = models.FloatField(null=True)
    mean_residual = models.FloatField(null=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("value-added figure")
        verbose_name_plural = _("value-added figures")
        ordering = ["link_id", "level", "path", "class_name"]
        indexes = [models.Index(fields=["link", "level"], name="vastat_lookup")]

    def __str__(self) -> str:
        return f"{self.link_id}/{self.level}/{self.org_unit_id}/{self.class_name}"


@scoped(
    path="school__path",
    rules={"view": ALL_ROLES, "add": ADMINS, "change": ADMINS, "import": ADMINS},
    grants=False,
)
class BalanceInput(models.Model):
    """One school's inputs to the resource indicators of the 优质均衡 standard (raw
    quantities; the indicators per 100 students or per student are derived)."""

    school = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.CASCADE, related_name="+"
    )
    students = models.PositiveIntegerField(_("students"))
    values = models.JSONField(_("values"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("balance input")
        verbose_name_plural = _("balance inputs")
        ordering = ["school__path"]

    def __str__(self) -> str:
        return str(self.school_id)


def _permission_check(user, action, perm) -> bool | None:
    if action == "view" and perm.user_id == user.pk:
        return True
    return None


@scoped(
    path="org_unit__path",
    rules={"view": ADMINS, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    check=_permission_check,
    visible=lambda user: Q(user_id=user.pk),
)
class StudentDataPermission(restricted.PermissionGrantBase):
    """An explicit permission to read student-level rows (and unsuppressed small groups)
    on one unit's subtree, granted by a bureau admin of that subtree. Every read made with
    it is audited. The grants table of the core kind ``student_data``: read and written
    only through :mod:`jiaoyan.core.restricted`."""

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("student-data permission")
        verbose_name_plural = _("student-data permissions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="studentperm_granted")]
