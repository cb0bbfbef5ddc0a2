"""Delivery errors: whether to retry and a bounded reason that doubles as a metric label."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class FailureReason(StrEnum):
    """Why a delivery failed; a closed set so it can be a metric label."""

    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    PARSE_ERROR = "parse_error"


class DeliveryError(Exception):
    """A channel could not deliver; only the pipeline's deliver stage decides to retry."""

    def __init__(
        self,
        message: str,
        *,
        reason: FailureReason,
        retryable: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"DeliveryError({str(self)!r}, reason={self.reason.value}, "
            f"retryable={self.retryable}, retry_after={self.retry_after})"
        )


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Remove every secret from a message (bot tokens appear in Telegram URLs)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
