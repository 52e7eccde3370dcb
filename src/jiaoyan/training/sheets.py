"""Attendance of a training session (培训签到表): exported per session, filled in or
corrected by the organiser, imported back. One row is one participant at the session; the
natural key is the staff number (工号), so one file is one session's sheet. Only people
enrolled in the programme are accepted; late and absent are kept as such. Re-importing the
same file changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.activities.sheets import parse_time
from jiaoyan.core import cells
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.sheets import Column, Param, Row, RowError, SheetKind, WriteCounts, register

from . import services
from .models import Attendance, Enrolment, Session

ATTENDANCE_SHEET = {
    Attendance.Status.PRESENT: "出席",
    Attendance.Status.LATE: "迟到",
    Attendance.Status.ABSENT: "缺席",
}
ATTENDANCE_READ = {
    **{v: k for k, v in ATTENDANCE_SHEET.items()},
    "已签到": Attendance.Status.PRESENT,
    "签到": Attendance.Status.PRESENT,
    "到": Attendance.Status.PRESENT,
    "√": Attendance.Status.PRESENT,
    "是": Attendance.Status.PRESENT,
    "未到": Attendance.Status.ABSENT,
    "否": Attendance.Status.ABSENT,
    "×": Attendance.Status.ABSENT,
}


@register
class SessionAttendanceSheet(SheetKind):
    kind = "training_attendance"
    model = Session
    label = "培训签到"
    sheet_title = "培训签到表"
    key_column = "staff_no"
    columns = [
        Column("工号", "staff_no", partial(cells.code, max_length=32), required=True),
        Column("姓名", "name", cells.text, help="仅供核对，不会修改人员信息", width=10),
        Column("单位", "unit", cells.text, help="仅供核对", width=24),
        Column(
            "签到状态",
            "status",
            cells.one_of(ATTENDANCE_READ, list(ATTENDANCE_SHEET.values())),
            required=True,
            choices=list(ATTENDANCE_SHEET.values()),
            width=10,
        ),
        Column("签到时间", "checked_in_at", parse_time, help="如 2025-03-01 09:05，或只写 09:05"),
    ]
    params = (Param("session", _lazy("session"), help="the session's id (on its programme page)"),)

    session: Session | None = None

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        given = values.get("session")
        qs = Session.objects.select_related("programme", "programme__org_unit")
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        try:
            session = qs.filter(pk=int(str(given))).first()
        except ValueError:
            session = None
        if session is None:
            raise ServiceError(
                _("There is no session “%(id)s” in your scope.") % {"id": given}, field="params"
            )
        if not self.allowed("import", session):
            raise PermissionDenied(_("You may not record the attendance of this session."))
        if session.programme.status == "closed":
            raise ServiceError(
                _("The programme is closed: nothing can be changed any more."), field="params"
            )
        self.session = session
        values["session"] = session.pk
        return values

    def describe(self) -> str:
        return str(self.session) if self.session else ""

    def owner_unit_id(self) -> int | None:
        return self.session.programme.org_unit_id if self.session else None

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        from django.urls import reverse

        return reverse("training:session_attendance", args=[values["session"]])

    def prepare(self, rows: list[Row]) -> None:
        numbers = [r.values["staff_no"] for r in rows if r.values.get("staff_no")]
        enrolled = Enrolment.objects.filter(
            programme_id=self.session.programme_id,
            status=Enrolment.Status.ENROLLED,
            person__staff_no__in=numbers,
        ).values_list("person__staff_no", "person_id")
        self.people = dict(enrolled)

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        pid = self.people.get(v["staff_no"])
        if pid is None:
            errors.append(
                RowError(
                    row.number,
                    self.header_of("staff_no"),
                    _("no participant of this programme has this staff number"),
                    v["staff_no"],
                )
            )
            return
        row.extra["person_id"] = pid
        at = v.get("checked_in_at")
        if isinstance(at, dt.time):
            day = timezone.localtime(self.session.starts_at).date()
            at = dt.datetime.combine(day, at)
        if isinstance(at, dt.datetime) and timezone.is_naive(at):
            at = timezone.make_aware(at)
        row.extra["at"] = at if v["status"] != Attendance.Status.ABSENT else None

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        marks = {r.extra["person_id"]: (r.values["status"], r.extra["at"]) for r in rows}
        created, updated, same = services.write_attendance(self.session, marks, actor=self.actor)
        return WriteCounts(created=created, updated=updated, unchanged=same)

    def export_queryset(self):
        return Enrolment.objects.filter(
            programme_id=self.session.programme_id if self.session else 0,
            status=Enrolment.Status.ENROLLED,
        ).select_related("person", "person__org_unit")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        marks = {
            a.person_id: a for a in Attendance.objects.filter(session=self.session) if self.session
        }
        for e in queryset.order_by("person__org_unit__path", "person__staff_no"):
            a = marks.get(e.person_id)
            at = (
                timezone.localtime(a.checked_in_at).strftime("%Y-%m-%d %H:%M")
                if (a and a.checked_in_at)
                else ""
            )
            yield [
                e.person.staff_no,
                e.person.name,
                e.person.org_unit.name,
                ATTENDANCE_SHEET.get(a.status, "") if a else "缺席",
                at,
            ]
