"""Research plans and their monthly themes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can, locked, require
from jiaoyan.core.services import apply_changes
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from ..models import MonthlyTheme, ResearchPlan
from .common import Action, _level_of


def _check_plan_fields(year: int, title: str) -> None:
    if not title.strip():
        raise ServiceError(_("The title may not be empty."), field="title")
    if not 2000 <= int(year) <= 2100:
        raise ServiceError(_("The year is not plausible."), field="year")


@transaction.atomic
def create_plan(
    *,
    actor,
    org_unit: OrgUnit,
    year: int,
    title: str,
    goals: str = "",
    subject: Subject | None = None,
    stage: Stage | None = None,
    parent: ResearchPlan | None = None,
) -> ResearchPlan:
    plan = ResearchPlan(
        org_unit=org_unit,
        year=year,
        title=title.strip(),
        goals=goals.strip(),
        level=_level_of(org_unit),
        subject=subject,
        stage=stage,
        parent=parent,
        created_by=actor,
    )
    require(actor, "add", plan)
    _check_plan_fields(year, title)
    if parent is not None:
        parent = ResearchPlan.objects.filter(pk=parent.pk).first()
        plan.parent = parent
        if parent is None or not can(actor, "view", parent):
            raise ServiceError(_("The plan above does not exist."), field="parent")
        if parent.status != ResearchPlan.Status.PUBLISHED:
            raise ServiceError(_("Only a published plan can be followed."), field="parent")
    plan.save()
    audit.record(
        actor,
        plan,
        Action.CREATE,
        {
            k: [None, v]
            for k, v in audit.snapshot(
                plan, ["org_unit", "year", "title", "subject", "stage"]
            ).items()
        },
    )
    return plan


PLAN_FIELDS = ["title", "goals", "year", "subject", "stage", "parent"]


@transaction.atomic
def update_plan(
    *, actor, plan: ResearchPlan, data: dict, expected_version: int | None = None
) -> ResearchPlan:
    plan = locked(actor, "change", plan)
    _check_plan_fields(data.get("year", plan.year), data.get("title", plan.title))
    if "title" in data:
        data["title"] = data["title"].strip()
    parent = data.get("parent")
    if parent is not None and (parent.pk == plan.pk or not can(actor, "view", parent)):
        raise ServiceError(_("The plan above does not exist."), field="parent")
    apply_changes(actor, plan, data, PLAN_FIELDS, expected_version=expected_version)
    return plan


@transaction.atomic
def publish_plan(*, actor, plan: ResearchPlan) -> ResearchPlan:
    plan = locked(actor, "change", plan)
    if plan.status == ResearchPlan.Status.PUBLISHED:
        return plan
    if not plan.themes.exists():
        raise ServiceError(_("Add at least one monthly theme before publishing the plan."))
    plan.status = ResearchPlan.Status.PUBLISHED
    plan.published_at = timezone.now()
    plan.version += 1
    plan.save(update_fields=["status", "published_at", "version"])
    audit.record(actor, plan, Action.STATUS, {"status": ["draft", "published"]})
    return plan


def _check_theme(plan: ResearchPlan, month: int, title: str, subject, stage, exclude=None):
    if not 1 <= int(month) <= 12:
        raise ServiceError(_("The month must be between 1 and 12."), field="month")
    if not title.strip():
        raise ServiceError(_("The theme may not be empty."), field="title")
    clash = MonthlyTheme.objects.filter(plan=plan, month=month, subject=subject, stage=stage)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ServiceError(
            _("This plan already has a theme for month %(m)d with the same subject and stage.")
            % {"m": month},
            field="month",
        )


@transaction.atomic
def add_theme(
    *,
    actor,
    plan: ResearchPlan,
    month: int,
    title: str,
    goals: str = "",
    subject: Subject | None = None,
    stage: Stage | None = None,
) -> MonthlyTheme:
    require(actor, "change", plan)
    _check_theme(plan, month, title, subject, stage)
    theme = MonthlyTheme.objects.create(
        plan=plan,
        month=month,
        title=title.strip(),
        goals=goals.strip(),
        subject=subject,
        stage=stage,
    )
    audit.record(
        actor,
        plan,
        Action.UPDATE,
        {"themes": [None, str(theme)]},
        message=_("Theme added"),
    )
    return theme


THEME_FIELDS = ["month", "title", "goals", "subject", "stage"]


@transaction.atomic
def update_theme(
    *, actor, theme: MonthlyTheme, data: dict, expected_version: int | None = None
) -> MonthlyTheme:
    theme = MonthlyTheme.objects.select_for_update().select_related("plan").get(pk=theme.pk)
    require(actor, "change", theme)
    _check_theme(
        theme.plan,
        data.get("month", theme.month),
        data.get("title", theme.title),
        data.get("subject", theme.subject),
        data.get("stage", theme.stage),
        exclude=theme,
    )
    apply_changes(actor, theme, data, THEME_FIELDS, expected_version=expected_version)
    return theme


@transaction.atomic
def delete_theme(*, actor, theme: MonthlyTheme) -> None:
    require(actor, "delete", theme)
    if theme.activities.exists():
        raise ServiceError(_("Activities are tied to this theme; tie them to another theme first."))
    audit.record(
        actor, theme.plan, Action.UPDATE, {"themes": [str(theme), None]}, message=_("Theme removed")
    )
    theme.delete()
