"""Trend charts as inline SVG, drawn on the server: no chart library, nothing from a CDN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kpi.exports import kpi_text

WIDTH, HEIGHT = 640, 170
LEFT, BOTTOM, TOP = 52, 22, 8


@dataclass
class Series:
    name: str
    key: str
    path: str
    dots: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    unit_key: str
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10 ** (len(str(int(value))) - 1)
        if value <= step * magnitude:
            return step * magnitude
    return value


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    unit_key: str,
    y_max: float | None = None,
    y_min: float = 0.0,
) -> Chart:
    """One chart: `series` is (name, KPI key for formatting, values per label); None leaves a gap."""
    values = [v for _name, _key, points in series for v in points if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    low = min(y_min, min(values, default=0.0))
    span = (top - low) or 1.0
    plot_w, plot_h = WIDTH - LEFT - 36, HEIGHT - BOTTOM - TOP
    count = len(labels)

    def x(index: int) -> float:
        return LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / span)

    drawn = []
    for name, key, points in series:
        parts, dots, pen_down = [], [], False
        for index, value in enumerate(points):
            if value is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{x(index):.1f},{y(value):.1f}")
            dots.append((round(x(index), 1), round(y(value), 1)))
            pen_down = True
        drawn.append(Series(name=name, key=key, path=" ".join(parts), dots=dots if count <= 62 else []))
    ticks = [low, low + span / 2, top]
    every = max(1, count // 6)
    return Chart(
        title=title,
        unit_key=unit_key,
        series=drawn,
        y_ticks=[(round(y(v), 1), kpi_text(unit_key, v)) for v in ticks],
        x_ticks=[(round(x(i), 1), labels[i]) for i in range(0, count, every)],
        empty=not values,
    )
