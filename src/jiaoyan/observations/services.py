"""Every write of lesson observation: rubrics (versioned), liaison assignments, 同课异构
rounds, observations (draft → submitted, corrections, replies, S-T sequences)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.activities.models import Activity
from jiaoyan.activities.queries import visible_activities
from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, grant, locked, require
from jiaoyan.core.services import check_version
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from . import st, stats
from .models import (
    LESSON_ACTIVITY_KINDS,
    ComparisonRound,
    LiaisonAssignment,
    Observation,
    ObservationReply,
    ObservationScore,
    Rubric,
    RubricCriterion,
    RubricDimension,
    RubricVersion,
)
from .scoring import (
    DimensionSpec,
    clean_scores,
    compute_results,
    same_structure,
    structure_of,
)
from .terms import term_start

Action = audit.AuditLog.Action
MAX_TEXT = 5000


def _actor_name(actor) -> str:
    person = getattr(actor, "person", None) if actor is not None else None
    if person is not None:
        return person.name
    return actor.get_username() if actor is not None else ""


def _text(value: str | None, *, field: str, label: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(
            _("%(label)s is too long: at most %(n)d characters.") % {"label": label, "n": limit},
            field=field,
        )
    return value


# --- rubrics -----------------------------------------------------------------------------


def version_dimensions(version: RubricVersion) -> list[RubricDimension]:
    """A version's dimensions with their criteria, in order (two queries)."""
    return list(
        RubricDimension.objects.filter(rubric_version=version)
        .order_by("order", "id")
        .prefetch_related(
            Prefetch("criteria", queryset=RubricCriterion.objects.order_by("order", "id"))
        )
    )


def _write_structure(version: RubricVersion, dims: list[DimensionSpec]) -> None:
    for i, d in enumerate(dims, 1):
        dim = RubricDimension.objects.create(
            rubric_version=version, order=i, name=d.name, weight=d.weight
        )
        RubricCriterion.objects.bulk_create(
            [
                RubricCriterion(
                    dimension=dim,
                    order=j,
                    text=c.text,
                    min_score=c.min_score,
                    max_score=c.max_score,
                    bands=c.bands,
                )
                for j, c in enumerate(d.criteria, 1)
            ]
        )


def version_in_use(version: RubricVersion) -> bool:
    return Observation.objects.filter(rubric_version=version).exists()


def _check_rubric_fields(name: str, stage, subject) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_("A rubric needs a name of at most 100 characters."), field="name")
    return name


@transaction.atomic
def create_rubric(
    *,
    actor,
    org_unit: OrgUnit | None,
    name: str,
    structure: list[DimensionSpec],
    description: str = "",
    stage: Stage | None = None,
    subject: Subject | None = None,
) -> Rubric:
    """A new rubric of ``org_unit`` (None: built-in, superusers only) with version 1."""
    rubric = Rubric(
        org_unit=org_unit,
        name=_check_rubric_fields(name, stage, subject),
        description=_text(description, field="description", label=_("The description")),
        stage=stage,
        subject=subject,
    )
    require(actor, "add", rubric)
    rubric.save()
    version = RubricVersion.objects.create(rubric=rubric, number=1, created_by=actor)
    _write_structure(version, structure)
    rubric.current = version
    rubric.save(update_fields=["current"])
    audit.record(
        actor,
        rubric,
        Action.CREATE,
        {
            "name": [None, rubric.name],
            "stage": [None, str(stage) if stage else None],
            "subject": [None, str(subject) if subject else None],
            "current": [None, "v1"],
        },
    )
    return rubric


@transaction.atomic
def update_rubric(
    *,
    actor,
    rubric: Rubric,
    name: str,
    structure: list[DimensionSpec],
    description: str = "",
    stage: Stage | None = None,
    subject: Subject | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Rubric:
    """Edit a rubric. A content change to a version already used by an observation makes
    a new version (old observations keep theirs); an unused version is edited in place."""
    rubric = (
        Rubric.objects.select_for_update(of=("self",)).select_related("current").get(pk=rubric.pk)
    )
    require(actor, "change", rubric)
    check_version(rubric, expected_version)
    name = _check_rubric_fields(name, stage, subject)
    description = _text(description, field="description", label=_("The description"))
    changes: dict[str, list[Any]] = {}
    for field, new in (
        ("name", name),
        ("description", description),
        ("stage", stage),
        ("subject", subject),
    ):
        old = getattr(rubric, field)
        if old != new:
            changes[field] = [str(old) if old else old, str(new) if new else new]
            setattr(rubric, field, new)
    current = rubric.current
    old_dims = structure_of(version_dimensions(current)) if current else []
    if current is None or not same_structure(old_dims, structure):
        if current is not None and not version_in_use(current):
            RubricDimension.objects.filter(rubric_version=current).delete()
            _write_structure(current, structure)
            if note:
                current.note = note[:200]
                current.save(update_fields=["note"])
            changes["structure"] = [f"v{current.number}", f"v{current.number}（已修改）"]
        else:
            number = (current.number if current else 0) + 1
            new_version = RubricVersion.objects.create(
                rubric=rubric, number=number, created_by=actor, note=(note or "")[:200]
            )
            _write_structure(new_version, structure)
            rubric.current = new_version
            changes["current"] = [f"v{current.number}" if current else None, f"v{number}"]
    if not changes:
        return rubric
    rubric.version += 1
    rubric.updated_at = timezone.now()
    rubric.save()
    audit.record(actor, rubric, Action.UPDATE, changes, message=note)
    return rubric


@transaction.atomic
def set_rubric_active(*, actor, rubric: Rubric, active: bool) -> Rubric:
    rubric = locked(actor, "change", rubric)
    if rubric.is_active == active:
        return rubric
    rubric.is_active = active
    rubric.version += 1
    rubric.save(update_fields=["is_active", "version"])
    audit.record(actor, rubric, Action.STATUS, {"is_active": [not active, active]})
    return rubric


def rubric_usable_at(rubric: Rubric, school: OrgUnit) -> bool:
    """A built-in rubric, or one owned by the school or a unit above it."""
    if rubric.org_unit_id is None:
        return True
    return rubric.org_unit_id in school.ancestor_ids


# --- liaison assignments ---------------------------------------------------------------


def _is_researcher(person: Person) -> bool:
    return person.roles.filter(role=Role.RESEARCHER, is_active=True).exists()


@transaction.atomic
def assign_liaison(
    *,
    actor,
    researcher: Person,
    school: OrgUnit,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    note: str = "",
) -> LiaisonAssignment:
    """联点联校: assign a researcher to a school (bureau admins of the school's region)."""
    if school.kind != OrgUnit.Kind.SCHOOL:
        raise ServiceError(_("A liaison assignment is made to a school."), field="school")
    la = LiaisonAssignment(
        researcher=researcher,
        school=school,
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
        note=_text(note, field="note", label=_("The note"), limit=200),
        created_by=actor,
    )
    require(actor, "add", la)
    if researcher.status != Person.Status.ACTIVE or not _is_researcher(researcher):
        raise ServiceError(
            _("%(name)s does not hold an active researcher role.") % {"name": researcher.name},
            field="researcher",
        )
    if end_date and end_date < la.start_date:
        raise ServiceError(_("The end date is before the start date."), field="end_date")
    try:
        with transaction.atomic():
            la.save()
    except IntegrityError:
        raise ServiceError(
            _("%(name)s is already a liaison researcher of %(school)s.")
            % {"name": researcher.name, "school": school.name}
        ) from None
    audit.record(
        actor,
        la,
        Action.CREATE,
        {"researcher": [None, researcher.name], "school": [None, school.name]},
    )
    return la


@transaction.atomic
def end_liaison(*, actor, assignment: LiaisonAssignment, end_date: dt.date | None = None):
    la = locked(actor, "change", assignment)
    if not la.is_active:
        return la
    la.is_active = False
    la.end_date = end_date or timezone.localdate()
    la.ended_at = timezone.now()
    la.save(update_fields=["is_active", "end_date", "ended_at"])
    audit.record(actor, la, Action.STATUS, {"is_active": [True, False]})
    return la


# --- the research activity an observation or a round was made in -------------------------


def _activity_dates(activity: Activity) -> tuple[dt.date, dt.date]:
    return (
        timezone.localtime(activity.starts_at).date(),
        timezone.localtime(activity.ends_at).date(),
    )


def _check_activity(actor, activity: Activity) -> None:
    """The actor sees the activity, lessons are observed in it, and it was not cancelled."""
    if not visible_activities(actor).filter(pk=activity.pk).exists():
        raise ServiceError(_("Unknown activity."), field="activity")
    if activity.kind not in LESSON_ACTIVITY_KINDS:
        raise ServiceError(
            _("“%(title)s” is a %(kind)s activity: no lessons are observed in it.")
            % {"title": activity.title, "kind": activity.get_kind_display()},
            field="activity",
        )
    if activity.status == Activity.Status.CANCELLED:
        raise ServiceError(
            _("The activity “%(title)s” was cancelled.") % {"title": activity.title},
            field="activity",
        )


def _check_activity_date(activity: Activity, date: dt.date) -> None:
    first, last = _activity_dates(activity)
    if isinstance(date, dt.date) and not first <= date <= last:
        span = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d}–{last:%Y-%m-%d}"
        raise ServiceError(
            _("The activity “%(title)s” took place on %(span)s, not on %(date)s.")
            % {"title": activity.title, "span": span, "date": f"{date:%Y-%m-%d}"},
            field="activity",
        )


# --- 同课异构 rounds -------------------------------------------------------------------


@transaction.atomic
def create_round(
    *,
    actor,
    org_unit: OrgUnit,
    topic: str,
    subject: Subject,
    stage: Stage,
    date: dt.date,
    description: str = "",
    activity_title: str = "",
    activity: Activity | None = None,
) -> ComparisonRound:
    """A 同课异构 round of ``org_unit``. Made for a 同课异构 research ``activity`` (one the
    actor sees), it links to it: the subject, stage and date must agree with the activity,
    and ``activity_title`` becomes the activity's title."""
    topic = (topic or "").strip()
    if not topic or len(topic) > 200:
        raise ServiceError(_("A round needs a topic of at most 200 characters."), field="topic")
    rnd = ComparisonRound(
        org_unit=org_unit,
        topic=topic,
        subject=subject,
        stage=stage,
        date=date,
        description=_text(description, field="description", label=_("The description")),
        activity_title=_text(
            activity_title, field="activity_title", label=_("The activity"), limit=200
        ),
        created_by=actor,
    )
    require(actor, "add", rnd)
    if activity is not None:
        if activity.kind != Activity.Kind.SAME_LESSON:
            raise ServiceError(
                _(
                    "A same-lesson round is held in a same-lesson (同课异构) activity; "
                    "“%(title)s” is a %(kind)s activity."
                )
                % {"title": activity.title, "kind": activity.get_kind_display()},
                field="activity",
            )
        _check_activity(actor, activity)
        for field, label in (("subject", _("subject")), ("stage", _("stage"))):
            wanted = getattr(activity, f"{field}_id")
            if wanted is not None and wanted != getattr(rnd, f"{field}_id"):
                raise ServiceError(
                    _("The activity “%(title)s” is for %(value)s: the round's %(what)s differs.")
                    % {
                        "title": activity.title,
                        "value": getattr(activity, field).name,
                        "what": label,
                    },
                    field=field,
                )
        _check_activity_date(activity, date)
        rnd.activity = activity
        rnd.activity_title = activity.title[:200]
    rnd.save()
    audit.record(
        actor,
        rnd,
        Action.CREATE,
        {
            "topic": [None, topic],
            "subject": [None, str(subject)],
            "stage": [None, str(stage)],
            "date": [None, date.isoformat()],
            **({"activity": [None, activity.title]} if activity is not None else {}),
        },
    )
    return rnd


# --- observations ------------------------------------------------------------------------

EDITABLE = [
    "kind",
    "subject",
    "stage",
    "grade",
    "class_name",
    "topic",
    "date",
    "period",
    "round",
    "activity",
    "activity_title",
    "strengths",
    "suggestions",
    "notes",
    "st_interval",
]
DRAFT_AUDITED = [*EDITABLE, "teacher", "rubric_version", "st_sequence", "total"]
# What a correction of a submitted observation may change (not who, where or which rubric).
CORRECTABLE = [
    "grade",
    "class_name",
    "topic",
    "date",
    "period",
    "strengths",
    "suggestions",
    "notes",
    "st_interval",
]
TEXT_LIMITS = {
    "grade": 20,
    "class_name": 20,
    "topic": 200,
    "activity_title": 200,
    "strengths": MAX_TEXT,
    "suggestions": MAX_TEXT,
    "notes": MAX_TEXT,
}


def _labels() -> dict[str, str]:
    return {f.name: str(f.verbose_name) for f in Observation._meta.get_fields() if f.concrete}


def _validate_lesson(obs: Observation, *, actor, before: Observation | None = None) -> None:
    """Check one observation's fields together (raises ServiceError, nothing saved).

    ``before`` is the observation as it was stored (None for a new one)."""
    labels = _labels()
    for field, limit in TEXT_LIMITS.items():
        value = (getattr(obs, field) or "").strip()
        if len(value) > limit:
            raise ServiceError(
                _("%(label)s is too long: at most %(n)d characters.")
                % {"label": labels[field], "n": limit},
                field=field,
            )
        setattr(obs, field, value)
    if not obs.topic:
        raise ServiceError(_("Give the lesson's topic."), field="topic")
    if obs.kind not in Observation.Kind.values:
        raise ServiceError(_("Unknown kind of observation."), field="kind")
    today = timezone.localdate()
    if not isinstance(obs.date, dt.date) or obs.date > today or obs.date.year < 2000:
        raise ServiceError(
            _("The lesson's date must be a real date, not in the future."), field="date"
        )
    if obs.period is not None and not 1 <= int(obs.period) <= 12:
        raise ServiceError(_("The period must be between 1 and 12."), field="period")
    if not 5 <= int(obs.st_interval or 0) <= 600:
        raise ServiceError(
            _("The sampling interval must be between 5 and 600 seconds."), field="st_interval"
        )
    school_stages = set(obs.org_unit.school.stages.values_list("pk", flat=True))
    if school_stages and obs.stage_id not in school_stages:
        raise ServiceError(
            _("%(school)s has no %(stage)s classes.")
            % {"school": obs.org_unit.name, "stage": obs.stage.name},
            field="stage",
        )
    rubric = obs.rubric_version.rubric
    if not rubric.applies_to(stage_id=obs.stage_id, subject_id=obs.subject_id):
        scope_text = "".join(str(x) for x in (rubric.stage, rubric.subject) if x is not None)
        raise ServiceError(
            _(
                "The rubric “%(rubric)s” is for %(scope)s lessons; this lesson is "
                "%(stage)s %(subject)s."
            )
            % {
                "rubric": rubric.name,
                "scope": scope_text,
                "stage": obs.stage.name,
                "subject": obs.subject.name,
            },
            field="rubric",
        )
    if obs.kind == Observation.Kind.SAME_LESSON:
        if obs.round_id is None:
            raise ServiceError(
                _("A same-lesson observation belongs to a round: choose the round."),
                field="round",
            )
    elif obs.round_id is not None:
        raise ServiceError(
            _("Only a same-lesson observation (同课异构) belongs to a round."), field="round"
        )
    if obs.round_id is not None:
        rnd = obs.round
        if not can(actor, "view", rnd):
            raise ServiceError(_("Unknown round."), field="round")
        if rnd.subject_id != obs.subject_id or rnd.stage_id != obs.stage_id:
            raise ServiceError(
                _("The round “%(round)s” is a %(stage)s %(subject)s round.")
                % {"round": rnd.topic, "stage": rnd.stage.name, "subject": rnd.subject.name},
                field="round",
            )
    _validate_activity(obs, actor=actor, before=before)


def _validate_activity(obs: Observation, *, actor, before: Observation | None) -> None:
    """The research activity of an observation.

    A round's observations belong to the round's activity. Otherwise an observation within
    an activity, or of a teaching inspection, may link to one the observer sees, on the
    lesson's date; the link keeps the activity's title (``activity_title``). Without a
    link, ``activity_title`` may name an activity that is not on the platform. Other
    kinds of observation have no activity.
    """
    if obs.round_id is not None and obs.round.activity_id is not None:
        # The round (which the observer sees: checked above) decides; its date was
        # checked against the activity when the round was made.
        obs.activity = obs.round.activity
        obs.activity_title = obs.activity.title[:200]
        return
    if obs.kind not in Observation.ACTIVITY_KINDS:
        if obs.activity_id is not None:
            raise ServiceError(
                _(
                    "Only an observation within an activity, of a teaching inspection or "
                    "of a same-lesson round belongs to a research activity."
                ),
                field="activity",
            )
        obs.activity_title = ""
        return
    if obs.activity_id is None:
        return
    linked_before = before.activity_id if before is not None else None
    if obs.activity_id != linked_before:
        _check_activity(actor, obs.activity)
        obs.activity_title = obs.activity.title[:200]
    elif before is not None:
        obs.activity_title = before.activity_title  # the title it was linked with
    if obs.activity_id != linked_before or before is None or obs.date != before.date:
        _check_activity_date(obs.activity, obs.date)


def _apply_st(obs: Observation, raw: str | None) -> None:
    result = st.analyse(raw or "", obs.st_interval or st.DEFAULT_INTERVAL)
    if result is None:
        obs.st_sequence, obs.st_rt, obs.st_ch, obs.st_mode = "", None, None, ""
    else:
        obs.st_sequence = result.sequence
        obs.st_rt = Decimal(result.rt.numerator) / Decimal(result.rt.denominator)
        obs.st_rt = obs.st_rt.quantize(Decimal("0.0001"))
        obs.st_ch = (Decimal(result.ch.numerator) / Decimal(result.ch.denominator)).quantize(
            Decimal("0.0001")
        )
        obs.st_mode = result.mode


def _save_scores(obs: Observation, dims, scores: dict[int, Decimal]) -> dict[str, list]:
    """Replace the observation's scores; returns the per-criterion changes for audit."""
    old = dict(
        ObservationScore.objects.filter(observation=obs).values_list("criterion_id", "score")
    )
    changes = {}
    texts = {c.pk: c.text for d in dims for c in d.criteria.all()}
    for cid in set(old) | set(scores):
        a, b = old.get(cid), scores.get(cid)
        if (a is None) != (b is None) or (a is not None and Decimal(a) != Decimal(b)):
            changes[texts.get(cid, str(cid))[:40]] = [
                str(a) if a is not None else None,
                str(b) if b is not None else None,
            ]
    if changes:
        ObservationScore.objects.filter(observation=obs).delete()
        ObservationScore.objects.bulk_create(
            [ObservationScore(observation=obs, criterion_id=c, score=s) for c, s in scores.items()]
        )
    obs.total, obs.dimension_results = compute_results(dims, scores)
    return changes


def current_scores(obs: Observation) -> dict[int, Decimal]:
    return {
        c: Decimal(s)
        for c, s in ObservationScore.objects.filter(observation=obs).values_list(
            "criterion_id", "score"
        )
    }


def _usable_version(actor, rubric: Rubric, school: OrgUnit) -> RubricVersion:
    rubric = Rubric.objects.select_related("current").get(pk=rubric.pk)
    if not rubric.is_active or rubric.current_id is None:
        raise ServiceError(
            _("The rubric “%(name)s” is not in use.") % {"name": rubric.name}, field="rubric"
        )
    if not can(actor, "view", rubric) or not rubric_usable_at(rubric, school):
        raise ServiceError(
            _("The rubric “%(name)s” is not one %(school)s uses.")
            % {"name": rubric.name, "school": school.name},
            field="rubric",
        )
    return rubric.current


@transaction.atomic
def create_observation(
    *,
    actor,
    teacher: Person,
    rubric: Rubric,
    kind: str,
    subject: Subject,
    stage: Stage,
    topic: str,
    date: dt.date,
    period: int | None = None,
    grade: str = "",
    class_name: str = "",
    round: ComparisonRound | None = None,
    activity: Activity | None = None,
    activity_title: str = "",
    scores: Mapping[Any, Any] | None = None,
    st_sequence: str = "",
    st_interval: int = st.DEFAULT_INTERVAL,
    strengths: str = "",
    suggestions: str = "",
    notes: str = "",
    submit: bool = False,
) -> Observation:
    """Start an observation of ``teacher``'s lesson (a draft; ``submit`` to submit at once).

    It belongs to the teacher's school. The observer is ``actor``; the rubric's current
    version is the one it is scored with, from now on. ``activity``: the research activity
    it is made in (see ``_validate_activity``).
    """
    school = teacher.org_unit
    if school.kind != OrgUnit.Kind.SCHOOL:
        raise ServiceError(_("Only lessons of a school's staff can be observed."), field="teacher")
    if teacher.status != Person.Status.ACTIVE:
        raise ServiceError(_("%(name)s is not in post.") % {"name": teacher.name}, field="teacher")
    if teacher.user_id is not None and teacher.user_id == actor.pk:
        raise ServiceError(_("You cannot observe your own lesson."), field="teacher")
    obs = Observation(
        org_unit=school,
        unit_path=school.path,
        teacher=teacher,
        observer=actor,
        observer_name=_actor_name(actor)[:50],
        observer_unit=getattr(getattr(actor, "person", None), "org_unit", None),
        kind=kind,
        subject=subject,
        stage=stage,
        grade=grade or "",
        class_name=class_name or "",
        topic=topic or "",
        date=date,
        period=period,
        round=round,
        activity=activity,
        activity_title=activity_title or "",
        st_interval=st_interval or st.DEFAULT_INTERVAL,
        strengths=strengths or "",
        suggestions=suggestions or "",
        notes=notes or "",
    )
    require(actor, "add", obs)
    obs.rubric_version = _usable_version(actor, rubric, school)
    _validate_lesson(obs, actor=actor)
    _apply_st(obs, st_sequence)
    dims = version_dimensions(obs.rubric_version)
    cleaned = clean_scores(dims, dict(scores or {}), complete=submit)
    obs.term = term_start(obs.date)
    obs.total, obs.dimension_results = compute_results(dims, cleaned)
    obs.save()
    _save_scores(obs, dims, cleaned)
    audit.record(
        actor,
        obs,
        Action.CREATE,
        {
            "teacher": [None, teacher.name],
            "topic": [None, obs.topic],
            "kind": [None, obs.kind],
            "date": [None, obs.date.isoformat()],
            "rubric_version": [None, str(obs.rubric_version)],
            **({"activity": [None, obs.activity_title]} if obs.activity_id else {}),
        },
    )
    # The observer's own unit (the region a researcher or admin governs, the school of a
    # principal or teacher) keeps sight of what its people wrote outside its subtree.
    home = obs.observer_unit.scope_root if obs.observer_unit is not None else None
    if home is not None and not school.path.startswith(home.path):
        grant(obs, unit=home, reason="听课人单位")
    if round is not None:
        grant(round, unit=school, reason="同课异构")
    if submit:
        _submit(actor, obs)
    return obs


@transaction.atomic
def update_observation(
    *,
    actor,
    observation: Observation,
    data: Mapping[str, Any],
    scores: Mapping[Any, Any] | None = None,
    st_sequence: str | None = None,
    rubric: Rubric | None = None,
    teacher: Person | None = None,
    expected_version: int | None = None,
) -> Observation:
    """Edit a draft (only its observer). ``scores`` replaces all scores when given."""
    obs = locked(actor, "change", observation)
    check_version(obs, expected_version)
    stored = Observation(
        activity_id=obs.activity_id, activity_title=obs.activity_title, date=obs.date
    )
    before = audit.snapshot(obs, DRAFT_AUDITED)
    for field in EDITABLE:
        if field in data:
            setattr(obs, field, data[field])
    if teacher is not None and teacher.pk != obs.teacher_id:
        if teacher.org_unit_id != obs.org_unit_id or teacher.status != Person.Status.ACTIVE:
            raise ServiceError(
                _("The teacher must be in post at %(school)s.") % {"school": obs.org_unit.name},
                field="teacher",
            )
        if teacher.user_id is not None and teacher.user_id == actor.pk:
            raise ServiceError(_("You cannot observe your own lesson."), field="teacher")
        obs.teacher = teacher
    rubric_changed = False
    if rubric is not None and rubric.pk != obs.rubric_version.rubric_id:
        obs.rubric_version = _usable_version(actor, rubric, obs.org_unit)
        rubric_changed = True
    _validate_lesson(obs, actor=actor, before=stored)
    if st_sequence is not None:
        _apply_st(obs, st_sequence)
    elif "st_interval" in data:
        _apply_st(obs, obs.st_sequence)
    dims = version_dimensions(obs.rubric_version)
    if rubric_changed:
        ObservationScore.objects.filter(observation=obs).delete()
    if scores is not None:
        cleaned = clean_scores(dims, dict(scores), complete=False)
    else:
        cleaned = {} if rubric_changed else current_scores(obs)
    obs.term = term_start(obs.date)
    score_changes = _save_scores(obs, dims, cleaned)
    changes = audit.diff(before, audit.snapshot(obs, DRAFT_AUDITED))
    changes.update({f"评分：{k}": v for k, v in score_changes.items()})
    if not changes:
        return obs
    obs.version += 1
    obs.updated_at = timezone.now()
    obs.save()
    audit.record(actor, obs, Action.UPDATE, changes)
    return obs


def _submit(actor, obs: Observation) -> None:
    dims = version_dimensions(obs.rubric_version)
    scores = current_scores(obs)
    clean_scores(dims, {k: str(v) for k, v in scores.items()}, complete=True)
    obs.total, obs.dimension_results = compute_results(dims, scores)
    if not obs.strengths and not obs.suggestions:
        raise ServiceError(
            _("Write the lesson's strengths or your suggestions before submitting."),
            field="suggestions",
        )
    obs.status = Observation.Status.SUBMITTED
    obs.submitted_at = timezone.now()
    obs.version += 1
    obs.updated_at = obs.submitted_at
    obs.save()
    stats.apply(obs, +1)
    audit.record(
        actor,
        obs,
        Action.STATUS,
        {
            "status": [Observation.Status.DRAFT, Observation.Status.SUBMITTED],
            "total": [None, str(obs.total)],
        },
    )
    if obs.teacher.user_id:
        notify(
            [obs.teacher.user_id],
            title=_("%(observer)s observed your lesson “%(topic)s”")
            % {"observer": obs.observer_name, "topic": obs.topic[:60]},
            url=obs.get_absolute_url(),
            about=obs,
        )


@transaction.atomic
def submit_observation(
    *, actor, observation: Observation, expected_version: int | None = None
) -> Observation:
    """Draft → submitted: every criterion scored; the teacher is told; then immutable."""
    obs = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("org_unit", "teacher")
        .get(pk=observation.pk)
    )
    require(actor, "submit", obs)
    check_version(obs, expected_version)
    _submit(actor, obs)
    return obs


@transaction.atomic
def delete_draft(*, actor, observation: Observation) -> None:
    obs = locked(actor, "delete", observation)
    audit.record(actor, obs, Action.DELETE, {"topic": [obs.topic, None]})
    obs.delete()


@transaction.atomic
def correct_observation(
    *,
    actor,
    observation: Observation,
    reason: str,
    data: Mapping[str, Any],
    scores: Mapping[Any, Any] | None = None,
    st_sequence: str | None = None,
    expected_version: int | None = None,
) -> Observation:
    """An audited correction of a submitted observation (its observer, or an admin or the
    principal over its school). Who, where and the rubric stay; the reason is required."""
    obs = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("org_unit", "teacher", "rubric_version__rubric")
        .get(pk=observation.pk)
    )
    require(actor, "correct", obs)
    check_version(obs, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the observation is corrected."), field="reason")
    if len(reason) > 300:
        raise ServiceError(_("The reason is too long: at most 300 characters."), field="reason")
    before_obs = Observation.objects.select_related("org_unit").get(pk=obs.pk)
    before = audit.snapshot(obs, [*CORRECTABLE, "st_sequence", "total"])
    for field in CORRECTABLE:
        if field in data:
            setattr(obs, field, data[field])
    _validate_lesson(obs, actor=actor, before=before_obs)
    if st_sequence is not None:
        _apply_st(obs, st_sequence)
    elif "st_interval" in data:
        _apply_st(obs, obs.st_sequence)
    dims = version_dimensions(obs.rubric_version)
    cleaned = (
        clean_scores(dims, dict(scores), complete=True)
        if scores is not None
        else current_scores(obs)
    )
    obs.term = term_start(obs.date)
    score_changes = _save_scores(obs, dims, cleaned)
    changes = audit.diff(before, audit.snapshot(obs, [*CORRECTABLE, "st_sequence", "total"]))
    changes.update({f"评分：{k}": v for k, v in score_changes.items()})
    if not changes:
        raise ServiceError(_("Nothing was changed."))
    stats.apply(before_obs, -1)
    obs.corrections += 1
    obs.version += 1
    obs.updated_at = timezone.now()
    obs.save()
    stats.apply(obs, +1)
    audit.record(actor, obs, Action.UPDATE, changes, message=_("Correction: %(r)s") % {"r": reason})
    if obs.teacher.user_id and obs.teacher.user_id != actor.pk:
        notify(
            [obs.teacher.user_id],
            title=_("The observation of your lesson “%(topic)s” was corrected")
            % {"topic": obs.topic[:60]},
            body=reason,
            url=obs.get_absolute_url(),
            about=obs,
        )
    return obs


@transaction.atomic
def reply(*, actor, observation: Observation, text: str) -> ObservationReply:
    """The observed teacher answers a submitted observation; the observer is told."""
    obs = Observation.objects.select_related("teacher").get(pk=observation.pk)
    require(actor, "reply", obs)
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write a reply first."), field="text")
    if len(text) > 2000:
        raise ServiceError(_("The reply is too long: at most 2000 characters."), field="text")
    r = ObservationReply.objects.create(
        observation=obs, author=actor, author_name=_actor_name(actor)[:50], text=text
    )
    audit.record(actor, obs, Action.UPDATE, {"reply": [None, text[:200]]})
    notify(
        [obs.observer_id],
        title=_("%(teacher)s replied to your observation of “%(topic)s”")
        % {"teacher": obs.teacher.name, "topic": obs.topic[:60]},
        body=text[:500],
        url=obs.get_absolute_url() + "#replies",
        about=obs,
    )
    return r


@transaction.atomic
def attach_to_activity(*, actor, observation: Observation, activity: Activity) -> Observation:
    """Mark an observation as made within a research activity (``Observation.activity``).

    Allowed to whoever may link the observation (its observer, and the admins and
    researchers over its school: the ``link`` rule) on drafts and submitted observations
    alike (it does not touch the scores), and only to an activity the actor sees
    (``activities.queries.visible_activities``) in which lessons are observed, on the
    lesson's date. A drop-in or scheduled observation becomes one "within an activity" (of
    a teaching inspection, for an inspection activity); a 同课异构 observation follows its
    round's activity. ``activity_title`` keeps the activity's title. Audited.
    """
    obs = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("round__activity", "activity")
        .get(pk=observation.pk)
    )
    require(actor, "link", obs)
    _check_activity(actor, activity)
    _check_activity_date(activity, obs.date)
    rnd = obs.round
    if rnd is not None and rnd.activity_id is not None and rnd.activity_id != activity.pk:
        raise ServiceError(
            _("This observation belongs to the round “%(round)s” of the activity “%(title)s”.")
            % {"round": rnd.topic, "title": rnd.activity.title},
            field="activity",
        )
    before = audit.snapshot(obs, ["activity", "kind"])
    obs.activity = activity
    obs.activity_title = activity.title[:200]
    if obs.kind not in Observation.ACTIVITY_KINDS:
        obs.kind = (
            Observation.Kind.INSPECTION
            if activity.kind == Activity.Kind.INSPECTION
            else Observation.Kind.ACTIVITY
        )
    changes = audit.diff(before, audit.snapshot(obs, ["activity", "kind"]))
    if changes:
        obs.version += 1
        obs.updated_at = timezone.now()
        obs.save(update_fields=["activity", "activity_title", "kind", "version", "updated_at"])
        audit.record(actor, obs, Action.UPDATE, changes)
    return obs


@transaction.atomic
def detach_from_activity(*, actor, observation: Observation) -> Observation:
    """Undo ``attach_to_activity`` (same rule); the kind stays. A 同课异构 observation
    whose round belongs to an activity stays in it."""
    obs = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("round", "activity")
        .get(pk=observation.pk)
    )
    require(actor, "link", obs)
    if obs.activity_id is None:
        return obs
    if obs.round is not None and obs.round.activity_id == obs.activity_id:
        raise ServiceError(
            _("This observation belongs to the round “%(round)s” of that activity.")
            % {"round": obs.round.topic},
            field="activity",
        )
    changes = {"activity": [obs.activity.title, None]}
    obs.activity = None
    obs.activity_title = ""
    obs.version += 1
    obs.updated_at = timezone.now()
    obs.save(update_fields=["activity", "activity_title", "version", "updated_at"])
    audit.record(actor, obs, Action.UPDATE, changes)
    return obs
