"""The weekly brief's writes: generate a draft, edit its sections, issue it (numbered),
delete a draft — each checked, audited, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import require
from jiaoyan.core.services import check_version
from jiaoyan.orgs.models import OrgUnit

from ..models import Brief
from .documents import request_document
from .reads import brief_title, default_sections, monday_of, weekly_figures

Action = audit.AuditLog.Action
MAX_HEADING = 60
MAX_BODY = 5000


@transaction.atomic
def generate_weekly_brief(*, actor, unit: OrgUnit, week_start: dt.date) -> Brief:
    """A draft weekly brief of ``unit`` for the week of ``week_start``, with its figures
    and prefilled sections (in the site's language)."""
    require(actor, "add", Brief(org_unit=unit))
    monday = monday_of(week_start)
    if monday > timezone.localdate():
        raise ServiceError(_("The week has not started yet; choose a past week."), field="week")
    with translation.override(settings.LANGUAGE_CODE):
        figures = weekly_figures(actor, unit, monday)
        sections = default_sections(figures)
        title = brief_title(unit)
    brief = Brief.objects.create(
        org_unit=unit,
        kind=Brief.Kind.WEEKLY,
        period_start=monday,
        period_end=monday + dt.timedelta(days=6),
        year=monday.isocalendar()[0],
        title=title[:100],
        editor=unit.name[:100],
        content={"figures": figures, "sections": sections},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor,
        brief,
        Action.CREATE,
        {"title": [None, brief.title], "period_start": [None, monday.isoformat()]},
    )
    return brief


def _clean_sections(old: list[dict[str, str]], sections: Any) -> list[dict[str, str]]:
    if not isinstance(sections, list | tuple):
        raise ServiceError(_("The sections could not be read."))
    by_key = {s.get("key"): s for s in sections if isinstance(s, dict)}
    clean = []
    for s in old:
        new = by_key.get(s["key"], s)
        heading = str(new.get("heading", s["heading"]) or "").replace("\x00", "").strip()
        body = str(new.get("body", s["body"]) or "").replace("\x00", "").replace("\r\n", "\n")
        body = body.strip()
        if not heading:
            raise ServiceError(_("Every section needs a heading."), field=f"heading_{s['key']}")
        if len(heading) > MAX_HEADING:
            raise ServiceError(
                _("A heading is at most %(n)d characters long.") % {"n": MAX_HEADING},
                field=f"heading_{s['key']}",
            )
        if len(body) > MAX_BODY:
            raise ServiceError(
                _("A section is at most %(n)d characters long.") % {"n": MAX_BODY},
                field=f"body_{s['key']}",
            )
        clean.append({"key": s["key"], "heading": heading, "body": body})
    return clean


@transaction.atomic
def update_brief_sections(
    *, actor, brief: Brief, sections: Any, expected_version: int | None
) -> Brief:
    """Edit the headings and texts of a draft (the figures stay as generated)."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    require(actor, "change", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("An issued brief can no longer be changed."))
    check_version(brief, expected_version)
    old = brief.content.get("sections", [])
    clean = _clean_sections(old, sections)
    changes = {
        s["key"]: [o["body"][:200], s["body"][:200]]
        for o, s in zip(old, clean, strict=True)
        if o != s
    }
    if not changes:
        return brief
    brief.content = {**brief.content, "sections": clean}
    brief.version += 1
    brief.save(update_fields=["content", "version"])
    audit.record(actor, brief, Action.UPDATE, changes)
    return brief


def next_brief_number(brief: Brief) -> int:
    top = Brief.objects.filter(
        org_unit_id=brief.org_unit_id, kind=brief.kind, year=brief.year, number__isnull=False
    ).aggregate(m=Max("number"))["m"]
    return (top or 0) + 1


@transaction.atomic
def issue_brief(
    *,
    actor,
    brief: Brief,
    expected_version: int | None = None,
    issued_at: dt.datetime | None = None,
) -> Brief:
    """Issue a draft: it gets the next number (期号) of its unit, kind and year, its .docx
    is rendered and stored by the task worker, and it can no longer be changed. Two briefs
    issued at once never share a number (the unique constraint decides; the loser takes
    the next one).

    ``issued_at`` (default now) is for back-filling an archive (the demo data)."""
    brief = Brief.objects.select_for_update().select_related("org_unit").get(pk=brief.pk)
    require(actor, "change", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("This brief has already been issued."))
    check_version(brief, expected_version)
    now = issued_at or timezone.now()
    for _attempt in range(5):
        brief.number = next_brief_number(brief)
        brief.state = Brief.State.ISSUED
        brief.issued_at = now
        brief.issued_by = actor if getattr(actor, "pk", None) else None
        brief.version += 1
        try:
            with transaction.atomic():
                brief.save(update_fields=["number", "state", "issued_at", "issued_by", "version"])
            break
        except IntegrityError:
            brief.version -= 1
            continue
    else:
        raise ServiceError(_("Several briefs are being issued at once; try again."))
    audit.record(actor, brief, Action.STATUS, {"state": [Brief.State.DRAFT, Brief.State.ISSUED]})
    request_document(brief, actor=actor)
    brief.refresh_from_db(fields=["docx", "document_version", "document_job"])
    return brief


@transaction.atomic
def delete_draft(*, actor, brief: Brief) -> None:
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    require(actor, "delete", brief)
    if brief.state != Brief.State.DRAFT:
        raise ServiceError(_("An issued brief is archived and cannot be deleted."))
    audit.record(actor, brief, Action.DELETE, {"title": [brief.title, None]})
    brief.delete()
