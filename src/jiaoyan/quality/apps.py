from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav


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
            )
        )
