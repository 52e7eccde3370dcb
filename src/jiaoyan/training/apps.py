from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav


def _has_person(user) -> bool:
    return getattr(user, "person", None) is not None


class TrainingConfig(core_apps.ModuleConfig):
    name = "jiaoyan.training"
    verbose_name = _("Training")

    nav_items = (
        nav.NavItem(
            "training",
            _("Training programmes"),
            "training:list",
            order=50,
            section=nav.TRAINING,
            visible=nav.has_scope,
            active_for=("training:list", "training:detail", "training:create"),
        ),
        nav.NavItem(
            "training-mine",
            _("My trainings"),
            "training:mine",
            order=55,
            section=nav.TRAINING,
            visible=_has_person,
            active_for=("training:mine",),
        ),
    )
