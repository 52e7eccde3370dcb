"""Work ledger (工作台账): items of work decided somewhere, who is responsible, by when,
their progress reports, supervision (督办) by the unit above, and the briefs (简报) a unit
issues from them.

Scope (DESIGN.md "Scope"): an item belongs to the unit that assigned it (``org_unit``); the
chain above that unit sees it by path. Besides, through the ``visible`` hook, the
responsible unit and the collaborating units see it (and the chain above each of them, as
with any unit-wide share), and so does the responsible person. Progress reports and
supervisions follow their item. A supervision also belongs to the supervising unit, so
the unit that escalated an item sees it on its own board. Briefs belong to the unit that
issues them.

Dates: ``due_on`` is a calendar date in the site's time zone; an open item whose
``due_on`` is before today (``timezone.localdate()``) is overdue. Nothing has to run for
an item to *be* overdue; the reminder sweep (``services.run_reminders``) only tells people.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.bases import user_ref
from jiaoyan.core.roles import ADMINS, Role
from jiaoyan.core.scope import ScopedQuerySet, scoped, units_in_scope, user_scopes

# Who may assign work, verify it and escalate it: bureau admins, researchers (for their
# institute's work) and principals (for their school's).
ASSIGNERS = ADMINS | {Role.RESEARCHER, Role.PRINCIPAL}
# Who may escalate an item to supervision: the offices above the assigning unit.
SUPERVISORS = ADMINS | {Role.RESEARCHER}


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("ledger", "Done")
    VERIFIED = "verified", _("Verified")
    CANCELLED = "cancelled", pgettext_lazy("ledger", "Cancelled")


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.DONE, Status.VERIFIED, Status.CANCELLED)


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", pgettext_lazy("ledger", "Low")


class Recurrence(models.TextChoices):
    NONE = "none", _("One-off")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    MEETING = "meeting", _("Meeting decision")
    MINUTES = "minutes", _("Activity minutes")
    OBSERVATION = "observation", _("Observation suggestion")
    IMPORT = "import", _("Imported ledger")


def _item_shared_q(user, prefix: str = "") -> Q | None:
    """Items shared with ``user`` beyond the assigning unit's chain: the responsible unit
    and the collaborating units (with the chain above each), and the responsible person."""
    from jiaoyan.people.models import Person

    # Ids of the user's own person record, not a join to people: every condition below
    # reads the item's own columns, so the scope filter is one pass over the items.
    q = Q(
        **{
            f"{prefix}responsible_person__in_ids": Person.objects.filter(user_id=user.pk).values(
                "pk"
            )
        }
    )
    if user_scopes(user):
        units = units_in_scope(user)
        q |= Q(**{f"{prefix}responsible_unit__in_ids": units})
        q |= Q(
            **{
                f"{prefix}pk__in_ids": ItemCollaborator.objects.filter(unit__in=units).values(
                    "item_id"
                )
            }
        )
    return q


@scoped(
    path="org_unit__path",
    rules={"add": ASSIGNERS, "change": ASSIGNERS, "delete": ADMINS, "import": ASSIGNERS},
    grants=False,
    visible=lambda user: _item_shared_q(user),
    inline_visible=True,
)
class Item(models.Model):
    """工作台账事项: one piece of work, its owner, deadline and state."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("assigning unit"),
        on_delete=models.PROTECT,
        related_name="ledger_items",
    )
    number = models.PositiveIntegerField(_("item number"))  # 序号, per assigning unit
    title = models.CharField(_("work item"), max_length=200)
    description = models.TextField(pgettext_lazy("ledger", "Description"), blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    source_note = models.CharField(_("source details"), max_length=200, blank=True)
    source_activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("source activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_decision = models.OneToOneField(
        "activities.Decision",
        verbose_name=_("source decision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_item",
    )
    source_observation = models.ForeignKey(
        "observations.Observation",
        verbose_name=_("source observation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="ledger_responsible",
    )
    responsible_person = models.ForeignKey(
        "people.Person",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_items",
    )
    # The responsible person's name as written (an imported sheet names people who may have
    # no record here); shown when ``responsible_person`` is empty.
    responsible_name = models.CharField(
        _("responsible person (as written)"), max_length=50, blank=True
    )
    collaborators = models.ManyToManyField(
        "orgs.OrgUnit",
        verbose_name=_("collaborating units"),
        through="ItemCollaborator",
        related_name="+",
        blank=True,
    )
    due_on = models.DateField(_("deadline"), null=True, blank=True)  # empty: ongoing (长期)
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    percent = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    latest_progress = models.CharField(_("latest progress"), max_length=500, blank=True)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    tags = models.ManyToManyField("Tag", verbose_name=_("tags"), related_name="items", blank=True)
    # The unit currently supervising the item (督办), while a supervision is open.
    supervised_by = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("supervised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_by = user_ref(_("assigned by"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = user_ref(_("verified by"), blank=True)
    # Raised by every change to the item itself; a form carries the version it was read
    # at, and a stale form is refused instead of overwriting someone else's change.
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger item")
        verbose_name_plural = _("ledger items")
        ordering = ["org_unit_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "number"], name="ledger_item_number"),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="ledger_item_percent_at_most_100"
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "status", "due_on"], name="ledger_unit_status_due"),
            # Covers what the boards filter, count and sort by (every sort a board offers),
            # so a city-wide board reads this index rather than thirty thousand full rows
            # (long texts included).
            models.Index(
                fields=[
                    "org_unit",
                    "responsible_unit",
                    "responsible_person",
                    "status",
                    "due_on",
                    "priority",
                    "percent",
                    "updated_at",
                ],
                name="ledger_board_cover_sorts",
            ),
            models.Index(
                fields=["responsible_unit", "status", "due_on"], name="ledger_resp_status_due"
            ),
            models.Index(fields=["status", "due_on"], name="ledger_status_due"),
            models.Index(fields=["supervised_by", "status"], name="ledger_supervised"),
            models.Index(fields=["assigned_by", "status"], name="ledger_assigner"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ledger:item", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.due_on and self.due_on < timezone.localdate())

    @property
    def responsible_display(self) -> str:
        if self.responsible_person_id:
            return self.responsible_person.name
        return self.responsible_name


class ItemCollaborator(models.Model):
    """A collaborating unit (协办单位) of an item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="collaborations")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("collaborating unit")
        verbose_name_plural = _("collaborating units")
        constraints = [
            models.UniqueConstraint(fields=["item", "unit"], name="ledger_collaborator_once")
        ]
        indexes = [models.Index(fields=["unit", "item"], name="ledger_collab_unit")]

    def __str__(self) -> str:
        return f"{self.item_id} + {self.unit_id}"


class Tag(models.Model):
    """A free tag of ledger items (新课标, 双减, 新高考 …): one name, shared by everyone."""

    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _follows_item_q(user) -> Q | None:
    """Rows of an item the user sees through the item's ``visible`` hook."""
    shared = _item_shared_q(user)
    return Q(item__in_ids=Item.objects.filter(shared).values("pk")) if shared is not None else None


@scoped(
    path="item__org_unit__path",
    rules={"add": frozenset(), "change": frozenset(), "delete": frozenset()},
    grants=False,
    visible=_follows_item_q,
)
class ProgressReport(models.Model):
    """One entry of an item's history of progress: a report by the responsible side, or
    the assigner's verification, sending back, cancelling; never edited afterwards, so
    two people reporting at once both keep their report."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        RETURNED = "returned", _("Sent back")
        VERIFIED = "verified", _("Verified")
        CANCELLED = "cancelled", pgettext_lazy("ledger", "Cancelled")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated to supervision")
        SUPERVISION_CLOSED = "supervision_closed", _("Supervision closed")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROGRESS)
    author = user_ref(_("author"))
    author_name = models.CharField(_("author"), max_length=50, blank=True)
    text = models.TextField(_("text"), blank=True)
    percent = models.PositiveSmallIntegerField(
        _("progress (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["item_id", "created_at", "id"]
        indexes = [models.Index(fields=["item", "created_at"], name="ledger_report_item")]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100),
                name="ledger_report_percent_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_kind_display()}"


def _attachment_upload_to(instance, filename: str) -> str:
    return f"ledger/{timezone.localdate():%Y/%m}/{filename}"


@scoped(
    path="report__item__org_unit__path",
    rules={"add": frozenset(), "change": frozenset(), "delete": frozenset()},
    grants=False,
    visible=lambda user: Q(
        report__in_ids=ProgressReport.objects.filter(_follows_item_q(user)).values("pk")
    ),
)
class Attachment(models.Model):
    """A file attached to a progress report (a photo of the sign-in sheet, a plan …)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_upload_to, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["report_id", "id"]

    def __str__(self) -> str:
        return self.name


def _supervision_visible(user) -> Q | None:
    """The supervising unit's chain sees its supervisions; so does whoever sees the item."""
    q = _follows_item_q(user)
    if user_scopes(user):
        q = (q or Q(pk__in=[])) | Q(unit__in_ids=units_in_scope(user))
    return q


@scoped(
    path="item__org_unit__path",
    rules={"add": SUPERVISORS, "change": SUPERVISORS},
    grants=False,
    visible=_supervision_visible,
)
class Supervision(models.Model):
    """督办: an overdue or stuck item escalated by a unit above the assigning unit, which
    follows it on its supervision board until the supervision is closed."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="supervisions")
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("supervising unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    escalated_by = user_ref(_("escalated by"))
    escalated_at = models.DateTimeField(_("escalated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = user_ref(_("closed by"), blank=True)
    closing_note = models.CharField(_("closing note"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["-escalated_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "closed_at"], name="ledger_supervision_unit"),
            models.Index(fields=["escalated_at"], name="ledger_supervision_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(closed_at__isnull=True),
                name="ledger_one_open_supervision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} ← {self.unit}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@scoped(
    path="org_unit__path",
    rules={"add": ASSIGNERS, "change": ASSIGNERS, "delete": ASSIGNERS},
    grants=False,
)
class Brief(models.Model):
    """简报: a unit's weekly brief, generated from the period's activities, ledger and
    observations, edited, then issued with the next number (期号) of the unit and year."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly brief")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("issue number"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=100)
    editor = models.CharField(_("edited and printed by"), max_length=100)  # 编印单位
    # The figures the brief was generated from, and its sections as edited:
    # {"sections": [{"key", "heading", "body"}], "figures": {...}}
    content = models.JSONField(_("content"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    docx = models.FileField(_("document"), upload_to="briefs/%Y/", max_length=300, blank=True)
    # The ``version`` the stored .docx was rendered from (0: none yet). The document is
    # rendered by a background job (``tasks.render_brief_document``), so web processes
    # never load python-docx; ``document_job`` is the latest one (its progress is shown
    # while the download waits).
    document_version = models.PositiveIntegerField(default=0)
    document_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = user_ref(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = user_ref(_("issued by"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "kind", "year", "number"],
                condition=Q(number__isnull=False),
                name="ledger_brief_number",
            )
        ]
        indexes = [
            models.Index(fields=["org_unit", "kind", "period_start"], name="ledger_brief_unit")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ledger:brief", args=[self.pk])

    @property
    def document_ready(self) -> bool:
        return bool(self.docx) and self.document_version == self.version
