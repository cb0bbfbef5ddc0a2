"""The circuit breaker per target: after N fixes in a row that did not work, stop trying."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.remediate.model import BAD_OUTCOMES, ActionStatus


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


@dataclass(frozen=True)
class Circuit:
    """The breaker's state and the run of bad outcomes that decided it."""

    state: CircuitState
    consecutive_failures: int

    @property
    def is_open(self) -> bool:
        return self.state is CircuitState.OPEN


def circuit_for(outcomes: Sequence[ActionStatus], max_failures: int) -> Circuit:
    """Judge a target's finished outcomes since its last reset, oldest first.

    Only ``failed`` and ``no_effect`` count; a ``succeeded`` ends the run. Outcomes that
    are not results of a call (refused, rejected, ...) are not passed in.
    """
    run = 0
    for outcome in reversed(outcomes):
        if outcome not in BAD_OUTCOMES:
            break
        run += 1
    state = CircuitState.OPEN if run >= max_failures else CircuitState.CLOSED
    return Circuit(state, run)
