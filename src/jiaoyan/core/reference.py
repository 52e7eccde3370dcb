"""Reference data seeded by data migrations (stages, subjects, the default rubric …).

``jiaoyan demo --force`` flushes every table, and so does Django after each transactional
test; neither replays data migrations. Apps register the module of each seeding
migration here (in ``AppConfig.ready``); :func:`reseed` runs their ``seed(apps, None)``
functions again, which must therefore be idempotent.
"""

from __future__ import annotations

import importlib

_modules: list[str] = []


def register(migration_module: str) -> None:
    if migration_module not in _modules:
        _modules.append(migration_module)


def reseed() -> None:
    from django.apps import apps

    for name in _modules:
        importlib.import_module(name).seed(apps, None)
