from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "jiaoyan.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.people.api.router")
        from jiaoyan.core import home, nav
        from jiaoyan.core.roles import Role

        from . import sheets  # noqa: F401  (registers the people sheet)
        from .panels import charts_panel, figures_panel

        nav.register(
            nav.NavItem(
                "people",
                _("People"),
                "people:person_list",
                order=30,
                section=nav.ADMIN,
                active_for=("people:",),
            )
        )
        home.register(
            home.HomePanel(
                "people_figures",
                "people/_home_figures.html",
                figures_panel,
                order=51,
                place=home.TOP,
                roles=frozenset({Role.BUREAU_ADMIN, Role.RESEARCHER}),
                levels=home.REGION_LEVELS,
            )
        )
        home.register(
            home.HomePanel(
                "people_charts",
                "people/_home_charts.html",
                charts_panel,
                order=61,
                place=home.WIDE,
                roles=frozenset({Role.BUREAU_ADMIN}),
                levels=home.REGION_LEVELS,
            )
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
