"""Chart geometry for server-rendered SVG: pure numbers in, coordinates out.

Templates draw what these return; no script, no chart library, readable on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from hub.channels.render import format_duration_human
from hub.reports.stats import SeriesPoint

WIDTH = 320
HEIGHT = 120
PAD_LEFT = 44
PAD_BOTTOM = 18
PAD_TOP = 8


@dataclass(frozen=True)
class Line:
    """One series as polyline segments (a bucket without data breaks the line)."""

    name: str
    css: str
    segments: tuple[str, ...]  # "x,y x,y …" each
    dots: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    lines: tuple[Line, ...]
    y_max_label: str
    x_labels: tuple[tuple[float, str], ...]
    baseline: float

    @property
    def has_data(self) -> bool:
        return any(line.dots for line in self.lines)


_NICE_TOPS = tuple(
    m * 60.0 for m in (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, 1440, 2880, 10080, 20160)
)


def _nice_max(value: float) -> float:
    """The axis top: the first round duration (1 min … 14 d) at or above ``value``."""
    return next((top for top in _NICE_TOPS if top >= value), max(value, 60.0))


def _segments(
    values: Sequence[float | None], xs: Sequence[float], scale: float, base: float
) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...]]:
    segments: list[list[str]] = []
    dots: list[tuple[float, float]] = []
    current: list[str] = []
    for x, v in zip(xs, values, strict=True):
        if v is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = round(base - v * scale, 1)
        current.append(f"{x},{y}")
        dots.append((x, y))
    if current:
        segments.append(current)
    return tuple(" ".join(s) for s in segments if len(s) > 1), tuple(dots)


def line_chart(title: str, points: Sequence[SeriesPoint]) -> LineChart:
    """MTTA and MTTR medians per bucket, on one time axis with a shared scale."""
    values = [v for p in points for v in (p.mtta_p50, p.mttr_p50) if v is not None]
    top = _nice_max(max(values, default=0.0))
    base = HEIGHT - PAD_BOTTOM
    scale = (base - PAD_TOP) / top
    span = WIDTH - PAD_LEFT - 6
    step = span / max(len(points) - 1, 1)
    xs = [round(PAD_LEFT + i * step, 1) for i in range(len(points))]
    lines = []
    for name, css, series in (
        ("MTTA p50", "mtta", [p.mtta_p50 for p in points]),
        ("MTTR p50", "mttr", [p.mttr_p50 for p in points]),
    ):
        segments, dots = _segments(series, xs, scale, base)
        lines.append(Line(name, css, segments, dots))
    every = max(1, len(points) // 4)
    x_labels = tuple(
        (xs[i], points[i].start.strftime("%m-%d")) for i in range(0, len(points), every)
    )
    return LineChart(
        title=title, width=WIDTH, height=HEIGHT, lines=tuple(lines),
        y_max_label=format_duration_human(timedelta(seconds=top)),
        x_labels=x_labels, baseline=base,
    )  # fmt: skip


@dataclass(frozen=True)
class Bar:
    label: str
    messages: int
    suppressed: int
    y: float
    messages_width: float
    suppressed_width: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bars: tuple[Bar, ...]
    top: int  # the largest stack; 0 when nothing was sent or held back


BAR_HEIGHT = 22


def bar_chart(rows: Sequence[tuple[str, int, int]], limit: int = 10) -> BarChart:
    """The noisiest alerts: messages sent and suppressed, stacked, most first."""
    ranked = sorted(rows, key=lambda r: (-(r[1] + r[2]), r[0]))[:limit]
    label_width = 130
    span = WIDTH - label_width - 40
    top = max((m + s for _, m, s in ranked), default=0)
    scale = span / (top or 1)
    bars = tuple(
        Bar(
            label=label, messages=m, suppressed=s, y=i * BAR_HEIGHT,
            messages_width=round(scale * m, 1), suppressed_width=round(scale * s, 1),
        )
        for i, (label, m, s) in enumerate(ranked)
    )  # fmt: skip
    return BarChart(WIDTH, max(len(bars), 1) * BAR_HEIGHT, label_width, bars, top)
