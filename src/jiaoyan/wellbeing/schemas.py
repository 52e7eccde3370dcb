from __future__ import annotations

from typing import Any

from ninja import Schema


class ScaleAnswersIn(Schema):
    answers: list[Any]


class ScaleScoreOut(Schema):
    total: int
    level: str
    crisis: bool
    factors: dict[str, int]


class WellbeingScaleOut(Schema):
    code: str
    name: str
    items: int
    levels: list[str]
    shipped: bool
    source: str
