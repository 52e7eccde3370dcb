"""Outcomes (成果) and typical cases (典型案例): what a school, community or researcher
submits, the annual selection rounds that carry the best up the levels (a school
recommends to its county, the county to the city, the city selects with expert scores),
their promotion (推广应用: where an outcome was applied or shown, schools that adopted it)
and the bureau's point table the points are computed from.

Scope:

* an outcome belongs to its submitting unit (``org_unit``) and is seen by the roles of
  that unit and of every unit above it (the unit's chain); its authors and its creator
  see theirs wherever they are; once selected at county level or above (an announced
  round's honour), it is seen throughout the region that selected it, so that other
  schools can adopt it; its files, promotions and adoptions follow it;
* a round is seen by the units below its owner; an entry by the unit that sent it and
  the unit it was sent to (``core.rounds.entries_visible_q``), and once honoured wherever
  its outcome is seen;
* an expert's score is seen by the expert and by the round's runners;
* a point table's rules are seen by the units below the bureau that keeps it.
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
from jiaoyan.core.rounds import ChainRound, acting_unit_ids, entries_visible_q
from jiaoyan.core.scope import ScopedQuerySet, ancestor_ids, scoped, units_above_q, visible_q

#: Who manages a unit's outcomes and recommends for it in a round.
MANAGERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}
#: Who runs a round (creates it, assigns experts, announces) and keeps the point table.
RUNNERS = ADMINS | {Role.RESEARCHER}


class Kind(models.TextChoices):
    TEACHING = "teaching", _("Teaching achievement")
    CASE = "case", _("Typical case")
    PAPER = "paper", _("Paper")
    CASEBOOK = "casebook", _("Case collection")
    COURSE = "course", _("Course")
    OTHER = "other", pgettext_lazy("outcome kind", "Other")


class Honour(models.TextChoices):
    """The level at which an outcome was selected (the highest entry of a round)."""

    SCHOOL = "school", _("Recommended by the school")
    COUNTY = "county", _("Selected at county level")
    CITY = "city", _("Selected at city level")
    PROVINCE = "province", _("Selected at province level")


def _person_id(user) -> int | None:
    return getattr(getattr(user, "person", None), "pk", None)


#: The honours that make an outcome known beyond its unit's chain (promotion).
SELECTED = ("county", "city", "province")


def _outcomes_visible(user) -> Q | None:
    q = Q(created_by_id=user.pk)
    # Selected at county level or above in an announced round: seen throughout the region
    # that selected it (other schools adopt it), i.e. by every unit below the selecting one.
    ids = ancestor_ids(user)
    if ids:
        q |= Q(
            pk__in_ids=Entry.objects.filter(
                honoured=True, level__in=SELECTED, org_unit_id__in=ids
            ).values("outcome_id")
        )
    person_id = _person_id(user)
    if person_id:
        q |= Q(
            pk__in_ids=Outcome.authors.through.objects.filter(person_id=person_id).values(
                "outcome_id"
            )
        )
    return q


def _is_author(user, outcome) -> bool:
    if outcome.pk is None or outcome.created_by_id == user.pk:
        return True
    person_id = _person_id(user)
    return bool(person_id) and outcome.authors.filter(pk=person_id).exists()


def _outcome_check(user, action, outcome) -> bool | None:
    """Its authors and creator edit an outcome; the unit's managers too (roles)."""
    if action in ("change", "delete") and outcome.pk is not None and _is_author(user, outcome):
        return True
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ALL_ROLES, "change": MANAGERS, "delete": MANAGERS, "import": MANAGERS},
    grants=False,
    check=_outcome_check,
    visible=_outcomes_visible,
)
class Outcome(Versioned, Timestamped, models.Model):
    """成果: one outcome or typical case submitted by a unit — its kind, title, summary,
    authors, the year it belongs to, and optionally the community it came from. Its files
    are :class:`OutcomeFile` rows."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("submitting unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(pgettext_lazy("outcome", "Title"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    authors = models.ManyToManyField(
        "people.Person", verbose_name=_("authors"), related_name="outcomes", blank=True
    )
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("research project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
    )
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-year"], name="outcome_unit"),
            models.Index(fields=["-created_at", "-id"], name="outcome_created"),
            models.Index(fields=["-year", "-id"], name="outcome_year"),
            models.Index(fields=["kind", "-year"], name="outcome_kind"),
            models.Index(fields=["community", "-year"], name="outcome_community"),
            models.Index(fields=["project", "-year"], name="outcome_project"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("outcomes:detail", args=[self.pk])


def _follows_outcome(user) -> Q | None:
    return Q(outcome_id__in_ids=Outcome.objects.filter(visible_q(user, Outcome)).values("pk"))


def _changes_outcome(user, action, row) -> bool | None:
    from jiaoyan.core.scope import can

    if action in ("add", "change", "delete"):
        return can(user, "change", row.outcome)
    return None


@scoped(
    path="outcome__org_unit__path",
    rules={"view": ()},
    grants=False,
    check=_changes_outcome,
    visible=_follows_outcome,
)
class OutcomeFile(models.Model):
    """A file of an outcome, stored through the guarded upload path (typed by its
    content, sanitised name, always served as a download)."""

    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), upload_to="outcomes/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = user_ref(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome file")
        verbose_name_plural = _("outcome files")
        ordering = ["outcome_id", "created_at", "id"]
        indexes = [models.Index(fields=["outcome", "created_at"], name="outcomefile_outcome")]

    def __str__(self) -> str:
        return self.name


# --- selection rounds ----------------------------------------------------------------------


@scoped(
    path="org_unit__path",
    rules={"add": RUNNERS, "change": RUNNERS, "delete": RUNNERS},
    grants=False,
    visible=lambda user: units_above_q(user),
)
class SelectionRound(ChainRound, Versioned, Timestamped):
    """成果遴选轮次: the annual selection run by a bureau (usually a city's) for the units
    below it: the kinds of outcome it takes, the dates, the quotas per level
    (:class:`jiaoyan.core.rounds.ChainRound`), and how many experts score each entry at
    the top level."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("round", "Title"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    kinds = models.JSONField(_("kinds of outcome"), default=list)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("selection round")
        verbose_name_plural = _("selection rounds")
        ordering = ["-opens_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-opens_on"], name="selround_unit"),
            models.Index(fields=["-opens_on", "-id"], name="selround_opens"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("outcomes:round", args=[self.pk])


def _entries_visible(user) -> Q | None:
    return entries_visible_q(
        user,
        honoured_items=Q(
            outcome_id__in_ids=Outcome.objects.filter(visible_q(user, Outcome)).values("pk")
        ),
    )


def _entry_check(user, action, entry) -> bool | None:
    """A unit's entries are written by its own recommenders only."""
    if action in ("add", "change", "delete"):
        if user.is_superuser:
            return True
        return entry.org_unit_id in acting_unit_ids(user, MANAGERS)
    return None


@scoped(
    path="org_unit__path",
    rules={"view": (), "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    grants=False,
    check=_entry_check,
    visible=_entries_visible,
)
class Entry(models.Model):
    """推荐: one outcome sent up one level in a round — by ``org_unit``, to ``to_unit``
    (empty at the round's top level: the final selection). A county's or city's entry is
    chosen from the entry sent to it (``source``). ``score``: the mean of the experts'
    scores of an entry sent to the top level. ``honoured``: the outcome's highest entry
    of an announced round."""

    round = models.ForeignKey(
        SelectionRound,
        verbose_name=_("selection round"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.PROTECT, related_name="entries"
    )
    level = models.CharField(_("level"), max_length=10, choices=Honour.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("recommended by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("recommended to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.ForeignKey(
        "self",
        verbose_name=_("selected from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="selections",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    score = models.DecimalField(
        _("expert score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    recommended_by = user_ref(_("recommended by"))
    recommended_at = models.DateTimeField(_("recommended at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(
        pgettext_lazy("recommendation", "withdrawn at"), null=True, blank=True
    )
    honoured = models.BooleanField(_("honoured"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome recommendation")
        verbose_name_plural = _("outcome recommendations")
        ordering = ["round_id", "-recommended_at", "-id"]
        indexes = [
            models.Index(fields=["round", "org_unit", "withdrawn_at"], name="entry_from"),
            models.Index(fields=["round", "to_unit", "withdrawn_at"], name="entry_to"),
            models.Index(fields=["round", "-score", "id"], name="entry_score"),
            models.Index(fields=["outcome", "honoured"], name="entry_outcome"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "outcome", "level"],
                condition=Q(withdrawn_at__isnull=True),
                name="entry_once_per_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.outcome}"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:round", args=[self.round_id])


def _scores_visible(user) -> Q | None:
    person_id = _person_id(user)
    q = Q(expert_id=person_id) if person_id else None
    from jiaoyan.core.scope import scope_paths, under_q

    paths = scope_paths(user, RUNNERS)
    if paths:
        ours = under_q(ExpertScore, "entry__round__org_unit__path", paths)
        q = ours if q is None else q | ours
    return q


def _score_check(user, action, row) -> bool | None:
    if action == "change":
        return row.expert_id == _person_id(user)
    return None


@scoped(
    path="entry__round__org_unit__path",
    rules={"view": (), "add": RUNNERS, "change": (), "delete": RUNNERS},
    grants=False,
    check=_score_check,
    visible=_scores_visible,
)
class ExpertScore(models.Model):
    """专家评分: an expert assigned by the round's runners to an entry sent to the top
    level, and (once given) the score 0–100 and comment. An expert is never from the
    outcome's own unit nor one of its authors."""

    entry = models.ForeignKey(
        Entry,
        verbose_name=_("outcome recommendation"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    expert = models.ForeignKey(
        "people.Person", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert score")
        verbose_name_plural = _("expert scores")
        ordering = ["entry_id", "id"]
        indexes = [models.Index(fields=["expert", "scored_at"], name="expertscore_expert")]
        constraints = [models.UniqueConstraint(fields=["entry", "expert"], name="expertscore_once")]

    def __str__(self) -> str:
        return f"{self.entry_id} · {self.expert_id}"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:round", args=[self.entry.round_id])


# --- promotion -----------------------------------------------------------------------------


def _promotion_visible(user) -> Q | None:
    # Where it was shown sees the record too.
    q = _follows_outcome(user)
    from jiaoyan.core.scope import scope_paths, under_q

    paths = scope_paths(user)
    if paths:
        q |= under_q(Promotion, "org_unit__path", paths)
    return q


@scoped(
    path="outcome__org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    grants=False,
    visible=_promotion_visible,
)
class Promotion(Timestamped, models.Model):
    """推广应用记录: where an outcome was applied or exhibited — the unit, the date, the
    event (or the research activity it was shown at) and how many took part."""

    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="promotions"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("where"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    event = models.CharField(_("event"), max_length=120, blank=True)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    demonstration = models.BooleanField(_("demonstration at an activity"), default=False)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("promotion record")
        verbose_name_plural = _("promotion records")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["outcome", "-date"], name="promotion_outcome"),
            models.Index(fields=["org_unit", "-date"], name="promotion_unit"),
            models.Index(fields=["-date", "-id"], name="promotion_date"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome_id} · {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:detail", args=[self.outcome_id])


def _adoption_visible(user) -> Q | None:
    q = _follows_outcome(user)
    from jiaoyan.core.scope import scope_paths, under_q

    paths = scope_paths(user)
    if paths:
        q |= under_q(Adoption, "org_unit__path", paths)
    return q


@scoped(
    path="org_unit__path",
    rules={"add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    grants=False,
    visible=_adoption_visible,
)
class Adoption(Timestamped, models.Model):
    """ "We adopted this": a unit (usually another school) that applied an outcome, when,
    and its feedback (with a rating 1–5)."""

    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="adoptions"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("adopting unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    adopted_on = models.DateField(_("adopted on"))
    feedback = models.TextField(_("feedback"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        ordering = ["-adopted_on", "-id"]
        indexes = [
            models.Index(fields=["outcome", "-adopted_on"], name="adoption_outcome"),
            models.Index(fields=["org_unit", "-adopted_on"], name="adoption_unit"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["outcome", "org_unit"], name="adoption_once")
        ]

    def __str__(self) -> str:
        return f"{self.outcome_id} · {self.org_unit_id}"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:detail", args=[self.outcome_id])


# --- points --------------------------------------------------------------------------------


class PointLevel(models.TextChoices):
    ANY = "", _("Any level")
    SCHOOL = "school", pgettext_lazy("point level", "School")
    COUNTY = "county", pgettext_lazy("point level", "County")
    CITY = "city", pgettext_lazy("point level", "City")
    PROVINCE = "province", pgettext_lazy("point level", "Province")
    NATIONAL = "national", pgettext_lazy("point level", "National")


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS, "change": ADMINS, "delete": ADMINS},
    grants=False,
    visible=lambda user: units_above_q(user),
)
class PointRule(Timestamped, models.Model):
    """One line of a bureau's point table (积分细则): a rule's code (what a point source
    yields, e.g. ``case_selected``), its label, the level it applies to, and its points.
    The nearest bureau above a record's unit decides."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("rule code"), max_length=40)
    label = models.CharField(_("rule"), max_length=100)
    level = models.CharField(
        _("level"), max_length=10, choices=PointLevel.choices, default="", blank=True
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["org_unit_id", "code", "level"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "code", "level"], name="pointrule_once")
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.get_level_display()} {self.points}"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:point_table")


__all__ = [
    "Adoption",
    "Entry",
    "ExpertScore",
    "Kind",
    "Outcome",
    "OutcomeFile",
    "PointRule",
    "Promotion",
    "SelectionRound",
]
