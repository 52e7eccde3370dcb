"""ECharts options of the observation pages (built on the server, drawn by app.js)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from jiaoyan.core.charts import PALETTE


def radar(dimensions: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]):
    """One polygon per series over the dimensions (percent, 0–100)."""
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "type": "scroll"},
        "radar": {
            "indicator": [{"name": d, "max": 100, "min": 0} for d in dimensions],
            "radius": "62%",
            "center": ["50%", "48%"],
            "axisName": {"color": "#495057"},
        },
        "series": [
            {
                "type": "radar",
                "data": [
                    {"name": name, "value": [v if v is not None else 0 for v in values]}
                    for name, values in series
                ],
            }
        ],
    }


def trend(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str = ""):
    """Lines over time (one per dimension), percent on the vertical axis."""
    return {
        "color": PALETTE,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "bottom": 40, "top": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": list(labels), "boundaryGap": False},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {"type": "line", "name": name, "data": list(values), "connectNulls": True}
            for name, values in series.items()
        ],
    }


def st_curve(points: Sequence[Sequence[int]]):
    """The S-T curve: cumulative T along x, cumulative S along y, equal scales."""
    n = max(points[-1][0], points[-1][1], 1) if points else 1
    return {
        "color": [PALETTE[0]],
        "tooltip": {"trigger": "item", "formatter": "T {c0}"},
        "grid": {"left": 8, "right": 24, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "value", "name": "T", "min": 0, "max": n, "minInterval": 1},
        "yAxis": {"type": "value", "name": "S", "min": 0, "max": n, "minInterval": 1},
        "series": [
            {
                "type": "line",
                "name": _("S-T curve"),
                "data": [list(p) for p in points],
                "showSymbol": False,
                "lineStyle": {"width": 2},
            },
            {
                "type": "line",
                "name": "T = S",
                "data": [[0, 0], [n, n]],
                "showSymbol": False,
                "lineStyle": {"type": "dashed", "width": 1, "color": "#adb5bd"},
                "silent": True,
            },
        ],
    }


def rt_ch(rt: float, ch: float):
    """The Rt-Ch mode diagram with the lesson as one point and the mode boundaries."""
    line = {"type": "dashed", "color": "#adb5bd"}
    return {
        "color": [PALETTE[3]],
        "grid": {"left": 8, "right": 24, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "value", "name": "Rt", "min": 0, "max": 1},
        "yAxis": {"type": "value", "name": "Ch", "min": 0, "max": 1},
        "series": [
            {
                "type": "scatter",
                "symbolSize": 14,
                "data": [[round(rt, 4), round(ch, 4)]],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": line,
                    "label": {"show": False},
                    "data": [{"xAxis": 0.3}, {"xAxis": 0.7}, {"yAxis": 0.4}],
                },
            }
        ],
    }


def buckets(names: Sequence[str], labels: Sequence[str], counts: Sequence[Sequence[int]]):
    """Stacked bars: per dimension, how many observations fall in each percent bucket."""
    return {
        "color": ["#d63939", "#f76707", "#f59f00", "#74b816", "#2fb344"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 16, "bottom": 40, "top": 16, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": list(names), "inverse": True},
        "series": [
            {
                "type": "bar",
                "stack": "n",
                "name": label,
                "data": [c[i] for c in counts],
            }
            for i, label in enumerate(labels)
        ],
    }
