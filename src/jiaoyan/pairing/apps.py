from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav


class PairingConfig(core_apps.ModuleConfig):
    name = "jiaoyan.pairing"
    verbose_name = _("Pairing assistance")

    nav_items = (
        nav.NavItem(
            "pairing",
            _("Pairing assistance"),
            "pairing:list",
            order=72,
            section=nav.TRAINING,
            visible=nav.has_scope,
            active_for=("pairing:",),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from jiaoyan.activities import hooks

        from .panels import activity_panel

        # The pairings an activity is a joint activity of, on the activity's page.
        hooks.register_detail_panel(
            hooks.DetailPanel(
                key="pairings",
                template="pairing/_activity_panel.html",
                context=activity_panel,
                order=60,
            )
        )
