from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav


class ActivitiesConfig(core_apps.ModuleConfig):
    name = "jiaoyan.activities"
    verbose_name = _("Research activities")

    nav_items = (
        nav.NavItem(
            "activities",
            _("Activities"),
            "activities:list",
            order=40,
            section=nav.RESEARCH,
            active_for=("activities:",),
        ),
    )
    home_panels = (
        home.HomePanel(
            "activities",
            "activities/_home_panel.html",
            "jiaoyan.activities.panels.home_panel",
            order=10,
        ),
    )
