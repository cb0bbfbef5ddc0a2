"""The start-up banner names config/alertmanager.yml's token file; demo tokens only are shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.banner import ALERTMANAGER_TOKEN_FILE, DEMO_API_TOKEN, DEMO_INTAKE_TOKEN, banner
from hub.config.loader import load_config
from tests.conftest import API_TOKEN, INTAKE_TOKEN, make_config
from tests.support.hub_process import running_hub
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo.yaml"


def test_alertmanager_example_reads_the_token_file_the_banner_names() -> None:
    example = yaml.safe_load((ROOT / "config" / "alertmanager.yml").read_text())
    (webhook,) = example["receivers"][0]["webhook_configs"]
    assert webhook["http_config"]["authorization"]["credentials_file"] == ALERTMANAGER_TOKEN_FILE
    assert f"credentials_file: {ALERTMANAGER_TOKEN_FILE}" in (ROOT / "README.md").read_text()


def test_demo_config_falls_back_to_the_published_demo_tokens() -> None:
    config = load_config(DEMO, env={}).config
    assert config.intake.token is not None
    assert config.api.token is not None
    assert config.intake.token.get_secret_value() == DEMO_INTAKE_TOKEN
    assert config.api.token.get_secret_value() == DEMO_API_TOKEN


CASES = [
    pytest.param(
        {},
        [f"credentials_file: {ALERTMANAGER_TOKEN_FILE}", "Bearer <api token>"],
        [INTAKE_TOKEN, API_TOKEN, "Demo intake token"],
        id="real-tokens-never-shown",
    ),
    pytest.param(
        {"intake": {"token": None, "allow_unauthenticated": True}},
        ["send_resolved: true", "Bearer <api token>"],
        ["credentials_file", "authorization", INTAKE_TOKEN, API_TOKEN],
        id="open-intake-no-auth-block",
    ),
    pytest.param(
        {"intake": {"token": DEMO_INTAKE_TOKEN}, "api": {"token": DEMO_API_TOKEN}},
        [
            f"echo {DEMO_INTAKE_TOKEN} > {ALERTMANAGER_TOKEN_FILE}",
            f"curl -H 'Authorization: Bearer {DEMO_API_TOKEN}' http://hub.test/api/v1/incidents",
        ],
        ["<api token>"],
        id="demo-tokens-shown",
    ),
]


@pytest.mark.parametrize(("overrides", "present", "absent"), CASES)
def test_banner(overrides: dict[str, Any], present: list[str], absent: list[str]) -> None:
    text = banner(make_config("sqlite+aiosqlite:///unused.db", **overrides), "127.0.0.1", 9880)
    assert "url: http://127.0.0.1:9880/api/v1/alerts/alertmanager" in text
    for expected in present:
        assert expected in text
    for unexpected in absent:
        assert unexpected not in text


async def test_serving_the_demo_config_prints_its_tokens(tmp_path: Path) -> None:
    env = {"ALERTHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"}
    async with running_hub(DEMO, tmp_path / "hub.log", env=env) as hub:
        log = await eventually(hub.log, what="the banner", check=lambda t: "Incidents:" in t)
    assert f"credentials_file: {ALERTMANAGER_TOKEN_FILE}" in log
    assert f"echo {DEMO_INTAKE_TOKEN} > {ALERTMANAGER_TOKEN_FILE}" in log
    assert f"Bearer {DEMO_API_TOKEN}" in log
    assert "No route reaches a Telegram, email or Slack receiver" in log
    assert "nothing will be delivered (ready configs: config/examples/)" in log


def test_a_config_that_delivers_says_nothing_of_it() -> None:
    receiver = {"name": "tg", "telegram_configs": [{"bot_token": "1:x", "chat_id": 1}]}
    config = make_config(
        "sqlite+aiosqlite:///unused.db", route={"receiver": "tg"}, receivers=[receiver]
    )
    assert "nothing will be delivered" not in banner(config, "127.0.0.1", 9880)
