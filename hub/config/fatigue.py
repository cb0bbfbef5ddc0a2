"""Alert-fatigue config: grouping window, reminders, escalation, flapping, rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from hub.config.types import Duration, StrictModel
from hub.model.policies import NEVER_REMIND, FlapConfig, ReminderPolicy


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
NonNegativeDuration = Annotated[Duration, AfterValidator(_not_negative)]


class ReminderConfig(StrictModel):
    """Reminders for one severity while an incident fires unacknowledged; ``never`` = none."""

    every: PositiveDuration | None
    backoff: float = Field(default=2.0, ge=1.0)
    max_interval: PositiveDuration = timedelta(hours=24)

    @field_validator("every", mode="before")
    @classmethod
    def _never(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "never":
            return None
        return value

    def to_policy(self) -> ReminderPolicy:
        return ReminderPolicy(self.every, self.backoff, self.max_interval)


def _default_reminders() -> dict[str, ReminderConfig]:
    return {
        "critical": ReminderConfig(every=timedelta(minutes=30)),
        "warning": ReminderConfig(every=timedelta(hours=4)),
        "info": ReminderConfig(every=None),
    }


class EscalationConfig(StrictModel):
    """An unacknowledged incident of these severities goes to ``escalate_to`` after ``after``."""

    after: PositiveDuration
    escalate_to: str = Field(min_length=1)
    severities: list[str] = Field(default_factory=lambda: ["critical"], min_length=1)


class FlappingConfig(StrictModel):
    """``threshold`` fire/resolve cycles within ``window`` is flapping, until stable."""

    threshold: int = Field(default=4, ge=2)
    window: PositiveDuration = timedelta(minutes=30)
    stable_for: PositiveDuration = timedelta(minutes=15)

    def to_flap_config(self) -> FlapConfig:
        return FlapConfig(self.threshold, self.window, self.stable_for)


class RateLimitConfig(StrictModel):
    """Per receiver: ``capacity`` messages per ``per``; the rest goes into a digest."""

    capacity: int = Field(default=20, ge=1)
    per: PositiveDuration = timedelta(minutes=5)
    digest_interval: PositiveDuration = timedelta(minutes=5)


class FatigueConfig(StrictModel):
    """Everything that keeps a person at one message per real problem."""

    # Delays every flush of an Alertmanager group, for all receivers: webhooks of one group
    # arriving within it are decided once (the newest supersedes). A route's group_wait
    # counts from when the hub first heard of the alerts, so this delay is part of it.
    group_window: NonNegativeDuration = timedelta(0)
    reminders: dict[str, ReminderConfig] = Field(default_factory=_default_reminders)
    escalation: EscalationConfig | None = None
    flapping: FlappingConfig = FlappingConfig()
    rate_limit: RateLimitConfig | None = None
    silence_expiry_warning: NonNegativeDuration = timedelta(minutes=10)

    @field_validator("reminders")
    @classmethod
    def _lowercase_severities(cls, value: dict[str, ReminderConfig]) -> dict[str, ReminderConfig]:
        return {severity.lower(): cfg for severity, cfg in value.items()}

    def reminder_policy(self, severity: str | None) -> ReminderPolicy:
        """The policy for an incident's severity; severities not listed are never reminded."""
        cfg = self.reminders.get((severity or "").lower())
        return cfg.to_policy() if cfg is not None else NEVER_REMIND
