from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    name = "jiaoyan.hours"
    label = "hours"
    verbose_name = _("Hours")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.hours.api.router")
        from jiaoyan.core import home, nav
        from jiaoyan.core.roles import Role

        from .panels import home_panel

        def has_person(user) -> bool:
            return getattr(user, "person", None) is not None

        nav.register(
            nav.NavItem(
                "hours",
                _("My hours"),
                "hours:mine",
                order=60,
                section=nav.TRAINING,
                active_for=("hours:",),
                visible=has_person,
            )
        )
        home.register(
            home.HomePanel(
                "hours",
                "hours/_home_panel.html",
                home_panel,
                order=11,
                place=home.SIDE,
                roles=frozenset({Role.TEACHER, Role.PRINCIPAL, Role.COUNSELLOR, Role.RESEARCHER}),
            )
        )

        from . import metrics  # noqa: F401  (registers the module's figures)
