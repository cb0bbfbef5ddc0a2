"""Field types shared by every config model: Alertmanager-style durations and secrets."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SecretStr,
)

_DURATION_RE = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_SECONDS = {
    "y": 365 * 86400.0,
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}


def parse_duration(text: str) -> timedelta:
    """Parse a duration the way Alertmanager writes them (``30s``, ``5m``, ``1h30m``, ``0``)."""
    value = text.strip()
    if value == "0":
        return timedelta(0)
    pos = 0
    seconds = 0.0
    for match in _DURATION_RE.finditer(value):
        if match.start() != pos:
            break
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value) or not value:
        raise ValueError(f"invalid duration {text!r} (use e.g. 30s, 5m, 4h, 1h30m)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Write a duration back in Alertmanager's notation, largest units first."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = round(_UNIT_SECONDS[unit] * 1000)
        count, total_ms = divmod(total_ms, size)
        if count:
            parts.append(f"{count}{unit}")
    if total_ms:
        parts.append(f"{total_ms}ms")
    return "".join(parts)


def _to_duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("durations are written with a unit, e.g. 30s, 5m, 4h")  # noqa: TRY004
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_duration),
    PlainSerializer(format_duration, return_type=str),
]


def _absolute_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http:// or https:// URL")
    return value.rstrip("/")


# A base URL (hub, Alertmanager, Loki, Grafana): absolute, without a trailing slash.
HttpUrl = Annotated[str, AfterValidator(_absolute_http_url)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name like Europe/Berlin or UTC"
        ) from None
    return value


# An IANA time zone name, checked when the config is read.
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_secret_file(path: str, field: str) -> SecretStr:
    """Read a ``*_file`` secret, stripping the trailing newline editors add."""
    try:
        return SecretStr(Path(path).read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(f"{field}: cannot read {path}: {exc.strerror}") from None
