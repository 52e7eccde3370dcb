from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiaoyan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .api import register_router

        register_router("jiaoyan.core.api.router")
        register_router("jiaoyan.core.api.imports_router")
        register_router("jiaoyan.core.api_metrics.router")
        from django.utils.module_loading import autodiscover_modules

        from . import imports, jobs, nav  # noqa: F401  (their job kinds)

        # Every app's job kinds (``<app>/tasks.py``), so every worker knows every kind.
        autodiscover_modules("tasks")

        def can_import(user) -> bool:
            from .imports import kinds_for

            return bool(kinds_for(user))

        def can_audit(user) -> bool:
            from .roles import Role
            from .scope import has_role

            return has_role(user, Role.BUREAU_ADMIN)

        def has_scope(user) -> bool:
            from .scope import user_scopes

            return bool(getattr(user, "is_superuser", False)) or bool(user_scopes(user))

        nav.register(nav.NavItem("home", _("Home"), "home", order=0, active_for=("home",)))
        nav.register(
            nav.NavItem(
                "imports",
                _("Imports"),
                "core:import_list",
                order=80,
                section=nav.ADMIN,
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
                section=nav.ADMIN,
                active_for=("core:audit",),
                visible=can_audit,
            )
        )
        nav.register(
            nav.NavItem(
                "metrics",
                _("Metrics"),
                "core:metrics",
                order=85,
                section=nav.EVALUATION,
                active_for=("core:metrics",),
                visible=has_scope,
            )
        )
