from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav
from jiaoyan.core.roles import ADMINS, Role


def _may_screen(user) -> bool:
    from jiaoyan.core.scope import has_role

    return user.is_superuser or has_role(user, *ADMINS, Role.COUNSELLOR, Role.PRINCIPAL)


def _holds_permission(user) -> bool:
    """A counsellor holding the wellbeing permission somewhere (the follow-ups, the
    exports). The menu is on every page, so only a counsellor's grants are read: anyone
    else's menu costs no query (an admin granted the permission reaches these pages from
    the alerts and the home page)."""
    from jiaoyan.core import restricted
    from jiaoyan.core.scope import has_role

    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return has_role(user, Role.COUNSELLOR) and bool(
        restricted.permitted_paths(user, restricted.WELLBEING)
    )


def _reviews_reads(user) -> bool:
    """May read the read audit: an auditor, or a permission holder (as above)."""
    from jiaoyan.core.scope import auditor_paths

    return bool(auditor_paths(user)) or _holds_permission(user)


# The campaign pages' view names (the governance and follow-up pages have items of their own).
CAMPAIGN_VIEWS = (
    "wellbeing:campaign",
    "wellbeing:scale",
    "wellbeing:alert",
    "wellbeing:interview",
    "wellbeing:student",
    "wellbeing:paper",
    "wellbeing:opt_out",
    "wellbeing:retest",
    "wellbeing:aggregates",
)


class WellbeingConfig(core_apps.ModuleConfig):
    name = "jiaoyan.wellbeing"
    verbose_name = _("Mental-health screening")
    routers = (
        "jiaoyan.wellbeing.api.router",
        "jiaoyan.wellbeing.api_followup.router",
        "jiaoyan.wellbeing.api_governance.router",
        "jiaoyan.wellbeing.api_campaigns.router",
        "jiaoyan.wellbeing.api_answering.router",
    )

    nav_items = (
        nav.NavItem(
            "wellbeing",
            _("Mental-health screening"),
            "wellbeing:campaigns",
            order=70,
            section=nav.WELLBEING,
            visible=_may_screen,
            active_for=CAMPAIGN_VIEWS,
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
            "wellbeing-reads",
            _("Who read what"),
            "wellbeing:reads",
            order=72,
            section=nav.WELLBEING,
            visible=_reviews_reads,
            active_for=("wellbeing:reads",),
        ),
        nav.NavItem(
            "wellbeing-exports",
            _("Exports of identified data"),
            "wellbeing:exports",
            order=73,
            section=nav.WELLBEING,
            visible=_holds_permission,
            active_for=("wellbeing:export",),
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
        from .metrics import AGGREGATE_FIGURES, AGGREGATE_METRICS

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
        # The tables of aggregates of screening data that pages and the API publish (each
        # through the small-cell suppression; tests/core/test_subtraction.py). Both are
        # counted live from the questionnaires, which identified pages read too: no stored
        # table of figures to watch, so no models.
        for key, label in (
            (AGGREGATE_FIGURES, _("campaign figures by school, grade, gender and class")),
            (AGGREGATE_METRICS, _("screening figures of the metric registry")),
        ):
            restricted.register_aggregate(
                restricted.Aggregate(key, restricted.WELLBEING, label, models=())
            )
