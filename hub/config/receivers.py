"""Receiver config: where one route's notifications go (Telegram, email, Slack).

Validators never echo secret values: models hide their input in errors, and
secret checks hang off the ``*_file`` field so a failing check shows a path, not a token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from hub.config.types import Duration, StrictModel, read_secret_file

_DEFAULT_TIMEOUT = timedelta(seconds=10)


class _ReceiverPartConfig(StrictModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, populate_by_name=True
    )


def check_secret_pair(
    secret: SecretStr | None, path: str | None, field: str, *, required: bool
) -> None:
    """Refuse both or (when required) neither of ``field`` and ``field_file``; check the file."""
    if secret is not None and path is not None:
        raise ValueError(f"set only one of {field} and {field}_file")
    if required and secret is None and path is None:
        raise ValueError(f"set one of {field} and {field}_file")
    if path is not None:
        read_secret_file(path, f"{field}_file")


def resolve_secret_file(model: StrictModel, field: str) -> None:
    """Load ``field_file`` into ``field`` once validated (models are frozen, hence setattr)."""
    path = getattr(model, f"{field}_file")
    if path is not None and getattr(model, field) is None:
        object.__setattr__(model, field, read_secret_file(path, f"{field}_file"))


class TelegramConfig(_ReceiverPartConfig):
    """A Telegram chat (or forum topic) reached through the Bot API."""

    bot_token: SecretStr | None = None
    bot_token_file: str | None = Field(default=None, validate_default=True)
    chat_id: int | str
    api_url: str = "https://api.telegram.org"
    message_thread_id: int | None = None
    disable_notifications: bool = False
    timeout: Duration = _DEFAULT_TIMEOUT
    template: str | None = None

    @field_validator("bot_token_file")
    @classmethod
    def _one_token(cls, value: str | None, info: ValidationInfo) -> str | None:
        check_secret_pair(info.data.get("bot_token"), value, "bot_token", required=True)
        return value

    @field_validator("api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _load_file(self) -> TelegramConfig:
        resolve_secret_file(self, "bot_token")
        return self


class EmailConfig(_ReceiverPartConfig):
    """An SMTP relay and the addresses it delivers to."""

    to: list[str]
    from_: str = Field(alias="from")
    smarthost: str
    auth_username: str | None = None
    auth_password: SecretStr | None = None
    auth_password_file: str | None = Field(default=None, validate_default=True)
    require_tls: bool = True
    tls: bool = False
    tls_insecure_skip_verify: bool = False
    ca_file: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = _DEFAULT_TIMEOUT
    html_template: str | None = None
    text_template: str | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _split_to(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list) and not [v for v in value if v]:
            raise ValueError("at least one recipient is required")
        return [v for v in value if v] if isinstance(value, list) else value

    @field_validator("smarthost")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("smarthost must be host:port, e.g. smtp.example.org:587")
        return value

    @field_validator("auth_password_file")
    @classmethod
    def _one_password(cls, value: str | None, info: ValidationInfo) -> str | None:
        check_secret_pair(info.data.get("auth_password"), value, "auth_password", required=False)
        return value

    @model_validator(mode="after")
    def _load_file(self) -> EmailConfig:
        resolve_secret_file(self, "auth_password")
        return self

    @property
    def host(self) -> str:
        """The smarthost's host part (IPv6 brackets removed)."""
        return self.smarthost.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """The smarthost's port."""
        return int(self.smarthost.rpartition(":")[2])


class SlackConfig(_ReceiverPartConfig):
    """A Slack channel reached with a bot token through the Web API."""

    token: SecretStr | None = None
    token_file: str | None = Field(default=None, validate_default=True)
    channel: str
    api_url: str = "https://slack.com/api/"
    timeout: Duration = _DEFAULT_TIMEOUT
    template: str | None = None

    @field_validator("token_file")
    @classmethod
    def _one_token(cls, value: str | None, info: ValidationInfo) -> str | None:
        check_secret_pair(info.data.get("token"), value, "token", required=True)
        return value

    @model_validator(mode="after")
    def _load_file(self) -> SlackConfig:
        resolve_secret_file(self, "token")
        return self


class ReceiverConfig(_ReceiverPartConfig):
    """A named set of channels a route delivers to."""

    name: str
    telegram_configs: list[TelegramConfig] = Field(default_factory=list)
    email_configs: list[EmailConfig] = Field(default_factory=list)
    slack_configs: list[SlackConfig] = Field(default_factory=list)
