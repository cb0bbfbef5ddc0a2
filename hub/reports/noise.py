"""The noise report: per alertname numbers and plain advice on how to make it quieter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from typing_extensions import TypedDict  # pydantic documents it (OpenAPI) on Python 3.11

from hub.channels.wording import format_duration_human

SELF_RESOLVE_SHARE = 0.8  # this share resolving on its own quickly means `for:` is too short
# (resolved within, suggested `for:`) in seconds, shortest first.
SELF_RESOLVE_STEPS = ((60, "2m"), (120, "3m"), (180, "5m"), (300, "10m"), (600, "15m"))
LOW_ACK_RATE = 0.1  # below this, people do not treat the alert as actionable
FLAPPING_SHARE = 0.2  # flapping episodes per incident above which the rule needs hysteresis
MAX_MESSAGES_PER_INCIDENT = 3.0  # more than this per incident is nagging


@dataclass(frozen=True)
class AlertStats:
    """What the store counted for one alertname in the report's window."""

    alertname: str
    notifications_received: int  # webhook notifications naming this alert
    incidents: int  # firing episodes
    messages_sent: int
    suppressed: Mapping[str, int]  # by SuppressReason value
    resolve_seconds: Sequence[float]  # time to resolve, per resolved incident
    self_resolve_seconds: Sequence[float]  # the same, for incidents resolved with no ack
    flapping_episodes: int
    acked_incidents: int
    history: timedelta  # from the first episode in the window to now: the evidence's span


@dataclass(frozen=True)
class AdviceMinimum:
    """The evidence advice needs: this many episodes over at least this much history."""

    episodes: int = 5
    history: timedelta = timedelta(days=7)


class NoiseRow(TypedDict):
    """One alertname's line of the report, ready for JSON."""

    alertname: str
    notifications_received: int
    incidents: int
    messages_sent: int
    messages_per_incident: float | None
    suppressed: dict[str, int]
    suppressed_total: int
    median_resolve_seconds: float | None
    flapping_episodes: int
    ack_rate: float | None
    looked_at: str  # "6 episodes over 12 h"
    advice: list[str]


def build_noise_report(
    stats: Sequence[AlertStats], minimum: AdviceMinimum = AdviceMinimum()
) -> list[NoiseRow]:
    """One row per alertname, noisiest (most messages, then most suppressed) first."""
    rows = [_row(s, minimum) for s in stats]
    return sorted(rows, key=lambda r: (-r["messages_sent"], -r["suppressed_total"], r["alertname"]))


def _row(s: AlertStats, minimum: AdviceMinimum) -> NoiseRow:
    return NoiseRow(
        alertname=s.alertname,
        notifications_received=s.notifications_received,
        incidents=s.incidents,
        messages_sent=s.messages_sent,
        messages_per_incident=_ratio(s.messages_sent, s.incidents),
        suppressed=dict(sorted(s.suppressed.items())),
        suppressed_total=sum(s.suppressed.values()),
        median_resolve_seconds=median(s.resolve_seconds) if s.resolve_seconds else None,
        flapping_episodes=s.flapping_episodes,
        ack_rate=_ratio(s.acked_incidents, s.incidents),
        looked_at=looked_at(s),
        advice=advice(s, minimum),
    )


def looked_at(s: AlertStats) -> str:
    """The evidence: ``6 episodes over 12 h``."""
    noun = "episode" if s.incidents == 1 else "episodes"
    return f"{s.incidents} {noun} over {format_duration_human(s.history)}"


def missing_evidence(s: AlertStats, minimum: AdviceMinimum) -> str | None:
    """How much more data advice needs, or None when there is enough."""
    lacking = []
    if s.incidents < minimum.episodes:
        more = minimum.episodes - s.incidents
        lacking.append(f"{more} more episode{'' if more == 1 else 's'}")
    if s.history < minimum.history:
        lacking.append(f"{format_duration_human(minimum.history - s.history)} more history")
    if not lacking:
        return None
    return (
        f"no advice yet: {looked_at(s)}; advice needs {minimum.episodes} episodes over"
        f" {format_duration_human(minimum.history)} ({' and '.join(lacking)})"
    )


def advice(s: AlertStats, minimum: AdviceMinimum = AdviceMinimum()) -> list[str]:
    """Plain advice derived from the numbers; below the minimum, what more data it needs."""
    missing = missing_evidence(s, minimum)
    if missing is not None:
        return [missing]
    found = [_self_resolve_advice(s), _ack_advice(s), _flapping_advice(s), _messages_advice(s)]
    return [text for text in found if text is not None]


def _self_resolve_advice(s: AlertStats) -> str | None:
    for within, suggested_for in SELF_RESOLVE_STEPS:
        quick = sum(1 for seconds in s.self_resolve_seconds if seconds <= within)
        share = quick / s.incidents
        if share >= SELF_RESOLVE_SHARE:
            return (
                f"{s.alertname} resolved on its own in {_percent(share)} of episodes within "
                f"{within // 60} min: raise its `for:` to {suggested_for}"
            )
    return None


def _ack_advice(s: AlertStats) -> str | None:
    if s.acked_incidents == 0:
        return (
            f"{s.alertname} was never acknowledged in {looked_at(s)}: "
            "lower its severity or route it to email"
        )
    rate = s.acked_incidents / s.incidents
    if rate < LOW_ACK_RATE:
        return (
            f"{s.alertname} was acknowledged in only {_percent(rate)} of {looked_at(s)}: "
            "lower its severity or route it to email"
        )
    return None


def _flapping_advice(s: AlertStats) -> str | None:
    if s.flapping_episodes == 0 or s.flapping_episodes / s.incidents < FLAPPING_SHARE:
        return None
    return (
        f"{s.alertname} flapped {s.flapping_episodes} times in {looked_at(s)}: "
        "add `keep_firing_for:` to its rule or smooth its expression (e.g. avg_over_time)"
    )


def _messages_advice(s: AlertStats) -> str | None:
    per_incident = s.messages_sent / s.incidents
    if per_incident <= MAX_MESSAGES_PER_INCIDENT:
        return None
    return (
        f"{s.alertname} sent {per_incident:.1f} messages per incident: acknowledge it sooner "
        "or lengthen its reminder interval"
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"
