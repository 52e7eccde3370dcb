from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav
from jiaoyan.core.roles import Role


class CommunitiesConfig(core_apps.ModuleConfig):
    name = "jiaoyan.communities"
    verbose_name = _("Communities of practice")

    nav_items = (
        nav.NavItem(
            "communities",
            _("Communities"),
            "communities:list",
            order=45,
            section=nav.RESEARCH,
            active_for=("communities:list", "communities:detail", "communities:create"),
            visible=nav.has_scope,
        ),
        nav.NavItem(
            "communities_assessment",
            _("Studio assessment"),
            "communities:assessment",
            order=45,
            section=nav.EVALUATION,
            active_for=("communities:assessment",),
            visible=nav.has_scope,
        ),
        nav.NavItem(
            "communities_coverage",
            _("Community coverage"),
            "communities:coverage",
            order=46,
            section=nav.EVALUATION,
            active_for=("communities:coverage", "communities:report"),
            visible=nav.has_scope,
        ),
        nav.NavItem(
            "communities_settings",
            _("Community settings"),
            "communities:settings",
            order=95,
            section=nav.ADMIN,
            active_for=("communities:settings",),
            visible=nav.with_role(Role.BUREAU_ADMIN),
        ),
    )
