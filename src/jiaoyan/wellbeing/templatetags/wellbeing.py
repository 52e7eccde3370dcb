"""Template filters of the screening module."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from ..scales import display_name

register = template.Library()


@register.filter
def scale_name(code: str) -> str:
    return display_name(code)


@register.filter
def scale_names(codes: Iterable[str]) -> str:
    """Several scales, in order, joined with 、."""
    return "、".join(display_name(c) for c in codes or ())
