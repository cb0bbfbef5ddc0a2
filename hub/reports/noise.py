"""The noise report: per alertname numbers and plain advice on how to make it quieter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

from typing_extensions import TypedDict  # pydantic documents it (OpenAPI) on Python 3.11

MIN_INCIDENTS_FOR_ADVICE = 5  # fewer incidents say nothing reliable about a rule
SELF_RESOLVE_SHARE = 0.8  # this share resolving on its own quickly means `for:` is too short
# (resolved within, suggested `for:`) in seconds, shortest first.
SELF_RESOLVE_STEPS = ((60, "2m"), (120, "3m"), (180, "5m"), (300, "10m"), (600, "15m"))
LOW_ACK_RATE = 0.1  # below this, people do not treat the alert as actionable
FLAPPING_SHARE = 0.2  # flapping episodes per incident above which the rule needs hysteresis
MAX_MESSAGES_PER_INCIDENT = 3.0  # more than this per incident is nagging


@dataclass(frozen=True)
class AlertStats:
    """What the store counted for one alertname over ``window_days``."""

    alertname: str
    notifications_received: int  # webhook notifications naming this alert
    incidents: int  # firing episodes
    messages_sent: int
    suppressed: Mapping[str, int]  # by SuppressReason value
    resolve_seconds: Sequence[float]  # time to resolve, per resolved incident
    self_resolve_seconds: Sequence[float]  # the same, for incidents resolved with no ack
    flapping_episodes: int
    acked_incidents: int
    window_days: float


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
    advice: list[str]


def build_noise_report(stats: Sequence[AlertStats]) -> list[NoiseRow]:
    """One row per alertname, noisiest (most messages, then most suppressed) first."""
    rows = [_row(s) for s in stats]
    return sorted(rows, key=lambda r: (-r["messages_sent"], -r["suppressed_total"], r["alertname"]))


def _row(s: AlertStats) -> NoiseRow:
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
        advice=advice(s),
    )


def advice(s: AlertStats) -> list[str]:
    """Plain advice derived from the numbers; none until there are enough incidents."""
    if s.incidents < MIN_INCIDENTS_FOR_ADVICE:
        return []
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
    days = _days(s.window_days)
    if s.acked_incidents == 0:
        return (
            f"{s.alertname} was never acknowledged in {days}: "
            "lower its severity or route it to email"
        )
    rate = s.acked_incidents / s.incidents
    if rate < LOW_ACK_RATE:
        return (
            f"{s.alertname} was acknowledged in only {_percent(rate)} of incidents in {days}: "
            "lower its severity or route it to email"
        )
    return None


def _flapping_advice(s: AlertStats) -> str | None:
    if s.flapping_episodes == 0 or s.flapping_episodes / s.incidents < FLAPPING_SHARE:
        return None
    return (
        f"{s.alertname} flapped {s.flapping_episodes} times in {_days(s.window_days)}: "
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


def _days(window_days: float) -> str:
    if window_days == 1:
        return "1 day"
    text = f"{window_days:g}" if window_days == int(window_days) else f"{window_days:.1f}"
    return f"{text} days"
