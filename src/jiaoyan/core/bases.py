"""Abstract model bases for field groups many models declare the same way, and the one
field many models declare with only a label of their own.

A model lists the bases it needs before ``models.Model``::

    class Activity(Versioned, Timestamped, models.Model): ...

Each base declares its fields exactly as the models did, so adopting one changes no
column and needs no migration. A model whose field differs (a different label, an
editable ``version``) keeps its own declaration instead of a base.

:func:`user_ref` is the account that did something to a row (``created_by``,
``verified_by`` …)::

    verified_by = user_ref(_("verified by"), blank=True)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    """Optimistic locking: ``version`` goes up by one on every change made through
    ``core.services.apply_changes``; forms and API bodies send the version they read
    (``expected_version``) and a stale one is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Timestamped(models.Model):
    """When the row was created and last changed (set by the services, never in forms)."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True


class SubjectStageOptional(models.Model):
    """What a plan, theme, activity or rubric is about: a subject and a stage (学科, 学段),
    both optional (empty = every subject / every stage)."""

    subject = models.ForeignKey(
        "orgs.Subject",
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.ForeignKey(
        "orgs.Stage",
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


def user_ref(verbose_name=None, *, blank: bool = False) -> models.ForeignKey:
    """The account that did something to the row (created, verified, closed it …): empty
    once the account is deleted (the row keeps the name it shows where it needs one), and
    no reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=blank,
        on_delete=models.SET_NULL,
        related_name="+",
    )
