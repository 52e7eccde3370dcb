from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import ADMINS, Role


def _may_screen(user) -> bool:
    from jiaoyan.core.scope import has_role

    return user.is_superuser or has_role(user, *ADMINS, Role.COUNSELLOR, Role.PRINCIPAL)


def _holds_permission(user) -> bool:
    from jiaoyan.core import restricted

    return user.is_superuser or bool(restricted.permitted_paths(user, restricted.WELLBEING))


def _is_class_teacher(user) -> bool:
    from .queries_followup import is_class_teacher

    return is_class_teacher(user)


class WellbeingConfig(core_apps.ModuleConfig):
    name = "jiaoyan.wellbeing"
    verbose_name = _("Mental-health screening")
    routers = ("jiaoyan.wellbeing.api.router", "jiaoyan.wellbeing.api_followup.router")

    nav_items = (
        nav.NavItem(
            "wellbeing",
            _("Mental-health screening"),
            "wellbeing:campaigns",
            order=70,
            section=nav.WELLBEING,
            visible=_may_screen,
            active_for=("wellbeing:",),
        ),
        nav.NavItem(
            "wellbeing-followups",
            _("Follow-up cases"),
            "wellbeing:followups",
            order=71,
            section=nav.WELLBEING,
            visible=_holds_permission,
            active_for=("wellbeing:followup",),
        ),
        nav.NavItem(
            "wellbeing-due",
            _("Follow-ups due"),
            "wellbeing:followups_due",
            order=72,
            section=nav.WELLBEING,
            visible=_is_class_teacher,
            active_for=("wellbeing:followups_due",),
        ),
    )
    home_panels = (
        home.HomePanel(
            "wellbeing-alerts",
            "wellbeing/_home_alerts.html",
            "jiaoyan.wellbeing.panels.alerts_panel",
            order=1,
            roles=frozenset({Role.COUNSELLOR, *ADMINS}),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.core import restricted

        restricted.register(
            restricted.Kind(
                restricted.WELLBEING,
                _("mental-health screening data"),
                model="wellbeing.WellbeingPermission",
            )
        )
