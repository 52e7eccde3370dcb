from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


class OutcomesConfig(core_apps.ModuleConfig):
    name = "jiaoyan.outcomes"
    verbose_name = _("Outcomes and typical cases")

    nav_items = (
        nav.NavItem(
            "outcomes",
            _("Outcomes and typical cases"),
            "outcomes:list",
            order=51,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "outcomes:list",
                "outcomes:create",
                "outcomes:detail",
                "outcomes:edit",
                "outcomes:overview",
            ),
        ),
        nav.NavItem(
            "outcomes-rounds",
            _("Outcome selection rounds"),
            "outcomes:rounds",
            order=52,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "outcomes:rounds",
                "outcomes:round_create",
                "outcomes:round",
                "outcomes:round_table",
            ),
        ),
        nav.NavItem(
            "outcomes-scores",
            _("My expert scores"),
            "outcomes:my_scores",
            order=53,
            section=nav.RESEARCH,
            visible=_has_person,
            active_for=("outcomes:my_scores",),
        ),
        nav.NavItem(
            "outcomes-points",
            _("Points ranking"),
            "outcomes:points",
            order=54,
            section=nav.EVALUATION,
            visible=nav.has_scope,
            active_for=("outcomes:points", "outcomes:point_table"),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from . import points  # noqa: F401  (registers the point sources)
