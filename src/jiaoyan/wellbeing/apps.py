from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import ADMINS, Role


def _may_screen(user) -> bool:
    from jiaoyan.core.scope import has_role

    return user.is_superuser or has_role(user, *ADMINS, Role.COUNSELLOR, Role.PRINCIPAL)


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
    )
    home_panels = (
        home.HomePanel(
            "wellbeing-alerts",
            "wellbeing/_home_alerts.html",
            "jiaoyan.wellbeing.panels.alerts_panel",
            order=1,
            roles=frozenset({Role.COUNSELLOR, *ADMINS}),
        ),
        home.HomePanel(
            "wellbeing-followups-due",
            "wellbeing/followup/_home_due.html",
            "jiaoyan.wellbeing.panels.due_panel",
            order=2,
            roles=frozenset({Role.TEACHER}),
            levels=home.SCHOOL_LEVELS,
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.core import restricted

        from . import metrics  # noqa: F401  (registers the screening figures)

        restricted.register(
            restricted.Kind(
                restricted.WELLBEING,
                _("mental-health screening data"),
                model="wellbeing.WellbeingPermission",
                title=_("Wellbeing permission"),
                description=_(
                    "Identified screening records (students' names, answers, alerts and "
                    "notes) are shown only to accounts holding this permission on a unit that "
                    "contains them, whatever their role. A bureau admin grants it on their own "
                    "subtree to named counsellors and a few district staff; every grant, "
                    "revocation, read and export is recorded in the audit log."
                ),
                nav_template="wellbeing/governance/_nav.html",
            )
        )
