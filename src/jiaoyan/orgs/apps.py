from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import Role


class OrgsConfig(core_apps.ModuleConfig):
    name = "jiaoyan.orgs"
    verbose_name = _("Organisations")

    seed_migrations = ("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects",)
    nav_items = (
        nav.NavItem(
            "orgs",
            _("Organisation"),
            "orgs:tree",
            order=10,
            section=nav.ADMIN,
            active_for=("orgs:tree", "orgs:unit"),
        ),
        nav.NavItem(
            "schools",
            _("Schools"),
            "orgs:school_list",
            order=20,
            section=nav.ADMIN,
            active_for=("orgs:school",),
        ),
    )
    home_panels = (
        home.HomePanel(
            "my_school",
            "orgs/_home_school.html",
            "jiaoyan.orgs.panels.my_school_panel",
            order=5,
            place=home.SIDE,
            roles=frozenset({Role.PRINCIPAL}),
            levels=home.SCHOOL_LEVELS,
        ),
        home.HomePanel(
            "scope_figures",
            "orgs/_home_figures.html",
            "jiaoyan.orgs.panels.figures_panel",
            order=50,
            place=home.TOP,
            roles=frozenset({Role.BUREAU_ADMIN, Role.RESEARCHER}),
            levels=home.REGION_LEVELS,
        ),
        home.HomePanel(
            "school_charts",
            "orgs/_home_charts.html",
            "jiaoyan.orgs.panels.charts_panel",
            order=60,
            place=home.WIDE,
            roles=frozenset({Role.BUREAU_ADMIN}),
            levels=home.REGION_LEVELS,
        ),
    )
