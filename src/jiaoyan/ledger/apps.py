from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def receive_decision(*, actor, decision) -> str:
    """The activities' decision sink: a decision marked in the minutes becomes an item."""
    from .services import create_item_from_decision

    return str(create_item_from_decision(actor=actor, decision=decision).pk)


def _may_see_ledger(user) -> bool:
    from jiaoyan.core.scope import user_scopes

    return bool(getattr(user, "is_superuser", False)) or bool(user_scopes(user))


def _may_supervise(user) -> bool:
    from jiaoyan.core.scope import scope_paths

    from .models import SUPERVISORS

    return bool(getattr(user, "is_superuser", False)) or bool(scope_paths(user, SUPERVISORS))


class LedgerConfig(AppConfig):
    name = "jiaoyan.ledger"
    label = "ledger"
    verbose_name = _("Work ledger")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.ledger.api.router")
        from jiaoyan.activities import hooks
        from jiaoyan.core import home, nav
        from jiaoyan.observations import hooks as observation_hooks

        from . import sheets  # noqa: F401  (registers the ledger sheet)
        from .panels import home_panel, observation_panel

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
        nav.register(
            nav.NavItem(
                "ledger",
                _("Work ledger"),
                "ledger:board",
                order=50,
                section=nav.RESEARCH,
                visible=_may_see_ledger,
                active_for=("ledger:board", "ledger:item", "ledger:import"),
            )
        )
        nav.register(
            nav.NavItem(
                "ledger_supervision",
                _("Supervision"),
                "ledger:supervision",
                order=51,
                section=nav.RESEARCH,
                visible=_may_supervise,
                active_for=("ledger:supervision",),
            )
        )
        home.register(
            home.HomePanel(
                "ledger", "ledger/_home_panel.html", home_panel, order=20, place=home.SIDE
            )
        )

        # The briefs and the periodic reports in the navigation.
        from .views_briefs import register_nav

        register_nav()

        from . import metrics  # noqa: F401  (registers the module's figures)
