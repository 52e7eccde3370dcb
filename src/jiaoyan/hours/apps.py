from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    name = "jiaoyan.hours"
    label = "hours"
    verbose_name = _("Hours")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.hours.api.router")
        from jiaoyan.core import nav

        def has_person(user) -> bool:
            return getattr(user, "person", None) is not None

        nav.register(
            nav.NavItem(
                "hours",
                _("My hours"),
                "hours:mine",
                order=60,
                active_for=("hours:",),
                visible=has_person,
            )
        )
