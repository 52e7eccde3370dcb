"""Models every app shares: the audit log, explicit scope grants, background jobs, imports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .bases import user_ref
from .paths import PathField
from .roles import ADMINS
from .scope import ScopedQuerySet, scoped


def _audit_visible(user) -> Q | None:
    """One's own rows, and as an auditor (审计员) every row of the audited subtrees."""
    from .scope import auditor_paths

    q = Q(actor_id=user.pk)
    for path in auditor_paths(user):
        q |= Q(unit_path__under=path)
    return q


@scoped(path="unit_path", rules={"view": ADMINS}, grants=False, visible=_audit_visible)
class AuditLog(models.Model):
    """One write made through a service: who, when, which object, which fields changed.

    Display names (actor, object) are stored with the row so history survives deletion.
    ``unit_path`` is the owning unit's path at the time, so the log itself is scoped.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        STATUS = "status", _("Status changed")
        IMPORT_CREATE = "import_create", _("Created by import")
        IMPORT_UPDATE = "import_update", _("Updated by import")
        GRANT = "grant", _("Access granted")
        REVOKE = "revoke", _("Access revoked")
        LOGIN = "login", _("Logged in")
        PASSWORD = "password", _("Password changed")
        TOKEN = "token", _("API token")
        VIEW = "view", _("Viewed restricted data")
        EXPORT = "export", _("Exported")

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = user_ref(_("actor"), blank=True)
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    unit_path = PathField(_("unit path"), blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    message = models.CharField(_("note"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object"),
            models.Index(fields=["actor", "-timestamp"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


@scoped(path="unit__path", rules={"view": ADMINS}, grants=False)
class ScopeGrant(models.Model):
    """An object shared beyond its owner's subtree: with one user, or with a unit.

    A grant to a unit is seen by everyone whose scope contains that unit (the unit's own
    people and the chain above it). ``visible_to`` reads these rows for every model.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scope grant")
        verbose_name_plural = _("scope grants")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="grant_object"),
            models.Index(fields=["content_type", "user"], name="grant_user"),
            models.Index(fields=["content_type", "unit"], name="grant_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(unit__isnull=False), name="grant_has_grantee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.user_id or self.unit_id}"


def _job_check(user, action, job) -> bool | None:
    if action == "view" and job.created_by_id is not None and job.created_by_id == user.pk:
        return True
    return None


def _job_visible(user) -> Q:
    return Q(created_by_id=user.pk)


@scoped(
    path="org_unit__path",
    rules={"view": ADMINS},
    grants=False,
    check=_job_check,
    visible=_job_visible,
)
class Job(models.Model):
    """One piece of background work: an import, an exam's analysis, a brief's document …

    The one record every kind of background work keeps (``jiaoyan.core.jobs`` starts and
    runs them): its status, phase and progress, a message for people (in the language of
    the one who started it), timings, and a heartbeat the worker writes while it runs, so
    a job whose worker died is found by the sweep and retried or failed. It belongs to the
    unit whose work it is (the exam's, the brief's owner): that unit's admins and the
    person who started it see it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    FINISHED = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED})

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(_("phase"), max_length=40, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=2)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = user_ref(blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: running jobs by their last heartbeat.
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            # The scheduler: the latest job of a periodic kind.
            models.Index(fields=["kind", "-created_at"], name="job_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("core:job_progress", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_active(self) -> bool:
        return not self.is_finished

    @property
    def percent(self) -> int:
        """0–100: 100 once finished; while running, as the kind weighs its phases, or the
        share of ``done`` in ``total``."""
        from .jobs import find_kind

        if self.is_finished:
            return 100
        kind = find_kind(self.kind)
        if kind is not None and kind.percent is not None:
            return kind.percent(self)
        if self.total:
            return min(99, int(100 * self.done / self.total))
        return 0

    @property
    def detail(self) -> str:
        """One line saying how far a running job got, in the UI language."""
        from .jobs import find_kind

        kind = find_kind(self.kind)
        if kind is not None and kind.detail is not None:
            return kind.detail(self)
        if self.total:
            return f"{self.done} / {self.total}"
        if self.status == self.Status.QUEUED:
            return gettext("Waiting for the background worker…")
        return ""

    @property
    def kind_label(self) -> str:
        from .jobs import kind_label

        return kind_label(self.kind)

    @property
    def phase_label(self) -> str:
        from .jobs import phase_label

        return phase_label(self.kind, self.phase)


def _import_job_check(user, action, imp) -> bool | None:
    if action == "view" and imp.job.created_by_id == user.pk:
        return True
    return None


def _import_job_visible(user) -> Q:
    return Q(job__created_by_id=user.pk)


@scoped(
    path="job__org_unit__path",
    rules={"view": ADMINS},
    grants=False,
    check=_import_job_check,
    visible=_import_job_visible,
)
class ImportJob(models.Model):
    """One upload of a sheet: its file and options. Its status, progress, report, owner and
    timings are those of its :class:`Job` (read through the properties below)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        REJECTED = "rejected", _("Rejected (errors found)")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READING = "reading", _("Reading the file")
        VALIDATING = "validating", _("Checking every row")
        WRITING = "writing", _("Writing to the database")
        DONE = "done", _("Done")

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="import_job")
    kind = models.CharField(_("kind"), max_length=40)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only"), default=False)
    valid_only = models.BooleanField(_("import valid rows only"), default=False)
    # What the rows go into, for kinds that take parameters (the exam of a score sheet):
    # the values cleaned by the kind, e.g. {"exam": 5, "subject": "数学"}, and their label.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    target = models.CharField(_("imported into"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("core:import_detail", args=[self.pk])

    # --- the job's state, in the import's terms ------------------------------------------

    @property
    def status(self) -> str:
        """``pending`` … ``rejected``: the job's status, a rejected sheet told apart from
        a failure by its report."""
        status = self.job.status
        if status == Job.Status.QUEUED:
            return self.Status.PENDING
        if status == Job.Status.FAILED and self.job.result.get("rejected"):
            return self.Status.REJECTED
        if status == Job.Status.CANCELLED:
            return self.Status.FAILED
        return status

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def phase(self) -> str:
        if self.job.is_finished:
            return self.Phase.DONE
        return self.job.phase or self.Phase.QUEUED

    def get_phase_display(self) -> str:
        try:
            return str(self.Phase(self.phase).label)
        except ValueError:
            return self.phase

    @property
    def total_rows(self) -> int:
        return self.job.total

    @property
    def processed_rows(self) -> int:
        return self.job.done

    @property
    def result(self) -> dict:
        return self.job.result

    @property
    def created_by(self):
        return self.job.created_by

    @property
    def created_by_id(self):
        return self.job.created_by_id

    @property
    def org_unit(self):
        return self.job.org_unit

    @property
    def org_unit_id(self):
        return self.job.org_unit_id

    @property
    def created_at(self):
        return self.job.created_at

    @property
    def started_at(self):
        return self.job.started_at

    @property
    def finished_at(self):
        return self.job.finished_at

    @property
    def percent(self) -> int:
        return self.job.percent

    @property
    def kind_label(self) -> str:
        """What was imported, in the UI language (the kind's label)."""
        from .sheets import kinds

        sheet = kinds().get(self.kind)
        return str(sheet.label) if sheet is not None else self.kind

    @property
    def target_url(self) -> str:
        """The page of what the rows went into (an exam's page), when the kind has one."""
        from .sheets import kinds

        sheet = kinds().get(self.kind)
        return sheet.target_url(self.params) if sheet is not None else ""

    @property
    def is_finished(self) -> bool:
        return self.job.is_finished

    @property
    def errors(self) -> list[dict]:
        return self.result.get("errors", [])


def _notification_check(user, action, note) -> bool | None:
    return note.recipient_id == user.pk


@scoped(
    path="recipient__person__org_unit__path",
    # No role views another's notifications: only the recipient, via ``visible``.
    rules={"view": ()},
    grants=False,
    check=_notification_check,
    visible=lambda user: Q(recipient_id=user.pk),
)
class Notification(models.Model):
    """An in-app message to one account, shown in the notification centre.

    Modules send them through ``jiaoyan.core.notifications.notify`` (inside their service's
    transaction); ``dedupe_key`` keeps a reminder from being sent twice to one person.
    """

    class Kind(models.TextChoices):
        INFO = "info", _("Information")
        REMINDER = "reminder", _("Reminder")
        WARNING = "warning", _("Warning")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SearchDocument(models.Model):
    """One searchable object's tokens (core.search): title, body and text, each the
    space-separated jieba tokens of what its model registered. Not read directly — a
    scoped queryset is narrowed with ``core.search.search``. Its id is the object's
    content type id << 40 | the object's id (``search.document_id``).

    The backends' indexes live beside this table, made by migration 0009: on SQLite the
    FTS5 table ``core_search_fts`` (external content: this table) kept by triggers, on
    PostgreSQL the generated ``vector`` column (tsvector, 'simple') with a GIN index. A
    later migration that makes SQLite rebuild this table must create the triggers again.
    """

    id = models.BigIntegerField(primary_key=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"


class Stamp(models.Model):
    """A named version of some data (``core.stamps``): changed in the transaction of every
    write to that data, read by the figures kept in the cache that were computed from it,
    so a kept figure is used only while its inputs are exactly as they were. Holds no
    data of its own (a key and a number), so it belongs to no unit."""

    key = models.CharField(_("key"), max_length=60, primary_key=True)
    value = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.value}"
