from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import Role


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


class HoursConfig(core_apps.ModuleConfig):
    name = "jiaoyan.hours"
    verbose_name = _("Hours")

    nav_items = (
        nav.NavItem(
            "hours",
            _("My hours"),
            "hours:mine",
            order=60,
            section=nav.TRAINING,
            active_for=("hours:",),
            visible=_has_person,
        ),
    )
    home_panels = (
        home.HomePanel(
            "hours",
            "hours/_home_panel.html",
            "jiaoyan.hours.panels.home_panel",
            order=11,
            place=home.SIDE,
            roles=frozenset({Role.TEACHER, Role.PRINCIPAL, Role.COUNSELLOR, Role.RESEARCHER}),
        ),
    )
