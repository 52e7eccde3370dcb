"""The observation list: filters, sorts, a count that stays cheap, the export."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from jiaoyan.core.lists import ListRows, SortOption, querystring_without
from jiaoyan.core.pages import Column, ListPage

from .. import queries
from ..filters import ObservationFilter

SORTS = [
    SortOption("date", gettext_lazy("Date"), ("date", "period")),
    SortOption("total", gettext_lazy("Total score"), ("total",)),
    SortOption("school", gettext_lazy("School"), ("unit_path",)),
]


def _number(value):
    return float(value) if value is not None else ""


class ObservationList(ListPage):
    """The observations the viewer sees (submitted ones, and their own drafts), filtered
    and sorted; the unfiltered list's count is read without counting the rows; exported
    in the list's columns."""

    template = "observations/observation_list.html"
    fragment = "observations/_observation_table.html"
    filterset = ObservationFilter
    sorts = SORTS
    default_sort = "-date"
    columns = [
        Column("日期", "date"),
        Column("节次", lambda o: o.period or ""),
        Column("学校", "org_unit.name"),
        Column("授课教师", "teacher.name"),
        Column("学科", "subject.name"),
        Column("学段", "stage.name"),
        Column("年级", "grade"),
        Column("班级", "class_name"),
        Column("课题", "topic"),
        Column("类型", "get_kind_display"),
        Column("听课人", "observer_name"),
        Column("评价表", lambda o: str(o.rubric_version)),
        Column("总分", lambda o: _number(o.total)),
        Column("等级", "grade_label"),
        Column("S-T Rt", lambda o: _number(o.st_rt)),
        Column("S-T Ch", lambda o: _number(o.st_ch)),
        Column("教学模式", "st_mode_label"),
        Column("状态", "get_status_display"),
        Column("教研活动", "activity_title"),
    ]
    export_name = "听课记录"

    def get_queryset(self):
        return queries.observations_for(self.user)

    def list_queryset(self, qs):
        user = self.user
        f = self.filter
        unfiltered = not any(self.request.GET.get(k) for k in f.filters)
        count = queries.visible_count(user) if unfiltered else None
        return ListRows(queries.for_list(qs), count, ids_first=True)

    def export_queryset(self, qs):
        return queries.for_list(qs.order_by("-date", "-id")).select_related(
            "rubric_version__rubric"
        )

    def export_rows(self, qs):
        return qs.iterator(chunk_size=2000)

    def get_context(self):
        f = self.filter
        return {
            "can_add": queries.can_add_somewhere(self.user),
            "person": getattr(self.user, "person", None),
            "activity": f.form.cleaned_data.get("activity") if f.is_bound else None,
            "without_activity": querystring_without(self.request, "page", "activity"),
        }


observation_list = ObservationList.as_view()
