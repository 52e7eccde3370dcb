"""Attendance sheets (签到表): exported per activity or venue, filled in (or corrected) by
the organiser, imported back. One row is one person on one activity; the natural key is
the staff number (工号) within the activity, so one file is one activity's sheet (the
export writes exactly that). Re-importing the same file changes nothing.

People on the sheet who were not on the list are added (walk-ins). After the activity
finished, an import is an attendance correction: audited, and the hours follow it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import cells
from jiaoyan.core.bulk import filter_in
from jiaoyan.core.scope import can
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.people.models import Person

from .models import Activity, Participation

Att = Participation.Attendance

ATTENDANCE_SHEET = {
    Att.PRESENT: "出席",
    Att.LATE: "迟到",
    Att.EXCUSED: "请假",
    Att.ABSENT: "缺席",
    Att.UNKNOWN: "未签到",
}
ATTENDANCE_READ = {
    **{v: k for k, v in ATTENDANCE_SHEET.items()},
    "已签到": Att.PRESENT,
    "签到": Att.PRESENT,
    "到": Att.PRESENT,
    "√": Att.PRESENT,
    "✓": Att.PRESENT,
    "是": Att.PRESENT,
    "未到": Att.ABSENT,
    "否": Att.ABSENT,
    "×": Att.ABSENT,
    "病假": Att.EXCUSED,
    "事假": Att.EXCUSED,
}
STATUS_SHEET = {
    Participation.Status.INVITED: "已邀请",
    Participation.Status.REGISTERED: "已报名",
    Participation.Status.DECLINED: "已请辞",
}

_TIME_RE = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


def parse_time(raw: Any) -> dt.datetime | dt.time | None:
    """A check-in time: a date-time cell, ``2025-03-01 09:05``, an Excel serial with a
    fraction, or just ``09:05`` (the activity's day)."""
    if cells.is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, dt.time):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 0 <= raw < 1:
            seconds = round(raw * 86400)
            return dt.time(seconds // 3600, seconds // 60 % 60)
        day = cells.date(int(raw))
        seconds = round((raw - int(raw)) * 86400)
        return dt.datetime.combine(day, dt.time(seconds // 3600 % 24, seconds // 60 % 60))
    text = cells.nfkc(cells.text(raw)).replace("T", " ")
    m = _TIME_RE.match(text)
    if m:
        h, mi = int(m[1]), int(m[2])
        if h > 23 or mi > 59:
            raise cells.CellError(_("is not a valid time"))
        return dt.time(h, mi)
    parts = text.split()
    if len(parts) == 2:
        day = cells.date(parts[0])
        m = _TIME_RE.match(parts[1])
        if m and day and int(m[1]) <= 23 and int(m[2]) <= 59:
            return dt.datetime.combine(day, dt.time(int(m[1]), int(m[2])))
    raise cells.CellError(_("is not a time (write it as 2025-03-01 09:05 or 09:05)"))


@register
class AttendanceSheet(SheetKind):
    kind = "activity_attendance"
    model = Participation
    label = "活动签到"
    sheet_title = "签到表"
    key_column = "staff_no"
    columns = [
        Column(
            "活动编号",
            "activity_id",
            partial(cells.integer, minimum=1),
            required=True,
            help="活动页面上显示的编号；一个文件只填一个活动",
            width=10,
        ),
        Column("会场", "venue", cells.text, help="会场名称；空着表示不改变会场", width=18),
        Column("工号", "staff_no", partial(cells.code, max_length=32), required=True),
        Column("姓名", "name", cells.text, help="仅供核对，不会修改人员信息", width=10),
        Column("单位", "unit", cells.text, help="仅供核对", width=24),
        Column("报名状态", "status", cells.text, help="仅供核对", width=10),
        Column(
            "签到状态",
            "attendance",
            cells.one_of(ATTENDANCE_READ, list(ATTENDANCE_SHEET.values())),
            required=True,
            choices=list(ATTENDANCE_SHEET.values()),
            width=10,
        ),
        Column(
            "签到时间",
            "checked_in_at",
            parse_time,
            help="如 2025-03-01 09:05，或只写 09:05",
            width=18,
        ),
    ]

    def prepare(self, rows: list[Row]) -> None:
        ids = {r.values["activity_id"] for r in rows if r.values.get("activity_id")}
        qs = Activity.objects.filter(pk__in=ids).prefetch_related("venues")
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        self.activities = {a.pk: a for a in qs}
        numbers = [r.values["staff_no"] for r in rows if r.values.get("staff_no")]
        # A row may name someone on the activity's list (whoever invited them) or, as a
        # walk-in, someone the actor may see — found through the scoped resolver. Anyone
        # else gets the resolver's message: it does not say whether the number exists.
        self.walk_ins = self.resolver(Person, queryset=Person.objects.select_related("org_unit"))
        self.walk_ins.prefetch(numbers)
        parts = Participation.objects.filter(activity_id__in=list(self.activities)).select_related(
            "person", "person__org_unit"
        )
        self.parts: dict[tuple[int, int], Participation] = {
            (part.activity_id, part.person_id): part
            for part in filter_in(parts, "person__staff_no", numbers)
        }
        self.listed: dict[tuple[int, str], Person] = {
            (part.activity_id, part.person.staff_no): part.person for part in self.parts.values()
        }

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        h = self.header_of
        activity = self.activities.get(v["activity_id"])
        if activity is None:
            errors.append(
                RowError(
                    row.number,
                    h("activity_id"),
                    _("activity %(id)s does not exist") % {"id": v["activity_id"]},
                    str(v["activity_id"]),
                )
            )
            return
        if self.actor is not None and not can(self.actor, "change", activity):
            errors.append(
                RowError(row.number, h("activity_id"), _("you do not organise this activity"))
            )
            return
        if activity.status in {Activity.Status.DRAFT, Activity.Status.CANCELLED}:
            errors.append(
                RowError(
                    row.number,
                    h("activity_id"),
                    _("the activity is “%(status)s”: no attendance can be recorded")
                    % {"status": activity.get_status_display()},
                )
            )
            return
        person = self.listed.get((activity.pk, v["staff_no"])) or self.referenced(
            row, errors, self.walk_ins, "staff_no"
        )
        if person is None:
            return
        venue = None
        if v.get("venue"):
            venue = next((x for x in activity.venues.all() if x.name == v["venue"]), None)
            if venue is None:
                errors.append(
                    RowError(
                        row.number,
                        h("venue"),
                        _("the activity has no venue called “%(name)s”") % {"name": v["venue"]},
                        v["venue"],
                    )
                )
                return
        at = v.get("checked_in_at")
        if isinstance(at, dt.time):
            day = timezone.localtime(activity.starts_at).date()
            at = dt.datetime.combine(day, at)
        if at is not None:
            at = timezone.make_aware(at) if timezone.is_naive(at) else at
            if not (
                activity.starts_at - dt.timedelta(days=1)
                <= at
                <= activity.ends_at + dt.timedelta(days=1)
            ):
                errors.append(
                    RowError(
                        row.number,
                        h("checked_in_at"),
                        _("is not on the day of the activity"),
                        cells.text(row.raw.get("checked_in_at")),
                    )
                )
                return
        part = self.parts.get((activity.pk, person.pk))
        stored = part.checked_in_at if part is not None else None
        if at is not None and stored is not None and stored.replace(second=0, microsecond=0) == at:
            at = stored  # the sheet shows minutes: its own export is the same time
        if v["attendance"] in (Att.PRESENT, Att.LATE) and at is None:
            at = stored
        row.extra.update(activity=activity, person=person, venue=venue, at=at)

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        from . import services

        counts = WriteCounts()
        by_activity: dict[int, list[Row]] = defaultdict(list)
        for r in rows:
            by_activity[r.extra["activity"].pk].append(r)
        now = timezone.now()
        for activity_id in sorted(by_activity):
            group = by_activity[activity_id]
            activity = Activity.objects.select_for_update().get(pk=activity_id)
            main = next((v for v in group[0].extra["activity"].venues.all() if v.is_main), None)
            new_parts = []
            for r in group:
                key = (activity.pk, r.extra["person"].pk)
                if key not in self.parts:
                    part = Participation(
                        activity=activity,
                        person=r.extra["person"],
                        venue=r.extra["venue"] or main,
                        status=Participation.Status.REGISTERED,
                        created_at=now,
                        updated_at=now,
                    )
                    new_parts.append(part)
                    self.parts[key] = part
            Participation.objects.bulk_create(new_parts, batch_size=2000)
            if new_parts and new_parts[0].pk is None:
                ids = dict(
                    Participation.objects.filter(
                        activity=activity, person_id__in=[p.person_id for p in new_parts]
                    ).values_list("person_id", "pk")
                )
                for p in new_parts:
                    p.pk = p.id = ids[p.person_id]
            if new_parts:
                Activity.objects.filter(pk=activity.pk).update(
                    participant_count=F("participant_count") + len(new_parts)
                )
            moved = []
            for r in group:
                part = self.parts[(activity.pk, r.extra["person"].pk)]
                if r.extra["venue"] is not None and part.venue_id != r.extra["venue"].pk:
                    part.venue = r.extra["venue"]
                    moved.append(part)
            Participation.objects.bulk_update(moved, ["venue"], batch_size=1000)
            marks = {
                self.parts[(activity.pk, r.extra["person"].pk)].pk: (
                    r.values["attendance"],
                    r.extra["at"],
                )
                for r in group
            }
            changed = services._apply_marks(
                self.actor, activity, marks, Participation.Method.IMPORT
            )
            new_ids = {p.pk for p in new_parts}
            updated = (changed | {p.pk for p in moved}) - new_ids
            counts.created += len(new_ids)
            counts.updated += len(updated)
            counts.unchanged += len(group) - len(new_ids) - len(updated)
        return counts

    def export_queryset(self):
        qs = Participation.objects.all()
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        return qs.select_related("person", "person__org_unit", "venue").order_by(
            "activity_id", "venue_id", "person__org_unit__path", "person__staff_no"
        )

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for p in queryset.iterator(chunk_size=2000):
            yield [
                p.activity_id,
                p.venue.name if p.venue_id else "",
                p.person.staff_no,
                p.person.name,
                p.person.org_unit.name,
                STATUS_SHEET.get(p.status, p.status),
                ATTENDANCE_SHEET.get(p.attendance, ""),
                timezone.localtime(p.checked_in_at).strftime("%Y-%m-%d %H:%M")
                if p.checked_in_at
                else "",
            ]
