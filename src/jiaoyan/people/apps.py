from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "jiaoyan.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.people.api.router")
        from jiaoyan.core import nav

        from . import sheets  # noqa: F401  (registers the people sheet)

        nav.register(
            nav.NavItem(
                "people", _("People"), "people:person_list", order=30, active_for=("people:",)
            )
        )
