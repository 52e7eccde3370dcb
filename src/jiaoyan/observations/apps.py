from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import Role


class ObservationsConfig(core_apps.ModuleConfig):
    name = "jiaoyan.observations"
    verbose_name = _("Lesson observation")

    seed_migrations = ("jiaoyan.observations.migrations.0002_default_rubric",)
    nav_items = (
        nav.NavItem(
            "observations",
            _("Lesson observation"),
            "observations:observation_list",
            order=40,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "observations:observation",
                "observations:round",
                "observations:rubric",
                "observations:liaison",
                "observations:growth",
            ),
        ),
        nav.NavItem(
            "observation_coverage",
            _("Observation coverage"),
            "observations:coverage",
            order=41,
            section=nav.RESEARCH,
            visible=nav.with_role(Role.BUREAU_ADMIN, Role.RESEARCHER, Role.PRINCIPAL),
            active_for=("observations:coverage", "observations:analysis"),
        ),
    )
    home_panels = (
        home.HomePanel(
            "observed",
            "observations/_home_observed.html",
            "jiaoyan.observations.panels.observed_panel",
            order=30,
            roles=frozenset({Role.TEACHER}),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.activities import hooks

        from .models import OBSERVERS
        from .panels import activity_panel, coverage_panel

        home.register(
            home.HomePanel(
                "observation_coverage",
                "observations/_home_coverage.html",
                coverage_panel,
                order=31,
                roles=frozenset(OBSERVERS),
            )
        )
        # The observations made in an activity, on the activity's page.
        hooks.register_detail_panel(
            hooks.DetailPanel(
                key="observations",
                template="observations/_activity_panel.html",
                context=activity_panel,
                order=50,
            )
        )
