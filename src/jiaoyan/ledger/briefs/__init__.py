"""The weekly brief (周简报) of a unit: its figures, its draft, editing and issuing.

A brief covers an ISO week (Monday to Sunday, site time zone) and the *region* of the unit
(``OrgUnit.scope_root``: the brief of 临渭区教师发展中心 reports on all of 临渭区). Every
figure is read from the querysets the acting user sees (``visible_to``) narrowed to that
subtree by path, with aggregate queries only (no per-row loops: a city's week is read in a
handful of queries).

Figures:

* activities held: activities of the subtree, in progress or finished, whose time overlaps
  the week; counts by kind; the notable ones are the five with the most check-ins;
* ledger: items assigned by, or the responsibility of, a unit of the subtree —
  done in the week (``done_at`` in the week, whether verified since or not), overdue at
  the end of the week (deadline before the day after the week — or before today while the
  week is still running — and not done by then; cancelled items left out), newly put under
  supervision in the week (a supervision escalated in the week), and new items (created
  in the week);
* observations: submitted in the week (``submitted_at``), by kind.

Issued briefs are numbered per (unit, kind, year): ``year`` is the ISO year of the week.

The module is split along its seams: :mod:`.reads` (weeks, figures, section text, what a
user sees), :mod:`.writes` (the services) and :mod:`.documents` (the .docx job); their
names are available from here as before.
"""

from .documents import document_job, request_document, store_document
from .reads import (
    NAMED_ITEMS,
    NOTABLE,
    SECTION_KEYS,
    assigner_scopes,
    brief_title,
    brief_units,
    chart_data,
    day_start,
    default_sections,
    last_week,
    monday_of,
    overdue_q,
    parse_week,
    reference_point,
    region_of,
    visible_briefs,
    week_label,
    weekly_figures,
)
from .writes import (
    MAX_BODY,
    MAX_HEADING,
    delete_draft,
    generate_weekly_brief,
    issue_brief,
    next_brief_number,
    update_brief_sections,
)

__all__ = [
    "MAX_BODY",
    "MAX_HEADING",
    "NAMED_ITEMS",
    "NOTABLE",
    "SECTION_KEYS",
    "assigner_scopes",
    "brief_title",
    "brief_units",
    "chart_data",
    "day_start",
    "default_sections",
    "delete_draft",
    "document_job",
    "generate_weekly_brief",
    "issue_brief",
    "last_week",
    "monday_of",
    "next_brief_number",
    "overdue_q",
    "parse_week",
    "reference_point",
    "region_of",
    "request_document",
    "store_document",
    "update_brief_sections",
    "visible_briefs",
    "week_label",
    "weekly_figures",
]
