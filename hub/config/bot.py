"""``telegram_bot:``: the bot people answer from (commands and buttons), its chats and people."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from hub.config.receivers import TelegramConfig, check_secret_pair, resolve_secret_file
from hub.config.types import HttpUrl, StrictModel

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Role(StrEnum):
    """What a person may do, each role including the one before it."""

    VIEWER = "viewer"
    RESPONDER = "responder"
    OPERATOR = "operator"
    ADMIN = "admin"


class BotMode(StrEnum):
    """How updates reach the hub: it asks (``getUpdates``) or Telegram posts them."""

    POLLING = "polling"
    WEBHOOK = "webhook"


class BotUserConfig(StrictModel):
    """One person: their Telegram user id, the name the hub records, their role."""

    id: int
    name: str = Field(min_length=1, max_length=255)
    role: Role


class TelegramBotConfig(StrictModel):
    """The bot: token, where the Bot API is, polling or webhook, who may use it and where."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    bot_token: SecretStr | None = None
    bot_token_file: str | None = Field(default=None, validate_default=True)
    api_url: HttpUrl = "https://api.telegram.org"
    mode: BotMode = BotMode.POLLING
    webhook_secret: SecretStr | None = None
    allowed_chats: list[int] = Field(default_factory=list)
    users: list[BotUserConfig] = Field(default_factory=list)
    commands_per_minute: int = Field(default=20, ge=1, le=600)

    @field_validator("bot_token_file")
    @classmethod
    def _one_token(cls, value: str | None, info: ValidationInfo) -> str | None:
        check_secret_pair(info.data.get("bot_token"), value, "bot_token", required=True)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - in the secret token.
        raw = value.get_secret_value() if value is not None else None
        if raw is not None and not _SECRET_RE.fullmatch(raw):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _load_file(self) -> TelegramBotConfig:
        resolve_secret_file(self, "bot_token")
        return self

    def problems(self, path: str) -> list[str]:
        """Whole-section checks, each naming its YAML path under ``path``."""
        found = []
        if self.mode is BotMode.WEBHOOK and self.webhook_secret is None:
            found.append(f"{path}.webhook_secret: webhook mode needs a secret")
        seen: set[int] = set()
        for i, user in enumerate(self.users):
            if user.id in seen:
                found.append(f"{path}.users[{i}].id: user {user.id} is listed twice")
            seen.add(user.id)
        return found

    def answers_buttons_of(self, chat: TelegramConfig) -> bool:
        """Whether presses on this chat's messages reach this bot and are let in."""
        token = self.bot_token.get_secret_value() if self.bot_token else None
        same_bot = chat.bot_token is not None and chat.bot_token.get_secret_value() == token
        return same_bot and chat.api_url == self.api_url and chat.chat_id in self.allowed_chats

    def user(self, user_id: int) -> BotUserConfig | None:
        """The configured person with this Telegram id, if any."""
        return next((u for u in self.users if u.id == user_id), None)
