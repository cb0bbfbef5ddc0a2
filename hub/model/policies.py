"""Fatigue policies as config hands them to the pipeline: flapping thresholds and reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class FlapConfig:
    """Flapping is ``threshold`` fire/resolve cycles in ``window``; it ends after ``stable_for``."""

    threshold: int
    window: timedelta
    stable_for: timedelta

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("flapping threshold must be at least 1")
        if self.window <= timedelta(0) or self.stable_for <= timedelta(0):
            raise ValueError("flapping window and stable_for must be positive")


@dataclass(frozen=True)
class ReminderPolicy:
    """Remind after ``first``, then back off by ``backoff``, capped at ``max_interval``."""

    first: timedelta | None  # None: never remind
    backoff: float = 2.0
    max_interval: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.first is not None and self.first <= timedelta(0):
            raise ValueError("reminder interval must be positive (use None for never)")
        if self.backoff < 1:
            raise ValueError("reminder backoff must be at least 1")
        if self.max_interval <= timedelta(0):
            raise ValueError("reminder max_interval must be positive")


NEVER_REMIND = ReminderPolicy(first=None)
