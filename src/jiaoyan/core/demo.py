"""The demo data generator's framework: scales, the shared context, and the steps.

Every app that has demo data puts a ``demo.py`` beside its models with functions
decorated ``@step(order)``; ``jiaoyan demo`` discovers them (``autodiscover_modules``) and
runs them in order inside one transaction. Steps share what they made through
``ctx.data`` (e.g. the schools, the demo accounts). Everything random comes from
``ctx.rng``, seeded, so a scale and seed always give the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class Scale:
    name: str
    cities: int  # 1 or 10
    counties: int | None  # counties per city (None: all of the real ones)
    schools_per_city: int
    staff_per_school: float  # average, principals and counsellors included


SCALES = {
    "small": Scale("small", cities=1, counties=4, schools_per_city=60, staff_per_school=33),
    "city": Scale("city", cities=1, counties=None, schools_per_city=1625, staff_per_school=34),
    "province": Scale(
        "province", cities=10, counties=None, schools_per_city=1625, staff_per_school=34
    ),
}


@dataclass
class DemoContext:
    scale: Scale
    seed: int
    password: str
    rng: random.Random
    log: Callable[[str], None] = print
    data: dict[str, Any] = field(default_factory=dict)
    now: Any = field(default_factory=timezone.now)


StepFn = Callable[[DemoContext], None]
_steps: list[tuple[int, str, StepFn]] = []


def step(order: int) -> Callable[[StepFn], StepFn]:
    def register(fn: StepFn) -> StepFn:
        name = f"{fn.__module__}.{fn.__name__}"
        if all(n != name for _o, n, _f in _steps):
            _steps.append((order, name, fn))
            _steps.sort(key=lambda s: s[0])
        return fn

    return register


def steps() -> list[tuple[int, str, StepFn]]:
    return list(_steps)


def weighted(rng: random.Random, items: list[tuple[Any, float]]) -> Any:
    """One of the values of ``(value, weight)`` pairs, chosen with the weights' odds."""
    total = sum(w for _v, w in items)
    r = rng.random() * total
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]
