from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "jiaoyan.quality"
    label = "quality"
    verbose_name = _("Education quality")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.quality.api.router")
        from jiaoyan.core import nav, restricted

        from . import sheets  # noqa: F401  (registers the scores, item-scores, balance sheets)

        nav.register(
            nav.NavItem(
                "quality",
                _("Quality analysis"),
                "quality:exam_list",
                order=60,
                section=nav.QUALITY,
                active_for=("quality:",),
            )
        )
        restricted.register(
            restricted.Kind(
                restricted.STUDENT_DATA,
                _("student-level data"),
                model="quality.StudentDataPermission",
            )
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
