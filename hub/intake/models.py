"""Alertmanager's webhook payload (version "4"), parsed once from the raw bytes.

A NUL character (``\\u0000``) is valid JSON, but PostgreSQL cannot store it in text: parsing
replaces it with U+FFFD in every string and remembers which fields it changed, so the
alert is stored on every backend and its incident's timeline can say what was replaced.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

ZERO_TIME_YEAR = 1
NUL = "\x00"
NUL_REPLACEMENT = "\ufffd"
# Validation context flag: the raw body holds no ``\\u0000`` escape, so no string has NUL.
NUL_FREE = "nul_free"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp needs a time zone (RFC 3339)")
    return value.astimezone(UTC)


# pydantic keeps microseconds of RFC 3339 nanosecond timestamps; that is precise enough
# to tell one Alertmanager episode from the next.
Timestamp = Annotated[datetime, AfterValidator(_utc)]


def _without_nul(value: str) -> str:
    return value.replace(NUL, NUL_REPLACEMENT)


def _clean_map(mapping: dict[str, str], wire_name: str, changed: list[str]) -> dict[str, str]:
    """``mapping`` with NUL replaced in keys and values; appends ``wire_name.key`` per change."""
    if NUL not in "".join((*mapping, *mapping.values())):
        return mapping
    cleaned: dict[str, str] = {}
    for key, value in mapping.items():
        if NUL in key or NUL in value:
            changed.append(f"{wire_name}.{_without_nul(key)}")
        cleaned[_without_nul(key)] = _without_nul(value)
    return cleaned


def _replace_nul(model: BaseModel, texts: dict[str, str], maps: dict[str, str]) -> list[str]:
    """Replace NUL in the given fields (attribute name -> wire name); the wire names changed."""
    changed: list[str] = []
    for attr, wire_name in texts.items():
        value: str = getattr(model, attr)
        if NUL in value:
            setattr(model, attr, _without_nul(value))
            changed.append(wire_name)
    for attr, wire_name in maps.items():
        setattr(model, attr, _clean_map(getattr(model, attr), wire_name, changed))
    return changed


_ALERT_TEXTS = {"generator_url": "generatorURL", "fingerprint": "fingerprint"}
_ALERT_MAPS = {"labels": "labels", "annotations": "annotations"}
_PAYLOAD_TEXTS = {"receiver": "receiver", "group_key": "groupKey", "external_url": "externalURL"}
_PAYLOAD_MAPS = {
    "group_labels": "groupLabels",
    "common_labels": "commonLabels",
    "common_annotations": "commonAnnotations",
}


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
    _nul_notes: dict[int, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _no_nul(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get(NUL_FREE):
            return self
        own = _replace_nul(self, _PAYLOAD_TEXTS, _PAYLOAD_MAPS)
        for index, alert in enumerate(self.alerts):
            if fields := own + _replace_nul(alert, _ALERT_TEXTS, _ALERT_MAPS):
                self._nul_notes[index] = tuple(fields)
        return self

    @property
    def nul_notes(self) -> dict[int, tuple[str, ...]]:
        """Per alert index, the fields whose NUL was replaced (``labels.pod``, ``receiver`` ...)."""
        return self._nul_notes
