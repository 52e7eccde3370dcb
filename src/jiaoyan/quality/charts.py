"""ECharts options of the quality pages, built on the server (drawn by core's app.js)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jiaoyan.core.charts import PALETTE


def _base(title: str) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "bottom": 30, "top": 48, "containLabel": True},
    }


def grouped_bar(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str
) -> dict[str, Any]:
    opt = _base(title)
    opt.update(
        {
            "legend": {"bottom": 0},
            "xAxis": {
                "type": "category",
                "data": list(categories),
                "axisLabel": {"interval": 0, "rotate": 30 if len(categories) > 6 else 0},
            },
            "yAxis": {"type": "value"},
            "series": [
                {"type": "bar", "name": name, "data": list(values), "barMaxWidth": 28}
                for name, values in series
            ],
        }
    )
    return opt


def radar(
    indicators: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    max_value: float = 80,
    min_value: float = 20,
) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {},
        "legend": {"bottom": 0},
        "radar": {
            "indicator": [{"name": n, "max": max_value, "min": min_value} for n in indicators],
            "radius": "62%",
        },
        "series": [
            {
                "type": "radar",
                "data": [
                    {"name": name, "value": [v if v is not None else min_value for v in values]}
                    for name, values in series
                ],
            }
        ],
    }


def boxplot(
    categories: Sequence[str], boxes: Sequence[Sequence[float]], *, title: str
) -> dict[str, Any]:
    """``boxes``: [min, q1, median, q3, max] per category."""
    opt = _base(title)
    opt["tooltip"] = {"trigger": "item"}
    opt.update(
        {
            "xAxis": {
                "type": "category",
                "data": list(categories),
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "value"},
            "series": [{"type": "boxplot", "data": [list(b) for b in boxes]}],
        }
    )
    return opt


def line(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str
) -> dict[str, Any]:
    opt = _base(title)
    opt.update(
        {
            "legend": {"bottom": 0},
            "xAxis": {"type": "category", "data": list(categories)},
            "yAxis": {"type": "value", "scale": True},
            "series": [
                {"type": "line", "name": name, "data": list(values), "connectNulls": True}
                for name, values in series
            ],
        }
    )
    return opt


def scatter(
    points: Sequence[tuple[float, float, str]],
    *,
    title: str,
    x_name: str,
    y_name: str,
    fit: tuple[float, float] | None = None,
) -> dict[str, Any]:
    opt = _base(title)
    opt["tooltip"] = {"trigger": "item"}
    series: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "name": y_name,
            "symbolSize": 8,
            "data": [{"value": [round(x, 2), round(y, 2)], "name": n} for x, y, n in points],
        }
    ]
    if fit and points:
        xs = [p[0] for p in points]
        lo, hi = min(xs), max(xs)
        b, a = fit
        series.append(
            {
                "type": "line",
                "name": "回归线",
                "showSymbol": False,
                "data": [
                    [round(lo, 2), round(a + b * lo, 2)],
                    [round(hi, 2), round(a + b * hi, 2)],
                ],
            }
        )
    opt.update(
        {
            "xAxis": {"type": "value", "name": x_name, "scale": True},
            "yAxis": {"type": "value", "name": y_name, "scale": True},
            "series": series,
        }
    )
    return opt
