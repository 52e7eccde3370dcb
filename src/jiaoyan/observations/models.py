"""Lesson observation (听评课): rubrics and their versions, liaison schools (联点联校),
同课异构 rounds, observations with per-criterion scores and S-T sequences, replies, and the
pre-aggregated tables coverage and distribution pages read.

Scope (DESIGN.md "Scope"): an observation belongs to the observed teacher's school; the
school's principal, the researchers and bureau admins above it see it; besides, through
the model's ``visible`` hook, the observer sees what they wrote and the observed teacher
sees the submitted observations of their own lessons — and no one else's; the
observer's own unit sees what its people wrote through a grant; and a researcher sees
the observations and figures of their liaison schools through the unit share
``"liaison"`` (:func:`liaison_school_ids`), the one place that rule is written.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.bases import SubjectStageOptional, Timestamped, Versioned, user_ref
from jiaoyan.core.paths import PathField, Under
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import (
    ScopedQuerySet,
    ancestor_ids,
    is_shared_unit,
    scoped,
    unit_share,
    user_roles,
)

from .st import DEFAULT_INTERVAL, Mode

OBSERVERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}
RUBRIC_EDITORS = ADMINS | {Role.PRINCIPAL}

# The kinds of research activity (``activities.Activity.Kind``) in which lessons are taught
# and observed: an observation or a 同课异构 round links to activities of these kinds only.
LESSON_ACTIVITY_KINDS = ("observation", "same_lesson", "inspection", "outreach", "demonstration")

# Grade of a total score (out of 100), used for labels and the distribution buckets.
GRADE_BANDS = [
    (Decimal(90), _("Excellent")),
    (Decimal(75), _("Good")),
    (Decimal(60), _("Adequate")),
    (Decimal(0), _("Needs improvement")),
]
# Buckets of a percentage for distributions: <60, 60–70, 70–80, 80–90, ≥90.
BUCKET_EDGES = (60, 70, 80, 90)
BUCKET_LABELS = ("<60", "60–70", "70–80", "80–90", "≥90")


def bucket_of(percent: float) -> int:
    for i, edge in enumerate(BUCKET_EDGES):
        if percent < edge:
            return i
    return len(BUCKET_EDGES)


def grade_label(total) -> str:
    if total is None:
        return ""
    for floor, label in GRADE_BANDS:
        if Decimal(total) >= floor:
            return str(label)
    return str(GRADE_BANDS[-1][1])


# --- rubrics -----------------------------------------------------------------------------


def _rubric_visible(user) -> Q:
    # The built-in rubrics, and the rubrics of every unit above one of the user's units:
    # a city's rubric is used in all of its schools.
    return Q(org_unit__isnull=True) | Q(org_unit_id__in=sorted(ancestor_ids(user)))


def _rubric_check(user, action, rubric) -> bool | None:
    if action == "delete":
        return False  # rubrics are retired (is_active=False); observations keep theirs
    if rubric.org_unit_id is None:
        if action == "view":
            return True
        return bool(user.is_superuser)
    return None


@scoped(
    path="org_unit__path",
    rules={"add": RUBRIC_EDITORS, "change": RUBRIC_EDITORS},
    check=_rubric_check,
    visible=_rubric_visible,
    grants=False,
)
class Rubric(Versioned, Timestamped, SubjectStageOptional, models.Model):
    """课堂教学评价表: an observation rubric maintained by a unit's admins.

    Its content (dimensions, weights, criteria, score bands) lives in versions; ``current``
    is the one new observations are scored with. Once an observation uses a version, that
    version never changes again: editing the rubric then makes a new version. A rubric
    may be limited to a stage and/or a subject. ``org_unit`` empty: a built-in rubric,
    shipped with the product and usable everywhere.
    """

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("owning unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    current = models.ForeignKey(
        "RubricVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation rubric")
        verbose_name_plural = _("observation rubrics")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["org_unit", "is_active"], name="rubric_unit")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("observations:rubric_detail", args=[self.pk])

    @property
    def is_builtin(self) -> bool:
        return self.org_unit_id is None

    def applies_to(self, *, stage_id: int | None, subject_id: int | None) -> bool:
        if self.stage_id and self.stage_id != stage_id:
            return False
        return not (self.subject_id and self.subject_id != subject_id)


class RubricVersion(models.Model):
    """One version of a rubric's content. Frozen once an observation is scored with it
    (the observation's snapshot of what it was judged by)."""

    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = user_ref(blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rubric version")
        verbose_name_plural = _("rubric versions")
        ordering = ["rubric_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "number"], name="rubric_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.rubric.name} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("observations:rubric_version", args=[self.rubric_id, self.number])


class RubricDimension(models.Model):
    """评价维度 (教学目标, 教学过程 …) with its weight; the weights of a version add up to 100."""

    rubric_version = models.ForeignKey(
        RubricVersion,
        verbose_name=_("rubric version"),
        on_delete=models.CASCADE,
        related_name="dimensions",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("dimension"), max_length=50)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("rubric dimension")
        verbose_name_plural = _("rubric dimensions")
        ordering = ["rubric_version_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class RubricCriterion(models.Model):
    """评价要点: one scored item of a dimension, scored within [min_score, max_score].

    ``bands`` names parts of that range (``[{"label": "优", "min": 9, "max": 10}, …]``),
    shown to the observer as guidance.
    """

    dimension = models.ForeignKey(
        RubricDimension,
        verbose_name=_("dimension"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("criterion"), max_length=300)
    min_score = models.DecimalField(_("lowest score"), max_digits=5, decimal_places=1, default=0)
    max_score = models.DecimalField(_("highest score"), max_digits=5, decimal_places=1)
    bands = models.JSONField(_("score bands"), default=list, blank=True)

    class Meta:
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        ordering = ["dimension_id", "order", "id"]

    def __str__(self) -> str:
        return self.text

    def band_of(self, score) -> str:
        for band in self.bands or []:
            if Decimal(str(band["min"])) <= Decimal(score) <= Decimal(str(band["max"])):
                return band["label"]
        return ""

    @property
    def bands_text(self) -> str:
        return " ".join(f"{b['label']} {b['min']}–{b['max']}" for b in self.bands or [])


# --- liaison schools ----------------------------------------------------------------------


def _liaison_visible(user) -> Q:
    return Q(researcher__user_id=user.pk)


def _liaison_check(user, action, assignment) -> bool | None:
    if action == "delete":
        return False  # an assignment ends (is_active=False); it is not erased
    return None


@scoped(
    path="school__path",
    rules={"add": ADMINS, "change": ADMINS, "import": ADMINS},
    check=_liaison_check,
    visible=_liaison_visible,
    grants=False,
)
class LiaisonAssignment(models.Model):
    """联点联校: a researcher assigned to guide a school, maintained by bureau admins.

    The researcher may run observations at the school (besides their own region) and
    sees the school's observations and coverage.
    """

    researcher = models.ForeignKey(
        "people.Person",
        verbose_name=_("researcher"),
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    school = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    start_date = models.DateField(_("from"), default=timezone.localdate)
    end_date = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = user_ref(blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("liaison assignment")
        verbose_name_plural = _("liaison assignments")
        ordering = ["school__path", "researcher_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["researcher", "school"],
                condition=Q(is_active=True),
                name="one_active_liaison",
            )
        ]
        indexes = [models.Index(fields=["researcher", "is_active"], name="liaison_researcher")]

    def __str__(self) -> str:
        return f"{self.researcher} → {self.school}"


LIAISON = "liaison"


@unit_share(LIAISON)
def liaison_school_ids(user):
    """Subquery: the schools ``user`` is an active liaison researcher of (None unless the
    user holds a researcher role). The unit share ``"liaison"``: the observations and the
    coverage figures of these schools are visible to the researcher (``shares=`` of the
    models below), and the researcher may record observations there."""
    if Role.RESEARCHER not in user_roles(user):
        return None
    return LiaisonAssignment.objects.filter(researcher__user_id=user.pk, is_active=True).values(
        "school_id"
    )


# --- 同课异构 rounds ---------------------------------------------------------------------


@scoped(
    path="org_unit__path",
    rules={"add": OBSERVERS, "change": OBSERVERS},
    check=lambda user, action, r: False if action == "delete" else None,
)
class ComparisonRound(Versioned, Timestamped, models.Model):
    """同课异构: several teachers teach the same topic; their observations are compared.

    Owned by the organising unit; the schools of the teachers taking part are granted
    sight of it (``core.scope.grant``) when an observation joins the round. A round made
    for a 同课异构 research activity links to it (``activity``), and the observations of
    the round then belong to that activity too.
    """

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=200)
    subject = models.ForeignKey(
        "orgs.Subject", verbose_name=_("subject"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        "orgs.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    description = models.TextField(_("description"), blank=True)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("research activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comparison_rounds",
    )
    # The linked activity's title when it was linked (a snapshot that outlives the link),
    # or the name of an activity that is not on the platform.
    activity_title = models.CharField(_("research activity"), max_length=200, blank=True)
    created_by = user_ref(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("same-lesson round")
        verbose_name_plural = _("same-lesson rounds")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org_unit", "-date"], name="round_unit_date")]

    def __str__(self) -> str:
        return f"{self.topic}（{self.date:%Y-%m-%d}）"

    def get_absolute_url(self) -> str:
        return reverse("observations:round_detail", args=[self.pk])


# --- observations ------------------------------------------------------------------------


class ObservationPathField(PathField):
    """The observation's copy of its school's tree path (the scope lookup, no join).

    Its ``under`` lookup tells the database how to read it: a subtree near the root
    (a province, a city, a county: ``BROAD_DEPTH`` ids or fewer) holds most rows, so the
    path is compared without its index (``path || ''``) and the rows are read in date
    order from the covering index ``obs_list``; a deeper one (a town, a school) is
    looked up through the path index. Without this hint SQLite picks the path index for
    a city's 200,000 rows and sorts them all for a page of 25. PostgreSQL estimates a
    prefix's share of the rows from its statistics and needs no hint: there the path
    stays indexable, so that the subtree can be one index-served branch of the scope's
    OR (a county's researcher: the county's rows, their liaison schools', their own).
    """


BROAD_DEPTH = 3


@ObservationPathField.register_lookup
class UnderIndexed(Under):
    """``under`` as the path index reads it, whatever the depth."""

    lookup_name = "under_indexed"


@ObservationPathField.register_lookup
class UnderHinted(Under):
    lookup_name = "under"

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        depth = self.rhs.count("/") - 1 if isinstance(self.rhs, str) else 99
        if depth <= BROAD_DEPTH:
            lhs, _lhs_params = self.process_lhs(compiler, connection)
            sql = sql.replace(lhs, f"({lhs} || '')", 1)
        return sql, params

    def as_postgresql(self, compiler, connection):
        return Under.as_sql(self, compiler, connection)


def _observation_visible(user) -> Q:
    """Rows seen whatever the roles: what the user wrote, and the submitted observations
    of the user's own lessons.

    The observer's own unit sees observations its people made outside its subtree
    through a grant (``services.create_observation``); a liaison researcher sees their
    schools' observations through the unit share ``"liaison"``."""
    from jiaoyan.people.models import Person

    return Q(observer_id=user.pk) | Q(
        status=Observation.Status.SUBMITTED,
        teacher_id__in_ids=Person.objects.filter(user_id=user.pk).values("pk"),
    )


def _observation_check(user, action, obs) -> bool | None:
    is_observer = obs.observer_id is not None and obs.observer_id == user.pk
    submitted = obs.status == Observation.Status.SUBMITTED
    if action in {"change", "delete", "submit"}:
        return is_observer and not submitted
    if action == "reply":
        return submitted and obs.teacher.user_id is not None and obs.teacher.user_id == user.pk
    if action == "correct":
        if not submitted:
            return False
        return True if is_observer else None
    if action == "view" and not submitted and not is_observer:
        return False  # a draft is the observer's own notes until it is submitted
    if action == "add" and is_shared_unit(user, LIAISON, obs.org_unit_id):
        return True
    if action == "link" and is_observer:
        return True
    return None


def _observation_path(obs) -> str:
    if obs.unit_path:
        return obs.unit_path
    return obs.org_unit.path if obs.org_unit_id else ""


@scoped(
    path="unit_path",
    path_of=_observation_path,
    rules={
        "view": OBSERVERS,
        "add": OBSERVERS | {Role.TEACHER},
        "correct": ADMINS | {Role.PRINCIPAL},
        "link": ADMINS | {Role.RESEARCHER},
    },
    check=_observation_check,
    visible=_observation_visible,
    shares={LIAISON: "org_unit"},
)
class Observation(Versioned, Timestamped, models.Model):
    """One observed lesson: who taught what, who watched, the scores, the S-T record.

    ``total`` and ``dimension_results`` are computed from the per-criterion scores by the
    service (never typed). ``rubric_version`` is the frozen version it was scored with.
    A submitted observation is immutable except through an audited correction.

    An observation within a research activity, a teaching inspection or a 同课异构 round
    may link to the activity it was made in (``activity``, see ``ACTIVITY_KINDS``);
    ``activity_title`` keeps that activity's title as it was when linked.
    """

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DROP_IN = "drop_in", _("Drop-in (推门听课)")
        ACTIVITY = "activity", _("Within a research activity")
        INSPECTION = "inspection", _("Teaching inspection (视导)")
        SAME_LESSON = "same_lesson", _("Same-lesson round (同课异构)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    # The kinds of observation that are made in a research activity (and may link to it).
    ACTIVITY_KINDS = frozenset({Kind.ACTIVITY, Kind.INSPECTION, Kind.SAME_LESSON})

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = ObservationPathField(_("school path"), editable=False)
    teacher = models.ForeignKey(
        "people.Person",
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("observer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    observer_name = models.CharField(_("observer"), max_length=50)
    observer_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("observer's unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    subject = models.ForeignKey(
        "orgs.Subject", verbose_name=_("subject"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        "orgs.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    topic = models.CharField(_("topic"), max_length=200)
    date = models.DateField(_("date"))
    period = models.PositiveSmallIntegerField(_("period"), null=True, blank=True)
    term = models.DateField(_("term"), editable=False)
    rubric_version = models.ForeignKey(
        RubricVersion, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+"
    )
    round = models.ForeignKey(
        ComparisonRound,
        verbose_name=_("same-lesson round"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("research activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    # Snapshot of the linked activity's title (kept if the link goes), or the name of an
    # activity that is not on the platform (free text, as before activities existed).
    activity_title = models.CharField(_("research activity"), max_length=200, blank=True)
    total = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    dimension_results = models.JSONField(_("dimension scores"), default=list, blank=True)
    st_sequence = models.TextField(_("S-T sequence"), blank=True)
    st_interval = models.PositiveSmallIntegerField(
        _("sampling interval (s)"), default=DEFAULT_INTERVAL
    )
    st_rt = models.DecimalField("Rt", max_digits=5, decimal_places=4, null=True, blank=True)
    st_ch = models.DecimalField("Ch", max_digits=5, decimal_places=4, null=True, blank=True)
    st_mode = models.CharField(_("lesson mode"), max_length=10, choices=Mode.choices, blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    corrections = models.PositiveSmallIntegerField(_("corrections"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(
                fields=["unit_path"], name="obs_unit_path", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["org_unit", "-date", "-id"], name="obs_unit_date"),
            models.Index(fields=["teacher", "-date"], name="obs_teacher_date"),
            models.Index(fields=["observer", "-date"], name="obs_observer_date"),
            models.Index(
                fields=["term", "unit_path"],
                name="obs_term_path",
                opclasses=["", "varchar_pattern_ops"],
            ),
            # The list: rows in date order, with every column the scope and the list
            # filters read, so a broad scope is counted and paged from the index alone.
            models.Index(
                fields=[
                    "-date",
                    "-id",
                    "unit_path",
                    "status",
                    "observer",
                    "teacher",
                    "kind",
                    "subject",
                    "stage",
                    "term",
                    "total",
                    "org_unit",
                ],
                name="obs_list",
            ),
            models.Index(
                fields=["-total", "-id", "unit_path", "status", "observer", "teacher"],
                name="obs_by_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("observations:observation_detail", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def grade_label(self) -> str:
        return grade_label(self.total)

    @property
    def st_mode_label(self) -> str:
        return str(Mode(self.st_mode).label) if self.st_mode else ""


class ObservationScore(models.Model):
    """The score given to one criterion of the observation's rubric version."""

    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        RubricCriterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["observation_id", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "criterion"], name="one_score_each")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


class ObservationReply(models.Model):
    """The observed teacher's answer to a submitted observation (read with it)."""

    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="replies"
    )
    author = user_ref(_("author"))
    author_name = models.CharField(_("author"), max_length=50)
    text = models.TextField(_("reply"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["observation_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:30]}"


# --- pre-aggregated tables (filled by services and the rebuild job) ----------------------


STAT_VIEWERS = {"view": OBSERVERS}


# A liaison researcher sees the figures of their liaison schools (the unit share).


@scoped(path="org_unit__path", rules=STAT_VIEWERS, grants=False, shares={LIAISON: "org_unit"})
class TeacherTermStat(models.Model):
    """How often one teacher was observed in one term (submitted observations)."""

    teacher = models.ForeignKey(
        "people.Person", verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="+"
    )
    term = models.DateField(_("term"))
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("school"), on_delete=models.CASCADE, related_name="+"
    )
    observations = models.PositiveIntegerField(_("observations"), default=0)
    last_date = models.DateField(_("last observed"), null=True, blank=True)
    total_sum = models.FloatField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("teacher coverage")
        verbose_name_plural = _("teacher coverage")
        ordering = ["term", "teacher_id"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "term"], name="teacher_term_stat")
        ]
        indexes = [models.Index(fields=["org_unit", "term"], name="tts_unit_term")]

    def __str__(self) -> str:
        return f"{self.teacher_id}@{self.term}: {self.observations}"


@scoped(path="unit__path", rules=STAT_VIEWERS, grants=False, shares={LIAISON: "unit"})
class UnitTermStat(models.Model):
    """Coverage of one unit (a school or any region above it) in one term.

    Every submitted observation counts in its school and in every unit above it, so a
    district's or city's figures are one row (DHIS2-style ancestry roll-up).
    """

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    term = models.DateField(_("term"))
    observations = models.PositiveIntegerField(_("observations"), default=0)
    observed_teachers = models.PositiveIntegerField(_("teachers observed"), default=0)
    total_sum = models.FloatField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit coverage")
        verbose_name_plural = _("unit coverage")
        ordering = ["term", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "term"], name="unit_term_stat")]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.term}: {self.observations}"


@scoped(path="unit__path", rules=STAT_VIEWERS, grants=False, shares={LIAISON: "unit"})
class DimensionStat(models.Model):
    """Distribution of one dimension's percentage (or of the total, ``dimension=""``) in
    one unit, term and subject: count, sum, sum of squares and five buckets."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    term = models.DateField(_("term"))
    subject = models.ForeignKey(
        "orgs.Subject", verbose_name=_("subject"), on_delete=models.CASCADE, related_name="+"
    )
    dimension = models.CharField(_("dimension"), max_length=50, blank=True)
    n = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    total_sq = models.FloatField(default=0)
    b0 = models.PositiveIntegerField(default=0)
    b1 = models.PositiveIntegerField(default=0)
    b2 = models.PositiveIntegerField(default=0)
    b3 = models.PositiveIntegerField(default=0)
    b4 = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("score distribution")
        verbose_name_plural = _("score distributions")
        ordering = ["unit_id", "term", "subject_id", "dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "term", "subject", "dimension"], name="dimension_stat"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.term} {self.subject_id} {self.dimension}: {self.n}"
