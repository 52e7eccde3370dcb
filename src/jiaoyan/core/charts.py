"""ECharts options built on the server; pages draw them with static/jiaoyan/app.js."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PALETTE = [
    "#206bc4",
    "#2fb344",
    "#f59f00",
    "#d63939",
    "#ae3ec9",
    "#17a2b8",
    "#74b816",
    "#f76707",
    "#4263eb",
    "#868e96",
]


def pie(data: Sequence[dict[str, Any]], *, title: str = "") -> dict[str, Any]:
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}（{d}%）"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "radius": ["40%", "68%"],
                "center": ["50%", "48%"],
                "data": [d for d in data if d.get("value")],
                "label": {"formatter": "{b}\n{c}"},
            }
        ],
    }


def bar(
    categories: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    horizontal: bool = False,
    name: str = "",
) -> dict[str, Any]:
    cat_axis = {
        "type": "category",
        "data": list(categories),
        "axisLabel": {"interval": 0, "rotate": 0 if horizontal else 30},
    }
    val_axis = {"type": "value", "minInterval": 1}
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
        "xAxis": val_axis if horizontal else cat_axis,
        "yAxis": cat_axis if horizontal else val_axis,
        "series": [
            {
                "type": "bar",
                "name": name,
                "data": list(values),
                "barMaxWidth": 36,
                "label": {"show": True, "position": "right" if horizontal else "top"},
            }
        ],
    }


def stacked_bar(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str = "",
    horizontal: bool = True,
) -> dict[str, Any]:
    """One bar per category made of the ``series`` (name -> one value per category)
    stacked; a ``None`` value (a suppressed figure) is left out of its bar."""
    cat_axis = {"type": "category", "data": list(categories), "axisLabel": {"interval": 0}}
    val_axis = {"type": "value", "minInterval": 1}
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "bottom": 32, "top": 40, "containLabel": True},
        "xAxis": val_axis if horizontal else cat_axis,
        "yAxis": cat_axis if horizontal else val_axis,
        "series": [
            {"type": "bar", "name": name, "stack": "all", "data": list(values), "barMaxWidth": 36}
            for name, values in series.items()
        ],
    }
