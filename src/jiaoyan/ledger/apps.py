from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import home, nav


def receive_decision(*, actor, decision) -> str:
    """The activities' decision sink: a decision marked in the minutes becomes an item."""
    from .services import create_item_from_decision

    return str(create_item_from_decision(actor=actor, decision=decision).pk)


def _may_supervise(user) -> bool:
    from jiaoyan.core.scope import scope_paths

    from .models import SUPERVISORS

    return bool(getattr(user, "is_superuser", False)) or bool(scope_paths(user, SUPERVISORS))


def _may_see_reports(user) -> bool:
    from .reports import may_see_reports

    return may_see_reports(user)


class LedgerConfig(core_apps.ModuleConfig):
    name = "jiaoyan.ledger"
    verbose_name = _("Work ledger")

    nav_items = (
        nav.NavItem(
            "ledger",
            _("Work ledger"),
            "ledger:board",
            order=50,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=("ledger:board", "ledger:item", "ledger:import"),
        ),
        nav.NavItem(
            "ledger_supervision",
            _("Supervision"),
            "ledger:supervision",
            order=51,
            section=nav.RESEARCH,
            visible=_may_supervise,
            active_for=("ledger:supervision",),
        ),
        nav.NavItem(
            "ledger_briefs",
            _("Briefs"),
            "ledger:brief_list",
            order=56,
            section=nav.RESEARCH,
            visible=_may_see_reports,
            active_for=("ledger:brief",),
        ),
        nav.NavItem(
            "ledger_reports",
            _("Supervision and assessment"),
            "ledger:monthly",
            order=57,
            section=nav.RESEARCH,
            visible=_may_see_reports,
            active_for=("ledger:monthly", "ledger:quarterly"),
        ),
    )
    home_panels = (
        home.HomePanel(
            "ledger",
            "ledger/_home_panel.html",
            "jiaoyan.ledger.panels.home_panel",
            order=20,
            place=home.SIDE,
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.activities import hooks
        from jiaoyan.observations import hooks as observation_hooks

        from .panels import observation_panel

        # Decisions marked in an activity's minutes become ledger items.
        hooks.register_decision_sink(receive_decision)
        # A submitted observation's suggestions can become an item.
        observation_hooks.register_detail_panel(
            observation_hooks.DetailPanel(
                key="ledger",
                template="ledger/_observation_panel.html",
                context=observation_panel,
                order=60,
            )
        )
