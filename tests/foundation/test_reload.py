"""Config reload like Alertmanager: ``POST /-/reload`` and SIGHUP; bad configs are refused."""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.config.loader import load_config
from hub.reload import summarize
from tests.conftest import (
    API_TOKEN,
    INTAKE_TOKEN,
    api_headers,
    fixture_bytes,
    intake_headers,
    make_config,
)
from tests.fakes.telegram_api import FakeTelegram
from tests.support.hub_process import running_hub, write_hub_config
from tests.support.waiting import eventually

Client = TestClient[Any, Any]
FIRST_CHAT, SECOND_CHAT = "-1001", "-2002"


def raw_config(db_url: str, tg: FakeTelegram, chat: str) -> dict[str, Any]:
    """A config routing everything to one Telegram chat."""
    return {
        "database": {"url": db_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
        "route": {"receiver": "oncall"},
        "receivers": [
            {
                "name": "oncall",
                "telegram_configs": [
                    {"bot_token": tg.token, "chat_id": int(chat), "api_url": tg.base_url}
                ],
            }
        ],
        "delivery": {"poll_interval": "50ms"},
    }


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def _chats(tg: FakeTelegram) -> list[str]:
    return [str(c.params["chat_id"]) for c in tg.calls_to("sendMessage")]


def _gauge(metrics: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert match, f"{name} not exported"
    return float(match.group(1))


async def _metrics(client: Client) -> str:
    return await (await client.get("/metrics")).text()


async def test_valid_reload_applies_to_the_next_flush(
    db_url: str, tg: FakeTelegram, tmp_path: Path
) -> None:
    path = write_hub_config(tmp_path / "hub.yaml", raw_config(db_url, tg, FIRST_CHAT))
    app = create_app(load_config(path).config, config_path=path)
    async with TestClient(TestServer(app)) as client:
        started = _gauge(
            await _metrics(client), "alerthub_config_last_reload_success_timestamp_seconds"
        )
        assert (await client.post("/-/reload")).status == 401

        write_hub_config(path, raw_config(db_url, tg, SECOND_CHAT))
        resp = await client.post("/-/reload", headers=api_headers())
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert body["status"] == "reloaded"
        assert body["summary"]["changed"] == ["receivers"]
        assert body["summary"]["channels"] == 1
        assert body["summary"]["restart_needed"] == []

        resp = await client.post(
            "/api/v1/alerts/alertmanager",
            data=fixture_bytes("01-critical-firing.json"),
            headers=intake_headers(),
        )
        assert resp.status == 200
        await eventually(lambda: tg.calls_to("sendMessage"), 10, "a message")
        assert _chats(tg) == [SECOND_CHAT]

        metrics = await _metrics(client)
        assert _gauge(metrics, "alerthub_config_last_reload_successful") == 1
        reloaded = _gauge(metrics, "alerthub_config_last_reload_success_timestamp_seconds")
        assert reloaded >= started


async def test_invalid_reload_is_refused_and_the_running_config_stays(
    db_url: str, tg: FakeTelegram, tmp_path: Path
) -> None:
    path = write_hub_config(tmp_path / "hub.yaml", raw_config(db_url, tg, FIRST_CHAT))
    app = create_app(load_config(path).config, config_path=path)
    async with TestClient(TestServer(app)) as client:
        before = _gauge(
            await _metrics(client), "alerthub_config_last_reload_success_timestamp_seconds"
        )
        broken = raw_config(db_url, tg, SECOND_CHAT)
        broken["recievers"] = broken.pop("receivers")
        write_hub_config(path, broken)
        resp = await client.post("/-/reload", headers=api_headers())
        assert resp.status == 400
        body = await resp.json()
        assert body["error"] == "config invalid; the running config stays"
        assert {"message": "recievers: unknown key; did you mean receivers?"} in body["details"]

        await client.post(
            "/api/v1/alerts/alertmanager",
            data=fixture_bytes("01-critical-firing.json"),
            headers=intake_headers(),
        )
        await eventually(lambda: tg.calls_to("sendMessage"), 10, "a message")
        assert _chats(tg) == [FIRST_CHAT]

        metrics = await _metrics(client)
        assert _gauge(metrics, "alerthub_config_last_reload_successful") == 0
        assert _gauge(metrics, "alerthub_config_last_reload_success_timestamp_seconds") == before


async def test_reload_without_a_config_file_is_refused(db_url: str) -> None:
    app = create_app(make_config(db_url))
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/-/reload", headers=api_headers())
        assert resp.status == 400
        body = await resp.json()
        assert body["details"] == [{"message": "the hub was started without a config file"}]


FIRST_POLICY = {
    "policies": [
        {
            "name": "restart-model-api",
            "matchers": ['alertname="ModelServiceDown"'],
            "action": "rollout_restart",
            "target": {"kind": "Deployment", "namespace": "prod", "name": "model-api"},
            "allowed_namespaces": ["prod"],
            "allowed_names": ["model-.*"],
        }
    ]
}


@pytest.mark.parametrize(
    ("change", "changed", "restart"),
    [
        ({"inhibit_rules": [{"equal": ["namespace"]}]}, ["inhibit_rules"], []),
        ({"server": {"listen": "127.0.0.1:9999"}}, ["server"], ["server"]),
        ({"fatigue": {"group_window": "5s"}}, ["fatigue"], ["fatigue.group_window"]),
        (
            {"kubernetes": {"kubeconfig": "/etc/alerthub/kubeconfig"}},
            ["kubernetes"],
            ["kubernetes"],
        ),
        ({"remediation": FIRST_POLICY}, ["remediation"], ["remediation.policies"]),
        ({"telegram_bot": {"bot_token": "1:x"}}, ["telegram_bot"], ["telegram_bot"]),
        ({}, [], []),
    ],
    ids=[
        "reloadable",
        "restart-only",
        "group-window",
        "cluster",
        "first-policy",
        "bot",
        "unchanged",
    ],
)
def test_summary_names_changes_and_restarts(
    change: dict[str, Any], changed: list[str], restart: list[str]
) -> None:
    old = make_config("sqlite+aiosqlite:///x.db")
    new = make_config("sqlite+aiosqlite:///x.db", **change)
    summary = summarize(old, new)
    assert (summary["changed"], summary["restart_needed"]) == (changed, restart)


async def test_sighup_reloads_the_whole_config_of_a_running_hub(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    path = write_hub_config(tmp_path / "hub.yaml", raw_config(db, tg, FIRST_CHAT))
    async with running_hub(path, tmp_path / "hub.log") as hub:
        write_hub_config(path, raw_config(db, tg, SECOND_CHAT))
        hub.process.send_signal(signal.SIGHUP)
        await eventually(lambda: '"config_reloaded"' in hub.log(), 10, "the reload log line")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            resp = await session.post(
                f"{hub.url}/api/v1/alerts/alertmanager",
                data=fixture_bytes("01-critical-firing.json"),
                headers=intake_headers(),
            )
            assert resp.status == 200
            await eventually(lambda: tg.calls_to("sendMessage"), 10, "a message")
            assert _chats(tg) == [SECOND_CHAT]

            write_hub_config(path, {"intake": "nope"})
            hub.process.send_signal(signal.SIGHUP)
            await eventually(lambda: '"config_reload_failed"' in hub.log(), 10, "the refusal")
            async with session.get(f"{hub.url}/metrics") as resp:
                metrics = await resp.text()
        assert _gauge(metrics, "alerthub_config_last_reload_successful") == 0
        assert hub.process.returncode is None
