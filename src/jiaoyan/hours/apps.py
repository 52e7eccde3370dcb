from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import Role


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


def _decides(user) -> bool:
    from jiaoyan.core.scope import has_role

    return has_role(user, Role.PRINCIPAL, Role.BUREAU_ADMIN)


def _admin(user) -> bool:
    from jiaoyan.core.scope import has_role

    return has_role(user, Role.BUREAU_ADMIN)


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
            active_for=("hours:mine", "hours:statement", "hours:person"),
            visible=_has_person,
        ),
        nav.NavItem(
            "hours-declarations",
            _("External declarations"),
            "hours:declarations",
            order=61,
            section=nav.TRAINING,
            active_for=("hours:declaration",),
            visible=lambda u: _has_person(u) or _decides(u),
        ),
        nav.NavItem(
            "hours-certificates",
            _("My certificates"),
            "hours:certificates",
            order=62,
            section=nav.TRAINING,
            active_for=("hours:certificate",),
            visible=_has_person,
        ),
        nav.NavItem(
            "hours-behind",
            _("Behind schedule"),
            "hours:behind",
            order=63,
            section=nav.TRAINING,
            active_for=("hours:behind", "hours:remind"),
            visible=_decides,
        ),
        nav.NavItem(
            "hours-settings",
            _("Hours rules"),
            "hours:settings",
            order=64,
            section=nav.TRAINING,
            active_for=("hours:settings", "hours:category_add", "hours:policy_set"),
            visible=_admin,
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
