"""Flap detection for one alert identity: one notice when it starts, silence until stable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from hub.model.policies import FlapConfig


class FlapDecision(StrEnum):
    """What the flapping stage does with this identity now."""

    STABLE = "stable"  # not flapping: the message goes on
    STARTED = "started"  # send the one "flapping" notice
    CONTINUING = "continuing"  # suppress with SuppressReason.FLAPPING
    ENDED = "ended"  # stable for long enough: notify normally again


def count_cycles(transitions: Sequence[datetime], now: datetime, window: timedelta) -> int:
    """Fire events in ``(now - window, now]``; fires sit at even positions of the history."""
    since = now - window
    return sum(1 for at in transitions[::2] if since < at <= now)


def flap_state(
    transitions: Sequence[datetime],
    now: datetime,
    cfg: FlapConfig,
    currently_flapping: bool,
    last_transition: datetime | None,
) -> FlapDecision:
    """Decide the identity's flapping state from its fire/resolve history.

    ``transitions`` are the identity's fire and resolve times, oldest first, beginning with a
    fire (an identity's history always does), so fires are at even positions: trim it in
    fire/resolve pairs. ``last_transition`` defaults to the last of them. An identity only
    starts flapping while it is still moving (its last transition within ``stable_for``), so a
    flap that just ended is not restarted by the same old cycles still inside ``window``.
    """
    last = last_transition if last_transition is not None else _last(transitions)
    moving = last is not None and now - last < cfg.stable_for
    if currently_flapping:
        return FlapDecision.CONTINUING if moving else FlapDecision.ENDED
    if moving and count_cycles(transitions, now, cfg.window) >= cfg.threshold:
        return FlapDecision.STARTED
    return FlapDecision.STABLE


def _last(transitions: Sequence[datetime]) -> datetime | None:
    return transitions[-1] if transitions else None


def transitions_of(episodes: Sequence[tuple[datetime, datetime | None]]) -> list[datetime]:
    """Fire and resolve times, oldest first, starting with a fire."""
    out: list[datetime] = []
    for started, resolved in sorted(episodes, key=lambda e: e[0]):
        out.append(started)
        if resolved is not None:
            out.append(resolved)
    return out


def decide_flap(
    episodes: Sequence[tuple[datetime, datetime | None]], cfg: FlapConfig, flapping: bool
) -> FlapDecision:
    """Judged on the identity's own timeline (alert times), so the hub's clock plays no part:
    "now" is the newest transition, and "stable" means the one before it is old enough."""
    transitions = transitions_of(episodes)
    if not transitions:
        return FlapDecision.STABLE
    previous = transitions[-2] if len(transitions) > 1 else None
    if previous is None:
        return FlapDecision.STABLE if not flapping else FlapDecision.ENDED
    return flap_state(transitions, transitions[-1], cfg, flapping, previous)
