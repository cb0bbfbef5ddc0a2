"""On-call numbers: time to acknowledge and to resolve, per alert name, service, namespace or
severity, and the same per day for charts. Pure: the store hands in per-incident times.

MTTA runs from the first firing to the first ack, MTTR from the first firing to the resolve.
Incidents never acknowledged (or still open) are counted but stay out of those percentiles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class StatsBy(StrEnum):
    """What ``GET /api/v1/stats`` groups by (fixed names)."""

    ALERTNAME = "alertname"
    SERVICE = "service"
    NAMESPACE = "namespace"
    SEVERITY = "severity"


class Percentiles(BaseModel):
    """p50 and p90 in seconds; ``null`` when no incident qualifies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    p50: float | None
    p90: float | None


class StatsItem(BaseModel):
    """One group's numbers; ``key`` is ``""`` for incidents without that label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    incidents: int
    acknowledged: int
    mtta_seconds: Percentiles
    mttr_seconds: Percentiles
    messages: int = Field(description="messages people got (an edit in place counts again)")
    suppressed: int = Field(description="notifications the pipeline held back, any reason")


class StatsResponse(BaseModel):
    """``GET /api/v1/stats``: the window and one item per group, most incidents first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: str
    until: str
    items: list[StatsItem]


@dataclass(frozen=True)
class IncidentTimes:
    """The three moments of one incident that the numbers are made of."""

    key: str
    started_at: datetime
    acked_at: datetime | None
    resolved_at: datetime | None
    messages: int = 0  # messages this incident leads
    suppressed: int = 0

    @property
    def ack_seconds(self) -> float | None:
        return _seconds(self.started_at, self.acked_at)

    @property
    def resolve_seconds(self) -> float | None:
        return _seconds(self.started_at, self.resolved_at)


def _seconds(start: datetime, end: datetime | None) -> float | None:
    # An end stamped before its start (clock skew between Prometheus replicas) is instant.
    return None if end is None else max((end - start).total_seconds(), 0.0)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 3)


def percentiles(values: Sequence[float]) -> Percentiles:
    return Percentiles(p50=percentile(values, 0.5), p90=percentile(values, 0.9))


@dataclass(frozen=True)
class GroupTimes:
    """One group's (and time bucket's) counts and percentiles, however the store computed them."""

    key: str
    bucket: int  # index of the bucket from the window's start; 0 when not bucketed
    incidents: int
    acknowledged: int
    mtta: Percentiles
    mttr: Percentiles
    messages: int = 0
    suppressed: int = 0


def group_times(
    times: Iterable[IncidentTimes], since: datetime | None = None, bucket: timedelta | None = None
) -> list[GroupTimes]:
    """Group per-incident times by key (and bucket) and take their percentiles."""
    cells: dict[tuple[str, int], list[IncidentTimes]] = defaultdict(list)
    for t in times:
        index = int((t.started_at - since) / bucket) if since and bucket else 0
        cells[(t.key, index)].append(t)
    out = []
    for (key, index), cell in cells.items():
        acks = [s for t in cell if (s := t.ack_seconds) is not None]
        resolves = [s for t in cell if (s := t.resolve_seconds) is not None]
        out.append(
            GroupTimes(
                key, index, len(cell), len(acks), percentiles(acks), percentiles(resolves),
                sum(t.messages for t in cell), sum(t.suppressed for t in cell),
            )
        )  # fmt: skip
    return out


def build_stats_items(groups: Iterable[GroupTimes]) -> list[StatsItem]:
    """One item per key (groups not bucketed), most incidents first, then by key."""
    items = [
        StatsItem(
            key=g.key, incidents=g.incidents, acknowledged=g.acknowledged,
            mtta_seconds=g.mtta, mttr_seconds=g.mttr,
            messages=g.messages, suppressed=g.suppressed,
        )
        for g in groups
    ]  # fmt: skip
    return sorted(items, key=lambda i: (-i.incidents, i.key))


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of one key's series: median MTTA and MTTR of incidents started in it."""

    start: datetime
    incidents: int
    mtta_p50: float | None
    mttr_p50: float | None


def build_series(
    groups: Iterable[GroupTimes], since: datetime, until: datetime, bucket: timedelta
) -> dict[str, list[SeriesPoint]]:
    """Per key, one point per bucket from ``since`` to ``until`` (empty buckets included)."""
    count = max(1, math.ceil((until - since) / bucket))
    series: dict[str, list[SeriesPoint]] = {}
    for g in groups:
        points = series.setdefault(
            g.key, [SeriesPoint(since + bucket * i, 0, None, None) for i in range(count)]
        )
        index = min(count - 1, max(0, g.bucket))
        points[index] = SeriesPoint(points[index].start, g.incidents, g.mtta.p50, g.mttr.p50)
    return series
