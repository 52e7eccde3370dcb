from __future__ import annotations

from typing import Any

from ninja import Schema


class AnswersIn(Schema):
    answers: list[Any]


class ScoreOut(Schema):
    total: int
    level: str
    crisis: bool
    factors: dict[str, int]


class ScaleOut(Schema):
    code: str
    name: str
    items: int
    levels: list[str]
    shipped: bool
    source: str
