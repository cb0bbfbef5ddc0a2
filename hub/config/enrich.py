"""Config of the enrichment stage: where Loki and Grafana live and how much of the logs to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.config.types import Duration, HttpUrl, StrictModel, read_secret_file
from hub.enrich.logql import LogQLTemplateError, check_logql_template
from hub.routing.matchers import check_matcher_strings


def _resolve_secret_file(data: Any, field: str) -> Any:
    """Fill ``field`` from ``field_file`` before validation, refusing both at once."""
    if not isinstance(data, dict):
        return data
    file_key = f"{field}_file"
    path = data.get(file_key)
    if path is None:
        return data
    if data.get(field) is not None:
        raise ValueError(f"set {field} or {file_key}, not both")
    return {**data, field: read_secret_file(str(path), file_key)}


class BasicAuthConfig(StrictModel):
    """HTTP basic auth for Loki (a gateway in front of it, or Grafana Cloud)."""

    username: str = Field(min_length=1)
    password: SecretStr
    password_file: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _password_from_file(cls, data: Any) -> Any:
        return _resolve_secret_file(data, "password")


class LokiQueryConfig(StrictModel):
    """A default LogQL template for alerts whose labels match every matcher."""

    matchers: list[str] = Field(min_length=1)
    query: str = Field(min_length=1)

    _valid_matchers = field_validator("matchers")(check_matcher_strings)

    @field_validator("query")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        try:
            check_logql_template(value)
        except LogQLTemplateError as exc:
            raise ValueError(str(exc)) from None
        return value


class LokiConfig(StrictModel):
    """Loki: how to reach it, the window around ``startsAt``, and the excerpt's limits."""

    url: HttpUrl
    bearer_token: SecretStr | None = None
    bearer_token_file: str | None = None
    basic_auth: BasicAuthConfig | None = None
    tenant: str | None = None
    timeout: Duration = timedelta(seconds=2)
    window_before: Duration = timedelta(minutes=5)
    window_after: Duration = timedelta(minutes=1)
    max_lines: int = Field(default=15, ge=1, le=500)
    max_line_chars: int = Field(default=300, ge=16)
    max_bytes: int = Field(default=4096, ge=64)
    queries: list[LokiQueryConfig] = []
    max_concurrency: int = Field(default=4, ge=1)
    cache_ttl: Duration = timedelta(seconds=30)

    @model_validator(mode="before")
    @classmethod
    def _token_from_file(cls, data: Any) -> Any:
        return _resolve_secret_file(data, "bearer_token")

    @model_validator(mode="after")
    def _one_auth(self) -> LokiConfig:
        if self.bearer_token is not None and self.basic_auth is not None:
            raise ValueError("set bearer_token or basic_auth, not both")
        if self.timeout <= timedelta(0):
            raise ValueError("timeout must be positive")
        return self


class GrafanaConfig(StrictModel):
    """Grafana, for "Explore logs" links next to the excerpt."""

    url: HttpUrl
    loki_datasource_uid: str = "loki"
