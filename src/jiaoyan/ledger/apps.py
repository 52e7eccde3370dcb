from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "jiaoyan.ledger"
    label = "ledger"
    verbose_name = _("Work ledger")

    def ready(self) -> None:
        from jiaoyan.activities import hooks

        from .services import create_item_from_decision

        def receive(*, actor, decision) -> str:
            return str(create_item_from_decision(actor=actor, decision=decision).pk)

        # Decisions marked in an activity's minutes become ledger items.
        hooks.register_decision_sink(receive)

        # The briefs and the periodic reports in the navigation.
        from .views_briefs import register_nav

        register_nav()
