"""Receiver config validation and the channel registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest

from hub.channels.registry import build_channels
from hub.config.receivers import EmailConfig, ReceiverConfig, TelegramConfig

SECRET = "123:super-secret-token"


def test_token_file_is_resolved(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(SECRET + "\n", encoding="utf-8")
    config = TelegramConfig.model_validate({"bot_token_file": str(path), "chat_id": 1})
    assert config.bot_token is not None
    assert config.bot_token.get_secret_value() == SECRET


@pytest.mark.parametrize(
    "data",
    [
        {"chat_id": 1},
        {"chat_id": 1, "bot_token": SECRET, "bot_token_file": "/nonexistent"},
        {"chat_id": 1, "bot_token": SECRET, "surprise": True},
    ],
    ids=["neither", "both", "unknown-key"],
)
def test_invalid_telegram_config_never_echoes_secret(data: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        ReceiverConfig.model_validate({"name": "r", "telegram_configs": [data]})
    assert SECRET not in str(err.value)


def test_email_accepts_comma_string_and_alias() -> None:
    config = EmailConfig.model_validate(
        {"to": "a@x.org, b@x.org", "from": "hub@x.org", "smarthost": "[::1]:25"}
    )
    assert config.to == ["a@x.org", "b@x.org"]
    assert config.from_ == "hub@x.org"
    assert (config.host, config.port) == ("::1", 25)


@pytest.mark.parametrize("smarthost", ["mail", "mail:", ":25", "mail:smtp", "mail:70000"])
def test_smarthost_must_be_host_port(smarthost: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        EmailConfig.model_validate({"to": "a@x.org", "from": "h@x.org", "smarthost": smarthost})


def test_registry_keys_are_stable() -> None:
    receiver = ReceiverConfig.model_validate(
        {
            "name": "oncall",
            "telegram_configs": [{"bot_token": SECRET, "chat_id": 1}],
            "email_configs": [
                {"to": "a@x.org", "from": "h@x.org", "smarthost": "m:25"},
                {"to": "b@x.org", "from": "h@x.org", "smarthost": "m:25"},
            ],
            "slack_configs": [{"token": "xoxb-1", "channel": "#a"}],
        }
    )
    channels = build_channels(receiver, external_url="https://hub/")
    assert [key for key, _ in channels] == ["telegram[0]", "email[0]", "email[1]", "slack[0]"]
    assert [ch.kind for _, ch in channels] == ["telegram", "email", "email", "slack"]
