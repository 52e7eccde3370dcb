"""The yearly report of a community as .docx, generated from the records: the members, the
activities held with their participant numbers, the completion of each task, and the
highlights (the best-attended activities). Every figure is written as plain digits, so the
text read back carries the numbers. Runs in the task worker (``tasks.render_yearly_report``).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from . import progress, queries
from .models import YearlyReport


def _table(doc, headers: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        cell.text = h
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)


def figures(report: YearlyReport) -> dict:
    """What the document says, computed from the records (also what tests compare)."""
    community = report.community
    year = report.year
    members = list(queries.members(community))
    tasks = queries.tasks_with_progress(community, year)
    held = progress.held_activities([community.pk], year)
    held_ids = {a["id"] for a in held}
    activities = list(community.activities.filter(pk__in=held_ids).order_by("starts_at", "id"))
    return {
        "members": members,
        "current_members": sum(1 for m in members if m.left_on is None),
        "tasks": tasks,
        "activities": activities,
        "held": len(activities),
        "attendance": sum(a.checked_in_count for a in activities),
        "tasks_met": sum(1 for t in tasks if t["met"]),
    }


def render(report: YearlyReport) -> bytes:
    community = report.community
    data = figures(report)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    title = doc.add_heading(
        _("%(name)s: yearly report %(year)s") % {"name": community.name, "year": report.year}, 0
    )
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        _("%(kind)s · %(level)s · owned by %(unit)s · period %(start)s to %(end)s")
        % {
            "kind": community.get_kind_display(),
            "level": community.get_level_display(),
            "unit": community.org_unit.name,
            "start": community.start_on,
            "end": community.end_on,
        }
    )
    doc.add_heading(_("Summary"), 1)
    doc.add_paragraph(
        _(
            "Members: %(members)d. Activities held: %(held)d, with %(attendance)d "
            "participants checked in. Tasks met: %(met)d of %(tasks)d."
        )
        % {
            "members": data["current_members"],
            "held": data["held"],
            "attendance": data["attendance"],
            "met": data["tasks_met"],
            "tasks": len(data["tasks"]),
        }
    )
    if community.goals:
        doc.add_heading(_("Goals"), 1)
        doc.add_paragraph(community.goals)
    doc.add_heading(_("Members"), 1)
    _table(
        doc,
        [_("Member"), _("Unit"), _("Role"), _("Joined on"), _("Left on")],
        [
            [
                str(m.member),
                m.person.org_unit.name if m.person_id else "",
                m.get_role_display(),
                m.joined_on,
                m.left_on or "",
            ]
            for m in data["members"]
        ],
    )
    doc.add_heading(_("Tasks"), 1)
    _table(
        doc,
        [_("Task"), _("Target"), _("Done"), _("Completion")],
        [[t["task"].name, t["task"].target, t["done"], f"{t['percent']}%"] for t in data["tasks"]],
    )
    doc.add_heading(_("Activities held"), 1)
    _table(
        doc,
        [_("Date"), _("Activity"), _("Kind"), _("Participants")],
        [
            [
                timezone.localtime(a.starts_at).date(),
                a.title,
                a.get_kind_display(),
                a.checked_in_count,
            ]
            for a in data["activities"]
        ],
    )
    top = sorted(data["activities"], key=lambda a: -a.checked_in_count)[:3]
    if top:
        doc.add_heading(_("Highlights"), 1)
        for a in top:
            doc.add_paragraph(
                _("%(title)s (%(date)s): %(n)d participants")
                % {
                    "title": a.title,
                    "date": timezone.localtime(a.starts_at).date(),
                    "n": a.checked_in_count,
                },
                style="List Bullet",
            )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def store(report: YearlyReport) -> dict:
    """Render and store the report (in the task worker)."""
    report = YearlyReport.objects.select_related("community", "community__org_unit").get(
        pk=report.pk
    )
    with translation.override(settings.LANGUAGE_CODE):
        data = render(report)
    name = f"{report.community.code}-{report.year}-{report.pk}.docx"
    report.docx.save(name, ContentFile(data), save=False)
    YearlyReport.objects.filter(pk=report.pk).update(docx=report.docx.name)
    return {"bytes": len(data)}
