from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav


class ResearchersConfig(core_apps.ModuleConfig):
    name = "jiaoyan.researchers"
    verbose_name = _("Teaching researchers")

    nav_items = (
        nav.NavItem(
            "researchers",
            _("Researchers"),
            "researchers:list",
            order=47,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=("researchers:list", "researchers:detail", "researchers:create"),
        ),
        nav.NavItem(
            "researchers-coverage",
            _("Liaison coverage"),
            "researchers:coverage",
            order=48,
            section=nav.EVALUATION,
            visible=nav.has_scope,
            active_for=("researchers:coverage",),
        ),
    )
