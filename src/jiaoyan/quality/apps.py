from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav

from .aggregates import ANALYSIS, ITEMS, VALUE_ADDED


class QualityConfig(core_apps.ModuleConfig):
    name = "jiaoyan.quality"
    verbose_name = _("Education quality")

    nav_items = (
        nav.NavItem(
            "quality",
            _("Quality analysis"),
            "quality:exam_list",
            order=60,
            section=nav.QUALITY,
            active_for=("quality:",),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.core import restricted

        restricted.register(
            restricted.Kind(
                restricted.STUDENT_DATA,
                _("student-level data"),
                model="quality.StudentDataPermission",
                title=_("Student-data permission"),
                description=_(
                    "Student-level score rows, and figures of groups with fewer than 10 "
                    "students, are shown only to accounts holding this permission on a unit "
                    "that contains them. A bureau admin grants it on their own subtree; every "
                    "grant, revocation, view and export is recorded in the audit log."
                ),
                nav_template="quality/_quality_nav.html",
            )
        )
        # The tables of aggregates of scores that pages, the API, exports and charts
        # publish (each through the small-cell suppression; tests/core/test_subtraction.py).
        for key, label, models in (
            (ANALYSIS, _("exam analysis per county, school and class"), ("quality.GroupStat",)),
            (ITEMS, _("item analysis"), ("quality.ItemStat", "quality.PaperStat")),
            (VALUE_ADDED, _("value-added per group"), ("quality.ValueAddedStat",)),
        ):
            restricted.register_aggregate(
                restricted.Aggregate(key, restricted.STUDENT_DATA, label, models)
            )
