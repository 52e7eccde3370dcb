from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


def _manages(user) -> bool:
    """Who reads the library's statistics: its managers somewhere (no query)."""
    from jiaoyan.core.scope import user_scopes

    from .models import MANAGERS

    if getattr(user, "is_superuser", False):
        return True
    return any(s.role in MANAGERS for s in user_scopes(user))


def _keeps_rubrics(user) -> bool:
    """Who keeps review rubrics: the admins and researchers of a unit (no query)."""
    from jiaoyan.core.roles import ADMINS, Role
    from jiaoyan.core.scope import user_scopes

    if getattr(user, "is_superuser", False):
        return True
    return any(s.role in ADMINS | {Role.RESEARCHER} for s in user_scopes(user))


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
        nav.NavItem(
            "resources-statistics",
            _("Library statistics"),
            "resources:statistics",
            order=51,
            section=nav.RESEARCH,
            visible=_manages,
            active_for=("resources:statistics",),
        ),
        nav.NavItem(
            "resources-rubrics",
            _("Review rubrics"),
            "resources:rubrics",
            order=52,
            section=nav.RESEARCH,
            visible=_keeps_rubrics,
            active_for=("resources:rubric",),
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
