from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiaoyan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import nav
        from .api import register_router

        register_router("jiaoyan.core.api.router")
        register_router("jiaoyan.core.api.imports_router")

        def can_import(user) -> bool:
            from .imports import kinds_for

            return bool(kinds_for(user))

        def can_audit(user) -> bool:
            from .roles import Role
            from .scope import has_role

            return has_role(user, Role.BUREAU_ADMIN)

        nav.register(nav.NavItem("home", _("Home"), "home", order=0, active_for=("home",)))
        nav.register(
            nav.NavItem(
                "imports",
                _("Imports"),
                "core:import_list",
                order=80,
                active_for=("core:import",),
                visible=can_import,
            )
        )
        nav.register(
            nav.NavItem(
                "audit",
                _("Audit log"),
                "core:audit_list",
                order=90,
                active_for=("core:audit",),
                visible=can_audit,
            )
        )
