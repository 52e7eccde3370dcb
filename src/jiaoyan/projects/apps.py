from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import ALL_ROLES


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


class ProjectsConfig(core_apps.ModuleConfig):
    name = "jiaoyan.projects"
    verbose_name = _("Research projects")

    nav_items = (
        nav.NavItem(
            "projects",
            _("Research projects"),
            "projects:list",
            order=51,
            section=nav.RESEARCH,
            visible=_has_person,
            active_for=(
                "projects:list",
                "projects:detail",
                "projects:apply",
                "projects:calls",
                "projects:call",
                "projects:overview",
            ),
        ),
        nav.NavItem(
            "projects-reviews",
            _("Project reviews"),
            "projects:reviews",
            order=52,
            section=nav.RESEARCH,
            visible=_has_person,
            active_for=("projects:reviews", "projects:review"),
        ),
    )

    home_panels = (
        home.HomePanel(
            "projects",
            "projects/_home_panel.html",
            "jiaoyan.projects.panels.home_panel",
            order=32,
            place=home.SIDE,
            # A principal sees their school's projects at a glance (one query more on their
            # home: tests/core/test_home.py).
            roles=frozenset(ALL_ROLES),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.core import audit

        from . import points  # noqa: F401  (registers the point sources of outcomes.points)

        # An application's history lists its members under this key (not a field).
        audit.EXTRA_LABELS.setdefault("members", _("Members"))
