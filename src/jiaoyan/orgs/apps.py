from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "jiaoyan.orgs"
    label = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from jiaoyan.core.api import register_router

        register_router("jiaoyan.orgs.api.router")
        from jiaoyan.core import nav, reference

        from . import sheets  # noqa: F401  (registers the org_units and schools sheets)

        reference.register("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")

        nav.register(
            nav.NavItem(
                "orgs",
                _("Organisation"),
                "orgs:tree",
                order=10,
                active_for=("orgs:tree", "orgs:unit"),
            )
        )
        nav.register(
            nav.NavItem(
                "schools", _("Schools"), "orgs:school_list", order=20, active_for=("orgs:school",)
            )
        )
