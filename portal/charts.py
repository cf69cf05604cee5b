"""Chart geometry for inline SVG: pure, no Django. Templates draw the shapes; labels stay
in HTML around the SVG so they keep their size on a phone however the drawing scales."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The drawing's own units; the SVG stretches to its box (preserveAspectRatio="none").
WIDTH, HEIGHT = 300.0, 80.0
GAP = 0.25  # share of each slot left empty between columns


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    peak: int  # the tallest column's value (the scale's top)
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def total(self) -> int:
        return sum(column.value for column in self.columns)


def column_chart(values: Sequence[tuple[str, int]]) -> ColumnChart:
    """One column per (label, value), scaled to the largest; a 0 draws no column."""
    peak = max((value for _, value in values), default=0)
    slot = WIDTH / len(values) if values else WIDTH
    columns = []
    for n, (label, value) in enumerate(values):
        height = HEIGHT * value / peak if peak else 0.0
        columns.append(Column(x=round(n * slot + slot * GAP / 2, 2), y=round(HEIGHT - height, 2),
                              width=round(slot * (1 - GAP), 2), height=round(height, 2),
                              label=label, value=value))
    return ColumnChart(columns=columns, peak=peak)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    percent: float  # of the largest bar, for its length


def bar_rows(values: Sequence[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars, each as long as its share of the largest."""
    peak = max((value for _, value in values), default=0)
    return [Bar(label, value, round(100 * value / peak, 1) if peak else 0.0)
            for label, value in values]
