from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _may_see_observations(user) -> bool:
    from jiaoyan.core.scope import user_scopes

    return bool(getattr(user, "is_superuser", False)) or bool(user_scopes(user))


def _may_see_coverage(user) -> bool:
    from jiaoyan.core.roles import Role
    from jiaoyan.core.scope import has_role

    return has_role(user, Role.BUREAU_ADMIN, Role.RESEARCHER, Role.PRINCIPAL)


class ObservationsConfig(AppConfig):
    name = "jiaoyan.observations"
    label = "observations"
    verbose_name = _("Lesson observation")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.observations.api.router")
        from jiaoyan.activities import hooks
        from jiaoyan.core import home, nav, reference
        from jiaoyan.core.roles import Role

        from . import sheets  # noqa: F401  (registers the liaison sheet)
        from .models import OBSERVERS
        from .panels import activity_panel, coverage_panel, observed_panel

        # The observations made in an activity, on the activity's page.
        hooks.register_detail_panel(
            hooks.DetailPanel(
                key="observations",
                template="observations/_activity_panel.html",
                context=activity_panel,
                order=50,
            )
        )

        reference.register("jiaoyan.observations.migrations.0002_default_rubric")

        nav.register(
            nav.NavItem(
                "observations",
                _("Lesson observation"),
                "observations:observation_list",
                order=40,
                section=nav.RESEARCH,
                visible=_may_see_observations,
                active_for=(
                    "observations:observation",
                    "observations:round",
                    "observations:rubric",
                    "observations:liaison",
                    "observations:growth",
                ),
            )
        )
        nav.register(
            nav.NavItem(
                "observation_coverage",
                _("Observation coverage"),
                "observations:coverage",
                order=41,
                section=nav.RESEARCH,
                visible=_may_see_coverage,
                active_for=("observations:coverage", "observations:analysis"),
            )
        )
        home.register(
            home.HomePanel(
                "observed",
                "observations/_home_observed.html",
                observed_panel,
                order=30,
                roles=frozenset({Role.TEACHER}),
            )
        )
        home.register(
            home.HomePanel(
                "observation_coverage",
                "observations/_home_coverage.html",
                coverage_panel,
                order=31,
                roles=frozenset(OBSERVERS),
            )
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
