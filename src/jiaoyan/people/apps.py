from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import Role


class PeopleConfig(core_apps.ModuleConfig):
    name = "jiaoyan.people"
    verbose_name = _("People")

    nav_items = (
        nav.NavItem(
            "people",
            _("People"),
            "people:person_list",
            order=30,
            section=nav.ADMIN,
            active_for=("people:",),
        ),
    )
    home_panels = (
        home.HomePanel(
            "people_figures",
            "people/_home_figures.html",
            "jiaoyan.people.panels.figures_panel",
            order=51,
            place=home.TOP,
            roles=frozenset({Role.BUREAU_ADMIN, Role.RESEARCHER}),
            levels=home.REGION_LEVELS,
        ),
        home.HomePanel(
            "people_charts",
            "people/_home_charts.html",
            "jiaoyan.people.panels.charts_panel",
            order=61,
            place=home.WIDE,
            roles=frozenset({Role.BUREAU_ADMIN}),
            levels=home.REGION_LEVELS,
        ),
    )
