"""The resource library (资源库 / 云课堂): resources teachers submit (micro-lessons, lesson
designs, slides …), their files, the curriculum tree they hang on, and their review.

Lifecycle (报送 → 评审 → 发布): a draft is written by its authors, submitted to its unit,
given reviewers by the unit's managers (the unit's admins, researchers and principal
above it), scored by each reviewer against a review rubric, then published, returned for
revision (with the comments) or rejected. A returned resource is revised and submitted
again (a new round). Every step is a :class:`ResourceEvent` the submitter reads.

Scope: a resource belongs to its unit (``org_unit``). No role sees a resource merely by
its subtree (``view`` has no roles); the ``visible`` hook says who does:

* a published resource: everyone in the unit's subtree and every unit above it — and,
  marked public, everybody, visitors without an account too (the public 云课堂 page);
* a submitted, reviewed, returned or rejected one: the managers of the unit's subtree;
* a draft: only its authors (and who created it);
* a reviewer: the resources they are assigned to.

Files, reviews and events follow their resource.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, FloatField, OuterRef, Q
from django.db.models.functions import Cast, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core import search
from jiaoyan.core.bases import SubjectStageOptional, Timestamped, Versioned, user_ref
from jiaoyan.core.roles import ADMINS, ALL_ROLES, Role
from jiaoyan.core.rounds import ChainRound, acting_unit_ids, entries_visible_q
from jiaoyan.core.scope import (
    ScopedQuerySet,
    scope_paths,
    scoped,
    under_q,
    units_above_q,
    visible_q,
)

#: Who assigns reviewers and decides: the unit's admins, researchers and principal.
MANAGERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}


class Kind(models.TextChoices):
    MICRO_LESSON = "micro_lesson", _("Micro-lesson")
    LESSON_DESIGN = "lesson_design", _("Lesson design")
    SLIDES = "slides", _("Slides")
    TEACHING_CASE = "teaching_case", _("Teaching case")
    LESSON_RECORDING = "lesson_recording", _("Lesson recording")
    EXERCISE_DESIGN = "exercise_design", _("Exam item or homework design")
    OTHER = "other", pgettext_lazy("resource kind", "Other")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned for revision")
    PUBLISHED = "published", pgettext_lazy("resource", "Published")
    REJECTED = "rejected", pgettext_lazy("resource", "Rejected")


#: Statuses in which the authors edit the resource and its files.
EDITABLE = (Status.DRAFT, Status.RETURNED)
#: Statuses the unit's managers see (everything but drafts).
MANAGED = (Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED, Status.REJECTED)


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (the unit's subtree)")
    PUBLIC = "public", _("Public (everyone)")


class CurriculumNode(models.Model):
    """教材章节: one node of the curriculum tree of a subject and textbook edition (a
    volume, unit, chapter or lesson). Reference data for every unit, kept by bureau
    admins; a resource may hang on any node of its subject."""

    subject = models.ForeignKey(
        "orgs.Subject", verbose_name=_("subject"), on_delete=models.PROTECT, related_name="+"
    )
    edition = models.CharField(_("textbook edition"), max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(pgettext_lazy("curriculum", "Name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)

    class Meta:
        verbose_name = _("curriculum node")
        verbose_name_plural = _("curriculum nodes")
        ordering = ["subject_id", "edition", "parent_id", "order", "id"]
        indexes = [
            models.Index(fields=["subject", "edition", "parent", "order"], name="curriculum_tree")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "edition", "parent", "name"], name="curriculum_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


def _authored_q(user, prefix: str = "") -> Q:
    """Rows whose resource ``user`` wrote or created."""
    person_id = getattr(getattr(user, "person", None), "pk", None)
    q = Q(**{f"{prefix}created_by_id": user.pk})
    if person_id:
        # The ids of their resources, not a join of the authors: a join of a many-to-many
        # relation makes the library's query distinct (the whole library in a subquery).
        authored = Resource.authors.through.objects.filter(person_id=person_id)
        q |= Q(**{f"{prefix}id__in_ids": authored.values("resource_id")})
    return q


def _resources_visible(user) -> Q | None:
    published = Q(status=Status.PUBLISHED)
    # The unit's subtree and the units above it see what it published; public: everyone.
    reach = Q(visibility=Visibility.PUBLIC)
    paths = scope_paths(user)
    if paths:
        reach |= under_q(Resource, "org_unit__path", paths)
    above = units_above_q(user)
    if above is not None:
        reach |= above
    q = published & reach
    managed = scope_paths(user, MANAGERS)
    if managed:
        q |= Q(status__in=MANAGED) & under_q(Resource, "org_unit__path", managed)
    q |= _authored_q(user)
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id:
        q |= Q(pk__in_ids=Review.objects.filter(reviewer_id=person_id).values("resource_id"))
    return q


def _public_resources() -> Q:
    """What a visitor without an account sees (the public 云课堂 page): the published
    resources their unit made public."""
    return Q(status=Status.PUBLISHED, visibility=Visibility.PUBLIC)


def _is_author(user, resource) -> bool:
    if resource.pk is None:
        return True  # being created: its creator writes it
    if resource.created_by_id == user.pk:
        return True
    person_id = getattr(getattr(user, "person", None), "pk", None)
    return bool(person_id) and resource.authors.filter(pk=person_id).exists()


def _resource_check(user, action, resource) -> bool | None:
    """Authors write their resource while it is a draft or returned; nobody else does.
    Managing (reviewers, the decision) is for the unit's managers, never an author."""
    if action in ("change", "delete"):
        if not _is_author(user, resource):
            return False
        if action == "delete":
            return resource.status == Status.DRAFT
        return resource.status in EDITABLE
    if action == "manage" and resource.pk is not None and _is_author(user, resource):
        return False
    return None


def _author_names(resource) -> list[str]:
    return [a.name for a in resource.authors.all()]


def _chapter_name(resource) -> str | None:
    return resource.curriculum_node.name if resource.curriculum_node_id else None


def _unit_name(resource) -> str:
    return resource.org_unit.name


@search.searchable(
    title="title",
    body=("summary", _author_names, "themes", "edition", _chapter_name, _unit_name),
    prefetch=("authors", "curriculum_node", "org_unit"),
)
@scoped(
    path="org_unit__path",
    rules={
        "view": (),
        "add": ALL_ROLES,
        "change": ALL_ROLES,
        "delete": ALL_ROLES,
        "manage": MANAGERS,
    },
    grants=False,
    check=_resource_check,
    visible=_resources_visible,
    public=_public_resources,
    # Checked on each row (its own columns, its unit and small id subqueries): the library
    # reads rows in list order and stops at a page, instead of gathering every visible
    # id first (100,000 at city scale).
    inline_visible=True,
)
class Resource(Versioned, Timestamped, SubjectStageOptional, models.Model):
    """资源: one resource of the library — what it is, what it is about (stage, grade,
    subject, textbook edition and chapter, themes), who wrote it, and where it is in its
    review. Its files are :class:`ResourceFile` rows; a micro-lesson may instead link an
    external video."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(pgettext_lazy("resource", "Title"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    edition = models.CharField(_("textbook edition"), max_length=40, blank=True)
    curriculum_node = models.ForeignKey(
        CurriculumNode,
        verbose_name=_("chapter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    themes = models.JSONField(_("themes"), default=list, blank=True)
    authors = models.ManyToManyField(
        "people.Person", verbose_name=_("authors"), related_name="resources"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    video_link = models.CharField(_("external video link"), max_length=300, blank=True)
    rubric = models.ForeignKey(
        "ReviewRubric",
        verbose_name=_("review rubric"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    round = models.PositiveSmallIntegerField(_("review round"), default=0)
    created_by = user_ref(_("created by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Use figures (resources/use.py): views and downloads are added by the periodic
    # aggregation of ResourceHit rows; uses and ratings by their services.
    view_count = models.PositiveIntegerField(_("views"), default=0)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    use_count = models.PositiveIntegerField(_("uses in lessons"), default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    rating_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)
    # The mean rating, kept by the database from the two above (NULL before the first):
    # the statistics' best rated are read in its order from the index resource_top_rated.
    rating_mean = models.GeneratedField(
        expression=Cast("rating_sum", FloatField()) / NullIf(F("rating_count"), 0),
        output_field=FloatField(),
        db_persist=True,
        verbose_name=_("mean rating"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-created_at", "-id"]
        indexes = [
            # A unit's resources by status (the lists, the scope's managers) — and every
            # figure of the statistics (stats.py) from the index alone: submitted or
            # published in a period per unit, status, kind and subject; the top lists.
            models.Index(
                fields=[
                    "org_unit",
                    "status",
                    "submitted_at",
                    "published_at",
                    "kind",
                    "subject",
                    "view_count",
                    "use_count",
                    "rating_count",
                    "rating_sum",
                ],
                name="resource_stats",
            ),
            models.Index(fields=["-published_at", "-id"], name="resource_published"),
            models.Index(fields=["-created_at", "-id"], name="resource_created"),
            models.Index(fields=["kind", "status"], name="resource_kind"),
            models.Index(fields=["subject", "stage", "status"], name="resource_subject"),
            models.Index(fields=["created_by", "status"], name="resource_creator"),
            # The statistics' top lists: published resources by views (uses, mean rating),
            # walked in that order until ten of a subtree are found (stats.top_resources).
            models.Index(
                fields=["status", "view_count", "id", "org_unit"], name="resource_top_views"
            ),
            models.Index(
                fields=["status", "use_count", "id", "org_unit"], name="resource_top_uses"
            ),
            models.Index(
                fields=["status", "rating_mean", "rating_count", "id", "org_unit"],
                name="resource_top_rated",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resources:detail", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def rating_average(self) -> float | None:
        """The mean of its ratings (1–5), one decimal; None before the first."""
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None


def _follows_resource(user) -> Q | None:
    """Rows of a resource the user sees: checked on each row (its resource, by primary
    key), so that a resource's page reads its own rows only — not every resource the user
    sees first (100,000 at city scale). Models whose hook this is declare
    ``inline_visible``."""
    return Q(Exists(Resource.objects.filter(visible_q(user, Resource), pk=OuterRef("resource_id"))))


def _public_files() -> Q:
    return Q(resource__status=Status.PUBLISHED, resource__visibility=Visibility.PUBLIC)


def _file_check(user, action, row) -> bool | None:
    # Files are attached and removed by whoever may change their resource.
    from jiaoyan.core.scope import can

    if action in ("add", "change", "delete"):
        return can(user, "change", row.resource)
    return None


class FileCategory(models.TextChoices):
    DOCUMENT = "document", _("Document")
    SLIDES = "slides", _("Slides")
    SPREADSHEET = "spreadsheet", _("Spreadsheet")
    IMAGE = "image", _("Image")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")


@scoped(
    path="resource__org_unit__path",
    rules={"view": ()},
    grants=False,
    check=_file_check,
    visible=_follows_resource,
    public=_public_files,
    inline_visible=True,
)
class ResourceFile(models.Model):
    """A file of a resource, stored through the guarded upload path: its type is what its
    content says (sniffed, never the name's extension), its name is sanitised, and it is
    always served as a download with that type."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), upload_to="resources/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    category = models.CharField(_("file type"), max_length=12, choices=FileCategory.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = user_ref(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource file")
        verbose_name_plural = _("resource files")
        ordering = ["resource_id", "created_at", "id"]
        indexes = [models.Index(fields=["resource", "created_at"], name="resourcefile_resource")]

    def __str__(self) -> str:
        return self.name


def _rubric_visible(user) -> Q | None:
    q = Q(org_unit__isnull=True)
    above = units_above_q(user)
    return q | above if above is not None else q


def _rubric_check(user, action, rubric) -> bool | None:
    if rubric.org_unit_id is None and action != "view":
        return bool(user.is_superuser)  # the built-in rubric is shipped, not edited
    return None


@scoped(
    path="org_unit__path",
    rules={"add": ADMINS | {Role.RESEARCHER}, "change": ADMINS | {Role.RESEARCHER}},
    grants=False,
    check=_rubric_check,
    visible=_rubric_visible,
)
class ReviewRubric(Versioned, Timestamped, models.Model):
    """评审量规: the criteria a resource is scored against, each with its highest score.
    ``org_unit`` empty: the built-in default, usable everywhere. A unit's rubric applies
    to the resources of its subtree (the nearest one above a resource's unit wins). Each
    review keeps a copy of the criteria it was scored against."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("owning unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(pgettext_lazy("rubric", "Name"), max_length=100)
    criteria = models.JSONField(_("criteria"), default=list)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review rubric")
        verbose_name_plural = _("review rubrics")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["org_unit", "is_active"], name="reviewrubric_unit")]

    def __str__(self) -> str:
        return self.name

    @property
    def total(self) -> float:
        """The highest total: each criterion's highest score times its weight."""
        return float(sum(c["max"] * c.get("weight", 1) for c in self.criteria))


class Decision(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    RETURN = "return", _("Return for revision")
    REJECT = "reject", _("Reject")


def _reviews_visible(user) -> Q | None:
    person_id = getattr(getattr(user, "person", None), "pk", None)
    # The authors read the finished reviews (comments and scores, not who wrote them).
    mine = Q(
        status=Review.State.DONE,
        resource_id__in_ids=Resource.objects.filter(_authored_q(user)).values("pk"),
    )
    return mine | Q(reviewer_id=person_id) if person_id else mine


def _review_check(user, action, review) -> bool | None:
    if action == "change":
        # Only the assigned reviewer scores, and only while the round is open.
        person_id = getattr(getattr(user, "person", None), "pk", None)
        return bool(person_id) and review.reviewer_id == person_id
    return None


@scoped(
    path="resource__org_unit__path",
    rules={"view": MANAGERS, "add": MANAGERS, "change": (), "delete": MANAGERS},
    grants=False,
    check=_review_check,
    visible=_reviews_visible,
)
class Review(models.Model):
    """评审: one reviewer's review of a resource in one round — the scores per criterion
    of the rubric (copied here when assigned), a comment and a recommendation."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        DONE = "done", _("Reviewed")

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="reviews"
    )
    round = models.PositiveSmallIntegerField(_("review round"), default=1)
    reviewer = models.ForeignKey(
        "people.Person", verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    criteria = models.JSONField(_("criteria"), default=list)
    scores = models.JSONField(pgettext_lazy("resource review", "scores"), default=dict, blank=True)
    total = models.DecimalField(_("total score"), max_digits=6, decimal_places=1, null=True)
    comment = models.TextField(_("comment"), blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=8, choices=Decision.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=8, choices=State.choices, default=State.ASSIGNED
    )
    assigned_by = user_ref(pgettext_lazy("resource review", "assigned by"))
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["resource_id", "round", "id"]
        indexes = [
            models.Index(fields=["reviewer", "status", "-assigned_at"], name="review_queue"),
            models.Index(fields=["-assigned_at", "-id"], name="review_assigned"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "round", "reviewer"], name="review_one_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} · {self.reviewer}"

    def get_absolute_url(self) -> str:
        return reverse("resources:review", args=[self.pk])


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def turnaround_seconds(submitted: dt.datetime, decided: dt.datetime) -> int:
    """Whole seconds from a submission to its decision: the difference of the two
    moments' whole seconds since the epoch (exact integer arithmetic)."""
    second = dt.timedelta(seconds=1)
    return (decided - EPOCH) // second - (submitted - EPOCH) // second


@scoped(
    path="resource__org_unit__path",
    rules={"view": ()},
    grants=False,
    visible=_follows_resource,
    inline_visible=True,
)
class ResourceEvent(models.Model):
    """One step of a resource's way (created, submitted, reviewers assigned, reviewed,
    returned, published …): the status it led to, who did it and why — what the
    submitter reads on the resource's page."""

    class Step(models.TextChoices):
        CREATED = "created", pgettext_lazy("resource step", "Created")
        SUBMITTED = "submitted", pgettext_lazy("resource step", "Submitted")
        RESUBMITTED = "resubmitted", _("Resubmitted after revision")
        ASSIGNED = "assigned", _("Reviewer assigned")
        UNASSIGNED = "unassigned", _("Reviewer removed")
        REVIEWED = "reviewed", pgettext_lazy("resource step", "Reviewed")
        PUBLISHED = "published", pgettext_lazy("resource step", "Published")
        RETURNED = "returned", pgettext_lazy("resource step", "Returned for revision")
        REJECTED = "rejected", pgettext_lazy("resource step", "Rejected")

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="events"
    )
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by"), max_length=50, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(pgettext_lazy("resource step", "when"), default=timezone.now)
    # A decision (published, returned, rejected): whole seconds from the (re)submission it
    # answered — the review's turnaround, written with the decision (services.decide) so
    # that the statistics add it up without looking for the submission. Null otherwise.
    turnaround = models.IntegerField(
        _("review turnaround (seconds)"), null=True, blank=True, editable=False
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource step")
        verbose_name_plural = _("resource steps")
        ordering = ["resource_id", "created_at", "id"]
        indexes = [
            models.Index(fields=["resource", "created_at"], name="resourceevent_resource"),
            # The statistics' turnaround: a resource's decisions of a period, from the
            # index alone.
            models.Index(
                fields=["resource", "created_at", "turnaround"],
                name="resourceevent_decision",
                condition=Q(turnaround__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.get_step_display()


# --- use: favourites, ratings, comments, applications, views and downloads --------------
# (services in use.py; see its docstring for who may do what)


def _person_id(user) -> int | None:
    return getattr(getattr(user, "person", None), "pk", None)


def _published_visible(user, resource_id) -> bool:
    return (
        Resource.objects.visible_to(user).filter(pk=resource_id, status=Status.PUBLISHED).exists()
    )


def _own_use_check(user, action, row) -> bool | None:
    """Favourites, ratings and applications: added by whoever sees the published
    resource, changed and removed by their owner only."""
    if action == "add":
        return _published_visible(user, row.resource_id)
    if action in ("change", "delete"):
        return row.user_id == user.pk
    return None


def _comment_check(user, action, row) -> bool | None:
    """Comments: written by whoever sees the published resource; removed by their writer
    or (by the ``delete`` rule) a manager of the resource's unit; never edited."""
    if action == "add":
        return _published_visible(user, row.resource_id)
    if action == "change":
        return False
    if action == "delete" and row.user_id == user.pk:
        return True
    return None


def _own_rows(user) -> Q | None:
    """Rows the user made, of resources they still see."""
    return Q(user_id=user.pk) & _follows_resource(user)


def _applications_visible(user) -> Q | None:
    """An application: its maker, and the resource's authors (the managers of the unit's
    subtree by the ``view`` rule)."""
    return Q(user_id=user.pk) | Q(
        resource_id__in_ids=Resource.objects.filter(_authored_q(user)).values("pk")
    )


def _authored_rows(user) -> Q | None:
    return Q(resource_id__in_ids=Resource.objects.filter(_authored_q(user)).values("pk"))


@scoped(
    path="resource__org_unit__path",
    rules={"view": ()},
    grants=False,
    check=_own_use_check,
    visible=_own_rows,
    inline_visible=True,
)
class Favourite(models.Model):
    """收藏: a resource someone keeps in their favourites (one row per person and
    resource)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(pgettext_lazy("favourite", "added at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="favourite_user")]
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="favourite_one_per_user")
        ]

    def __str__(self) -> str:
        return str(self.resource)


@scoped(
    path="resource__org_unit__path",
    rules={"view": ()},
    grants=False,
    check=_own_use_check,
    visible=_own_rows,
    inline_visible=True,
)
class Rating(Timestamped, models.Model):
    """评分: one person's rating of a published resource, 1 to 5 (one per person,
    changeable). Others see only the average and the count (kept on the resource)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("rating"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["resource_id", "-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "-updated_at"], name="rating_user")]
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="rating_one_per_user"),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_one_to_five"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} · {self.score}"


@scoped(
    path="resource__org_unit__path",
    rules={"view": (), "delete": MANAGERS},
    grants=False,
    check=_comment_check,
    visible=_follows_resource,
    inline_visible=True,
)
class Comment(models.Model):
    """评论: a comment on a published resource, read by everyone who sees it; removed by
    its writer or a manager of the resource's unit."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_name = models.CharField(_("written by"), max_length=50)
    text = models.TextField(pgettext_lazy("resource comment", "Comment"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["resource_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["resource", "-created_at", "-id"], name="comment_resource")]

    def __str__(self) -> str:
        return self.text[:40]


@scoped(
    path="resource__org_unit__path",
    rules={"view": MANAGERS},
    grants=False,
    check=_own_use_check,
    visible=_applications_visible,
)
class Application(models.Model):
    """应用: "I used this in my lesson" — a teacher's record that they used a published
    resource on a day (at most one per person, resource and day), with an optional note.
    Listed on the resource's page for its authors and the unit's managers."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("used by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    user_name = models.CharField(_("used by"), max_length=50)
    day = models.DateField(_("used on"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("application in a lesson")
        verbose_name_plural = _("applications in lessons")
        ordering = ["resource_id", "-day", "-id"]
        indexes = [
            models.Index(fields=["resource", "-day", "-id"], name="application_resource"),
            models.Index(fields=["user", "-day"], name="application_user"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "user", "day"], name="application_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} · {self.day}"


class HitKind(models.TextChoices):
    VIEW = "view", pgettext_lazy("resource hit", "View")
    DOWNLOAD = "download", pgettext_lazy("resource hit", "Download")


@scoped(
    path="resource__org_unit__path", rules={"view": MANAGERS}, grants=False, visible=_authored_rows
)
class ResourceHit(models.Model):
    """A view or download of a resource, not yet aggregated: appended by the page in one
    ``INSERT … ON CONFLICT DO NOTHING`` (at most one per account, resource, kind and
    day), counted into the resource's figures by the periodic ``resources.aggregate_hits``
    job and deleted once its day is over and it is counted."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=HitKind.choices)
    day = models.DateField(_("day"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    counted = models.BooleanField(_("counted"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource hit")
        verbose_name_plural = _("resource hits")
        ordering = ["id"]
        indexes = [models.Index(fields=["counted", "id"], name="resourcehit_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "kind", "day", "user"], name="resourcehit_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} · {self.kind} · {self.day}"


@scoped(
    path="resource__org_unit__path", rules={"view": MANAGERS}, grants=False, visible=_authored_rows
)
class ResourceTermStats(models.Model):
    """A resource's figures in one school term (identified by its first day, as
    ``observations.terms``): views, downloads (aggregated from hits) and uses in lessons
    — what authors read as "your resources were viewed … times this term"."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+"
    )
    term = models.DateField(_("term"))
    views = models.PositiveIntegerField(_("views"), default=0)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    uses = models.PositiveIntegerField(_("uses in lessons"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource figures of a term")
        verbose_name_plural = _("resource figures of terms")
        ordering = ["resource_id", "-term"]
        indexes = [models.Index(fields=["term", "resource"], name="resourcestats_term")]
        constraints = [
            models.UniqueConstraint(fields=["resource", "term"], name="resourcestats_one_per_term")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} · {self.term}"


class StatFact(models.TextChoices):
    """What a row of :class:`ResourceDayStat` counts."""

    #: Resources (not drafts) last submitted that day, by status, kind and subject.
    SUBMITTED = "submitted", _("Submitted")
    #: Of them, the ones with at least one author.
    AUTHORED = "authored", _("Submitted with authors")
    #: Of them, per author (``key``: the person's id): the resources they wrote.
    AUTHOR = "author", _("Submitted by an author")
    #: Published resources published that day.
    PUBLISHED = "published", pgettext_lazy("statistics", "Published")
    #: Decisions (published, returned, rejected) taken that day, by turnaround (``key``:
    #: tenths of a day).
    DECIDED = "decided", pgettext_lazy("statistics", "Decided")
    #: Uses in lessons recorded for that day.
    USED = "used", _("Used in lessons")


class _StatRow(models.Model):
    """The columns a statistics row of the day and the month tables share: a count
    (``n``) of a unit's fact, by status, kind, subject and the fact's own key."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique key starts with it
    )
    fact = models.CharField(_("fact"), max_length=10, choices=StatFact.choices)
    status = models.CharField(_("status"), max_length=10, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=20, blank=True, default="")
    # The subject's id (0: none) and the fact's own key (an author, a turnaround bucket;
    # 0: none): plain numbers, so that every column of the unique key is set.
    subject = models.BigIntegerField(_("subject"), default=0)
    key = models.BigIntegerField(_("key"), default=0)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        abstract = True


@scoped(path="org_unit__path", rules={"view": MANAGERS}, grants=False)
class ResourceDayStat(_StatRow):
    """资源统计日表: how many resources of a unit did something on a day (a local
    date) — the statistics page adds these rows up for a scope and period instead of
    counting the resources, their steps and uses (``summary.py`` keeps them current in
    every write's transaction; ``jiaoyan resource_stats`` rebuilds them)."""

    day = models.DateField(_("day"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource statistics of a day")
        verbose_name_plural = _("resource statistics of days")
        ordering = ["org_unit_id", "fact", "day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "fact", "day", "status", "kind", "subject", "key"],
                name="resourcedaystat_key",
            )
        ]
        indexes = [
            # Every figure of a scope and period from the index alone: one range per unit
            # of the subtree and fact.
            models.Index(
                fields=["org_unit", "fact", "day", "status", "kind", "subject", "key", "n"],
                name="resourcedaystat_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_unit_id} · {self.fact} · {self.day}"


class ResourceMonthStat(_StatRow):
    """资源统计月表: the day table (:class:`ResourceDayStat`) added up per month and per
    unit *with everything below it* — one row per unit on the path of a resource's unit
    (that unit included), month and fact — so that a scope's figures over whole months
    are read from the rows of the scope and of the units right below it, not from every
    day row of the subtree. Per-author rows (``author``) are not rolled up: different
    people do not add up. Kept by ``summary.py`` in the same transactions as the day
    table; read only while the units' tree is the one it was rolled up under."""

    month = models.DateField(_("month"))  # its first day

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource statistics of a month")
        verbose_name_plural = _("resource statistics of months")
        ordering = ["org_unit_id", "fact", "month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "fact", "month", "status", "kind", "subject", "key"],
                name="resourcemonthstat_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["org_unit", "fact", "month", "status", "kind", "subject", "key", "n"],
                name="resourcemonthstat_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_unit_id} · {self.fact} · {self.month:%Y-%m}"


# --- recommendation rounds (评优/推荐) -------------------------------------------------------

#: Who recommends (or selects) for a unit in a round: the admins, researchers and principal
#: holding the role at that very unit (a bureau's or institute's role acts for its region).
RECOMMENDERS = MANAGERS
#: Who runs a round (creates it, sets quotas, announces the results): the owner's admins
#: and researchers.
ROUND_RUNNERS = ADMINS | {Role.RESEARCHER}


class Honour(models.TextChoices):
    """The honour an announced round gives a resource: the highest level that chose it."""

    SCHOOL = "school", _("School-level excellent")
    COUNTY = "county", _("County-level excellent")
    CITY = "city", _("City-level excellent")
    PROVINCE = "province", _("Province-level excellent")


def _rounds_visible(user) -> Q | None:
    # A round is run for the units below its owner: they see it.
    return units_above_q(user)


@scoped(
    path="org_unit__path",
    rules={"add": ROUND_RUNNERS, "change": ROUND_RUNNERS, "delete": ROUND_RUNNERS},
    grants=False,
    visible=_rounds_visible,
)
class RecommendationRound(ChainRound, Versioned, Timestamped):
    """评优/推荐轮次: a selection round run by a bureau (its ``org_unit``, usually a city's):
    which kinds of resource it takes, and the dates and quotas of the chain every round
    shares (:class:`jiaoyan.core.rounds.ChainRound`) — a school recommends up to
    ``school_quota`` to its county, a county selects up to ``county_quota`` to the city,
    the city keeps up to ``city_quota`` (the owner's level is the last one). Announcing
    marks each chosen resource with its honour."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("round", "Title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kinds = models.JSONField(_("kinds of resource"), default=list)
    one_per_teacher_node = models.BooleanField(
        _("one entry per teacher per chapter"), default=False
    )
    created_by = user_ref(_("created by"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation round")
        verbose_name_plural = _("recommendation rounds")
        ordering = ["-opens_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-opens_on"], name="round_unit"),
            models.Index(fields=["-opens_on", "-id"], name="round_opens"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resources:round", args=[self.pk])


def _entries_visible(user) -> Q | None:
    """A level sees what it recommended and what was recommended to it — never what the
    levels below it sent each other (a city does not see schools' recommendations); a
    resource's honour, once announced, is seen wherever the resource is."""
    return entries_visible_q(
        user,
        honoured_items=Q(
            resource_id__in_ids=Resource.objects.filter(visible_q(user, Resource)).values("pk")
        ),
    )


def _entry_check(user, action, entry) -> bool | None:
    """A unit's entries are written by its own recommenders only (a city admin does not
    recommend for a school)."""
    if action in ("add", "change", "delete"):
        if user.is_superuser:
            return True
        return entry.org_unit_id in acting_unit_ids(user, RECOMMENDERS)
    return None


@scoped(
    path="org_unit__path",
    rules={"view": (), "add": RECOMMENDERS, "change": RECOMMENDERS, "delete": RECOMMENDERS},
    grants=False,
    check=_entry_check,
    visible=_entries_visible,
)
class Recommendation(models.Model):
    """推荐: one resource sent up one level in a round — by ``org_unit`` (a school, county
    or city), to ``to_unit`` (the next level up; empty at the round's top level, where it
    is the final selection). A county's or city's entry is selected from the entry sent to
    it (``source``). Withdrawn entries stay (``withdrawn_at``) and free their place.
    ``honoured``: the resource's highest entry of an announced round (its honour is the
    entry's ``level``)."""

    round = models.ForeignKey(
        RecommendationRound,
        verbose_name=_("recommendation round"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("resource"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    level = models.CharField(_("level"), max_length=10, choices=Honour.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("recommended by"), on_delete=models.PROTECT, related_name="+"
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
    recommended_by = user_ref(_("recommended by"))
    recommended_at = models.DateTimeField(_("recommended at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(
        pgettext_lazy("recommendation", "withdrawn at"), null=True, blank=True
    )
    honoured = models.BooleanField(_("honoured"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["round_id", "-recommended_at", "-id"]
        indexes = [
            models.Index(fields=["round", "org_unit", "withdrawn_at"], name="rec_from"),
            models.Index(fields=["round", "to_unit", "withdrawn_at"], name="rec_to"),
            models.Index(fields=["resource", "honoured"], name="rec_resource"),
            models.Index(fields=["-recommended_at", "-id"], name="rec_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "resource", "level"],
                condition=Q(withdrawn_at__isnull=True),
                name="rec_once_per_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.resource}"

    def get_absolute_url(self) -> str:
        return reverse("resources:round", args=[self.round_id])

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
