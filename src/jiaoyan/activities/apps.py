from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "jiaoyan.activities"
    label = "activities"
    verbose_name = _("Research activities")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.activities.api.router")
        from jiaoyan.core import home, nav

        from . import sheets  # noqa: F401  (registers the attendance sheet)
        from .panels import home_panel

        nav.register(
            nav.NavItem(
                "activities",
                _("Activities"),
                "activities:list",
                order=40,
                section=nav.RESEARCH,
                active_for=("activities:",),
            )
        )
        home.register(
            home.HomePanel("activities", "activities/_home_panel.html", home_panel, order=10)
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
