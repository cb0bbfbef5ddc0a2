"""How fast people answer: MTTA, MTTR and the noisiest alerts over a window (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median


@dataclass(frozen=True)
class Episode:
    """One incident's milestones."""

    alertname: str
    started_at: datetime
    acked_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class ResponseStats:
    """Medians (None when nothing to measure) and the alerts that fired most."""

    incidents: int
    acked: int
    resolved: int
    mtta: timedelta | None
    mttr: timedelta | None
    noisiest: tuple[tuple[str, int], ...]


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(v.total_seconds() for v in values))


def response_stats(episodes: Sequence[Episode], top: int = 5) -> ResponseStats:
    """Median time to acknowledge and to resolve; the ``top`` alert names by incidents."""
    to_ack = [e.acked_at - e.started_at for e in episodes if e.acked_at is not None]
    to_resolve = [e.resolved_at - e.started_at for e in episodes if e.resolved_at is not None]
    counts = Counter(e.alertname for e in episodes)
    noisiest = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
    return ResponseStats(
        incidents=len(episodes),
        acked=len(to_ack),
        resolved=len(to_resolve),
        mtta=_median(to_ack),
        mttr=_median(to_resolve),
        noisiest=noisiest,
    )
