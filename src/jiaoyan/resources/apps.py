from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


class ResourcesConfig(core_apps.ModuleConfig):
    name = "jiaoyan.resources"
    verbose_name = _("Resource library")

    routers = (
        "jiaoyan.resources.api.router",
        "jiaoyan.resources.api_rounds.router",
        "jiaoyan.resources.api_use.router",
    )
    nav_items = (
        nav.NavItem(
            "resources",
            _("Resource library"),
            "resources:library",
            order=48,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "resources:library",
                "resources:mine",
                "resources:detail",
                "resources:create",
                "resources:edit",
                "resources:curriculum",
                "resources:favourites",
            ),
        ),
        nav.NavItem(
            "resources-reviews",
            _("My reviews"),
            "resources:reviews",
            order=49,
            section=nav.RESEARCH,
            visible=_has_person,
            active_for=("resources:reviews", "resources:review"),
        ),
        nav.NavItem(
            "resources-rounds",
            _("Recommendation rounds"),
            "resources:rounds",
            order=50,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "resources:rounds",
                "resources:round_create",
                "resources:round",
                "resources:round_candidates",
                "resources:round_sent",
                "resources:round_received",
                "resources:round_results",
            ),
        ),
    )
    home_panels = (
        home.HomePanel(
            "resources",
            "resources/_home_panel.html",
            "jiaoyan.resources.panels.home_panel",
            order=30,
            place=home.SIDE,
        ),
        home.HomePanel(
            "resources-figures",
            "resources/use/_home_panel.html",
            "jiaoyan.resources.views_use.home_panel",
            order=31,
            place=home.SIDE,
        ),
    )
    seed_migrations = ("jiaoyan.resources.migrations.0002_default_rubric",)
