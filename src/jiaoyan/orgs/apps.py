from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "jiaoyan.orgs"
    label = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.orgs.api.router")
        from jiaoyan.core import home, nav, reference
        from jiaoyan.core.roles import Role

        from . import sheets  # noqa: F401  (registers the org_units and schools sheets)
        from .panels import charts_panel, figures_panel, my_school_panel

        reference.register("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")

        nav.register(
            nav.NavItem(
                "orgs",
                _("Organisation"),
                "orgs:tree",
                order=10,
                section=nav.ADMIN,
                active_for=("orgs:tree", "orgs:unit"),
            )
        )
        nav.register(
            nav.NavItem(
                "schools",
                _("Schools"),
                "orgs:school_list",
                order=20,
                section=nav.ADMIN,
                active_for=("orgs:school",),
            )
        )
        home.register(
            home.HomePanel(
                "my_school",
                "orgs/_home_school.html",
                my_school_panel,
                order=5,
                place=home.SIDE,
                roles=frozenset({Role.PRINCIPAL}),
                levels=home.SCHOOL_LEVELS,
            )
        )
        home.register(
            home.HomePanel(
                "scope_figures",
                "orgs/_home_figures.html",
                figures_panel,
                order=50,
                place=home.TOP,
                roles=frozenset({Role.BUREAU_ADMIN, Role.RESEARCHER}),
                levels=home.REGION_LEVELS,
            )
        )
        home.register(
            home.HomePanel(
                "school_charts",
                "orgs/_home_charts.html",
                charts_panel,
                order=60,
                place=home.WIDE,
                roles=frozenset({Role.BUREAU_ADMIN}),
                levels=home.REGION_LEVELS,
            )
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
