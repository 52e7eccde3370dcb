"""Models every app shares: the audit log, explicit scope grants, import jobs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .paths import PathField
from .roles import ADMINS
from .scope import ScopedQuerySet, scoped


def _audit_visible(user) -> Q | None:
    return Q(actor_id=user.pk)


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
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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


def _import_job_check(user, action, job) -> bool | None:
    if action == "view" and job.created_by_id == user.pk:
        return True
    return None


def _import_job_visible(user) -> Q:
    return Q(created_by_id=user.pk)


@scoped(
    path="org_unit__path",
    rules={"view": ADMINS},
    grants=False,
    check=_import_job_check,
    visible=_import_job_visible,
)
class ImportJob(models.Model):
    """One upload of a sheet: its options, its progress, and its report."""

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

    kind = models.CharField(_("kind"), max_length=40)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only"), default=False)
    valid_only = models.BooleanField(_("import valid rows only"), default=False)
    # What the rows go into, for kinds that take parameters (the exam of a score sheet):
    # the values cleaned by the kind, e.g. {"exam": 5, "subject": "数学"}, and their label.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    target = models.CharField(_("imported into"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default="queued")
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("core:import_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status in {self.Status.SUCCEEDED, self.Status.REJECTED, self.Status.FAILED}:
            return 100
        weights = {"queued": 0, "reading": 5, "validating": 10, "writing": 85, "done": 100}
        base = weights.get(self.phase, 0)
        if self.phase == self.Phase.VALIDATING and self.total_rows:
            return base + int(75 * self.processed_rows / self.total_rows)
        return base

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
        return self.status in {self.Status.SUCCEEDED, self.Status.REJECTED, self.Status.FAILED}

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
