from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules, module_has_submodule
from django.utils.translation import gettext_lazy as _

from . import home, nav


def _may_import(user) -> bool:
    from .imports import kinds_for

    return bool(kinds_for(user))


class ModuleConfig(AppConfig):
    """The AppConfig of every Jiaoyan app: what the app plugs into the shared machinery is
    declared on the class, and :meth:`ready` registers it::

        from jiaoyan.core import apps as core_apps  # (not the class: see below)

        class OrgsConfig(core_apps.ModuleConfig):
            name = "jiaoyan.orgs"
            nav_items = (nav.NavItem("orgs", _("Organisation"), "orgs:tree", section=nav.ADMIN),)
            home_panels = (home.HomePanel("my_school", "orgs/_home_school.html",
                                          "jiaoyan.orgs.panels.my_school_panel"),)
            seed_migrations = ("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects",)

    The app's ``api.router`` is mounted at /api/v1/ (``routers`` names others). Its
    ``sheets.py`` (import/export kinds), ``metrics.py`` (figures) and ``tasks.py`` (job
    kinds) register themselves when imported; :class:`CoreConfig` imports them for every
    app. Anything else (hooks into another app, a restricted-data kind) goes in an
    overriding ``ready()`` that calls ``super().ready()`` first.

    An ``apps.py`` imports this module, not the class: Django takes the one AppConfig
    subclass an ``apps.py`` holds as the app's configuration.
    """

    routers: tuple[str, ...] | None = None  # dotted paths; None: the app's api.router
    nav_items: tuple[nav.NavItem, ...] = ()
    home_panels: tuple[home.HomePanel, ...] = ()  # contexts by dotted path (models not loaded)
    seed_migrations: tuple[str, ...] = ()  # modules whose seed() core.reference replays

    def ready(self) -> None:
        from . import reference
        from .api import register_router

        routers = self.routers
        if routers is None:
            has_api = module_has_submodule(self.module, "api")
            routers = (f"{self.name}.api.router",) if has_api else ()
        for router in routers:
            register_router(router)
        for migration in self.seed_migrations:
            reference.register(migration)
        for item in self.nav_items:
            nav.register(item)
        for panel in self.home_panels:
            home.register(panel)


def _analyze_after_migrate(sender, using: str = "default", **kwargs) -> None:
    from .bulk import analyze_unanalysed

    analyze_unanalysed(using)


def _may_read_audit(user) -> bool:
    from .views import can_see_audit

    return can_see_audit(user)


class CoreConfig(ModuleConfig):
    default = True  # (this module holds two configurations)
    name = "jiaoyan.core"
    verbose_name = _("Core")

    routers = (
        "jiaoyan.core.api.router",
        "jiaoyan.core.api.imports_router",
        "jiaoyan.core.api_metrics.router",
    )
    nav_items = (
        nav.NavItem("home", _("Home"), "home", order=0, active_for=("home",)),
        nav.NavItem(
            "imports",
            _("Imports"),
            "core:import_list",
            order=80,
            section=nav.ADMIN,
            active_for=("core:import",),
            visible=_may_import,
        ),
        nav.NavItem(
            "audit",
            _("Audit log"),
            "core:audit_list",
            order=90,
            section=nav.ADMIN,
            active_for=("core:audit",),
            visible=_may_read_audit,
        ),
        nav.NavItem(
            "metrics",
            _("Metrics"),
            "core:metrics",
            order=85,
            section=nav.EVALUATION,
            active_for=("core:metrics",),
            visible=nav.has_scope,
        ),
    )

    def ready(self) -> None:
        super().ready()
        from . import imports, jobs, lookups  # noqa: F401  (their job kinds)

        lookups.register()  # integer lookups that cannot overflow (ids beyond 2**63)
        post_migrate.connect(_analyze_after_migrate, sender=self)

        # Every app's job kinds, import/export kinds and figures, so every worker knows
        # every kind and every page every figure.
        autodiscover_modules("tasks", "sheets", "metrics")
        from . import restricted

        restricted.register_aggregate(
            restricted.Aggregate(
                restricted.METRICS, "", _("figures of the metric registry"), models=()
            )
        )
