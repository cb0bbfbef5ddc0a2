"""Kubernetes API errors: whether to retry and a bounded reason, like the channels' errors."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import urllib3.exceptions


class KubeFailureReason(StrEnum):
    """Why a call failed; a closed set so it can be a metric label and an action's reason."""

    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    CONFIG = "config"
    TARGET_PAUSED = "target_paused"


class KubeError(Exception):
    """A call to the cluster failed; only the action's outbox row decides to try again."""

    def __init__(
        self,
        message: str,
        *,
        reason: KubeFailureReason,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"KubeError({str(self)!r}, reason={self.reason.value}, "
            f"retryable={self.retryable}, status={self.status})"
        )


_BY_STATUS: dict[int, tuple[KubeFailureReason, bool]] = {
    400: (KubeFailureReason.INVALID, False),
    401: (KubeFailureReason.UNAUTHORIZED, False),
    403: (KubeFailureReason.FORBIDDEN, False),
    404: (KubeFailureReason.NOT_FOUND, False),
    409: (KubeFailureReason.CONFLICT, True),
    422: (KubeFailureReason.INVALID, False),
    429: (KubeFailureReason.RATE_LIMITED, True),
}


def _status_message(exc: Any) -> str:
    """The API's own ``Status.message`` when the body is one, else the HTTP reason."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return f"{exc.status} {exc.reason}"


def _retry_after(exc: Any) -> float | None:
    value = (exc.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def from_exception(exc: Exception) -> KubeError:
    """Map what the client raised to a ``KubeError``; unknown exceptions are re-raised."""
    from kubernetes.client.exceptions import ApiException  # loaded with the client anyway
    from kubernetes.config.config_exception import ConfigException

    if isinstance(exc, KubeError):
        return exc
    if isinstance(exc, ApiException) and not exc.status:
        # The client reports transport failures as status 0 with the error in ``reason``.
        text = str(exc.reason or "")
        if text.startswith("SSLError"):
            return KubeError(text, reason=KubeFailureReason.TLS, retryable=False)
        return KubeError(text, reason=KubeFailureReason.CONNECTION, retryable=True)
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        reason, retryable = _BY_STATUS.get(
            status,
            (KubeFailureReason.SERVER_ERROR, True)
            if status >= 500
            else (KubeFailureReason.INVALID, False),
        )
        return KubeError(
            _status_message(exc),
            reason=reason,
            retryable=retryable,
            status=status,
            retry_after=_retry_after(exc),
        )
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return from_exception(exc.reason)
    # urllib3 2 still derives NewConnectionError from ConnectTimeoutError: check it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ProtocolError):
        return KubeError(str(exc), reason=KubeFailureReason.CONNECTION, retryable=True)
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return KubeError(str(exc), reason=KubeFailureReason.TIMEOUT, retryable=True)
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return KubeError(str(exc), reason=KubeFailureReason.CONNECTION, retryable=True)
    if isinstance(exc, ConfigException):
        return KubeError(str(exc), reason=KubeFailureReason.CONFIG, retryable=False)
    raise exc
