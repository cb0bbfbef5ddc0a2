"""Scale arithmetic: ``"3"``, ``"+1"``, ``"-1"`` against the current count, within bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_REPLICAS_RE = re.compile(r"([+-]?)(\d{1,6})")


@dataclass(frozen=True)
class ReplicaChange:
    """To ``count`` (absolute) or by ``count`` (relative, signed)."""

    count: int
    relative: bool

    def __str__(self) -> str:
        return f"{self.count:+d}" if self.relative else str(self.count)


def parse_replicas(text: str) -> ReplicaChange:
    """Parse ``"3"`` (to 3), ``"+1"``/``"-1"`` (by one); raises ``ValueError`` otherwise."""
    match = _REPLICAS_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"replicas {text!r} must be a count ('3') or a change ('+1', '-1')")
    sign, digits = match.groups()
    if sign:
        return ReplicaChange(int(sign + digits), relative=True)
    return ReplicaChange(int(digits), relative=False)


class ScaleReason(StrEnum):
    """How the wanted count came out."""

    WITHIN_LIMITS = "within_limits"
    CLAMPED_TO_MIN = "clamped_to_min"
    CLAMPED_TO_MAX = "clamped_to_max"
    NO_CHANGE = "no_change"


@dataclass(frozen=True)
class ScalePlan:
    """The count to scale to and why; ``NO_CHANGE`` means no call is needed."""

    replicas: int
    reason: ScaleReason


def plan_scale(change: ReplicaChange, current: int, *, low: int, high: int) -> ScalePlan:
    """The new replica count, kept within ``[low, high]``; equal to ``current`` is no change."""
    wanted = current + change.count if change.relative else change.count
    bounded = min(max(wanted, low), high)
    if bounded == current:
        return ScalePlan(current, ScaleReason.NO_CHANGE)
    if bounded > wanted:
        return ScalePlan(bounded, ScaleReason.CLAMPED_TO_MIN)
    if bounded < wanted:
        return ScalePlan(bounded, ScaleReason.CLAMPED_TO_MAX)
    return ScalePlan(bounded, ScaleReason.WITHIN_LIMITS)
