"""Chart geometry: gaps break lines, axes round up to a readable duration, bars rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.reports.stats import SeriesPoint
from hub.web.charts import BAR_HEIGHT, bar_chart, line_chart

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


def _points(values: list[tuple[float | None, float | None]]) -> list[SeriesPoint]:
    return [
        SeriesPoint(DAY0 + timedelta(days=i), 1, mtta, mttr)
        for i, (mtta, mttr) in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("values", "mtta_segments", "mttr_dots", "top"),
    [
        ([(None, None)] * 3, 0, 0, "1 min"),
        ([(30.0, 90.0), (60.0, 120.0), (None, 100.0)], 1, 3, "2 min"),
        ([(30.0, None), (None, None), (40.0, None), (50.0, None)], 1, 0, "1 min"),
        ([(3000.0, 7000.0)], 0, 1, "2 h"),
        ([(None, 20 * 86400.0)], 0, 1, "20 d"),
    ],
    ids=["empty", "gap-in-mttr-only", "gap-breaks-the-line", "single-point", "beyond-two-weeks"],
)
def test_line_chart(
    values: list[tuple[float | None, float | None]], mtta_segments: int, mttr_dots: int, top: str
) -> None:
    chart = line_chart("A", _points(values))
    mtta, mttr = chart.lines
    assert len(mtta.segments) == mtta_segments
    assert len(mttr.dots) == mttr_dots
    assert chart.y_max_label == top
    assert chart.has_data is any(v is not None for pair in values for v in pair)
    for _, y in mtta.dots + mttr.dots:
        assert 0 <= y <= chart.baseline  # every point inside the plot


def test_bar_chart_ranks_and_scales() -> None:
    chart = bar_chart([("quiet", 1, 0), ("loud", 10, 30), ("mid", 5, 5)], limit=2)
    assert [(b.label, b.y) for b in chart.bars] == [("loud", 0), ("mid", BAR_HEIGHT)]
    assert chart.top == 40
    loud, mid = chart.bars
    assert loud.messages_width + loud.suppressed_width == pytest.approx(150.0)
    assert mid.messages_width == mid.suppressed_width == pytest.approx(18.8)
    assert bar_chart([("a", 0, 0)]).top == 0
