"""Alertmanager's webhook payload (version "4"), parsed once from the raw bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ZERO_TIME_YEAR = 1


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp needs a time zone (RFC 3339)")
    return value.astimezone(UTC)


# pydantic keeps microseconds of RFC 3339 nanosecond timestamps; that is precise enough
# to tell one Alertmanager episode from the next.
Timestamp = Annotated[datetime, AfterValidator(_utc)]


class WebhookAlert(BaseModel):
    """One alert of a notification, as Alertmanager sends it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = {}
    starts_at: Timestamp = Field(alias="startsAt")
    ends_at: Timestamp | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(default="", max_length=64)

    def identity(self) -> str:
        """Alertmanager's fingerprint, or a stable hash of the sorted labels."""
        if self.fingerprint:
            return self.fingerprint
        canonical = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def end_time(self) -> datetime | None:
        """``endsAt``, with Alertmanager's zero time meaning "not ended"."""
        if self.ends_at is None or self.ends_at.year == ZERO_TIME_YEAR:
            return None
        return self.ends_at


class WebhookPayload(BaseModel):
    """One Alertmanager notification: the alerts of one group for one receiver."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: Literal["4"]
    receiver: str = Field(max_length=255)
    status: Literal["firing", "resolved"]
    alerts: list[WebhookAlert]
    group_key: str = Field(default="", alias="groupKey")
    group_labels: dict[str, str] = Field(default={}, alias="groupLabels")
    common_labels: dict[str, str] = Field(default={}, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default={}, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    truncated_alerts: int = Field(default=0, ge=0, alias="truncatedAlerts")
