"""Through the whole hub: a silenced incident stays quiet, then is told at once on expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from tests.conftest import ManualClock, api_headers, fixture_bytes, intake_headers, make_config
from tests.delivery.conftest import eventually
from tests.fakes.telegram_api import FakeTelegram
from tests.support import outbox

Client = TestClient[Any, Any]


@dataclass
class Rig:
    hub: Client
    tg: FakeTelegram
    clock: ManualClock

    async def post(self, name: str) -> None:
        resp = await self.hub.post(
            "/api/v1/alerts/alertmanager", data=fixture_bytes(name), headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()

    async def timeline(self, alertname: str) -> list[dict[str, Any]]:
        resp = await self.hub.get(
            "/api/v1/incidents", params={"alertname": alertname}, headers=api_headers()
        )
        (item,) = (await resp.json())["items"]
        detail = await self.hub.get(f"/api/v1/incidents/{item['id']}", headers=api_headers())
        timeline: list[dict[str, Any]] = (await detail.json())["timeline"]
        return timeline

    async def silence(self, minutes: int, *matchers: str) -> dict[str, Any]:
        body = {
            "matchers": list(matchers),
            "ends_at": (self.clock.now + timedelta(minutes=minutes)).isoformat(),
            "created_by": "ayse",
            "comment": "retraining",
        }
        resp = await self.hub.post("/api/v1/silences", json=body, headers=api_headers())
        assert resp.status == 201, await resp.text()
        result: dict[str, Any] = await resp.json()
        return result


@pytest.fixture
async def rig(db_url: str, clock: ManualClock) -> AsyncIterator[Rig]:
    async with FakeTelegram() as tg:
        config = make_config(
            db_url,
            route={"receiver": "oncall"},
            receivers=[
                {
                    "name": "oncall",
                    "telegram_configs": [
                        {"bot_token": tg.token, "chat_id": -1001, "api_url": tg.base_url}
                    ],
                }
            ],
            delivery={"poll_interval": "50ms"},
            fatigue={"silence_expiry_warning": "5m", "reminders": {}},
        )
        async with TestClient(TestServer(create_app(config, clock=clock))) as client:
            yield Rig(client, tg, clock)


def types(timeline: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in timeline]


async def test_silenced_until_it_expires_then_told_at_once(rig: Rig) -> None:
    silence = await rig.silence(30, 'alertname="DataDrift"')
    await rig.post("03-drift-firing.json")
    await rig.post("01-critical-firing.json")
    await eventually(lambda: rig.tg.calls_to("sendMessage"))  # the unsilenced one
    timeline = await eventually(lambda: _with(rig, "DataDrift", "suppressed"))
    suppressed = [e for e in timeline if e["type"] == "suppressed"]
    assert suppressed[0]["detail"]["reason"] == "silenced"
    assert len(rig.tg.calls_to("sendMessage")) == 1

    # A repeat while silenced stays quiet; so does the owner warning.
    rig.clock.now += timedelta(minutes=26)
    await eventually(lambda: _with(rig, "DataDrift", "silence_expiring"))
    await rig.post("04-drift-repeat.json")
    rig.clock.now = _at(silence["ends_at"]) - timedelta(microseconds=1)
    await _settle(rig)
    assert len(rig.tg.calls_to("sendMessage")) == 1

    # At the end the incident is flushed at once, without waiting for a repeat.
    rig.clock.now = _at(silence["ends_at"])
    await eventually(lambda: len(rig.tg.calls_to("sendMessage")) == 2)
    assert "DataDrift" in rig.tg.calls_to("sendMessage")[1].params["text"]
    timeline = await rig.timeline("DataDrift")
    assert "silence_expired" in types(timeline)
    assert types(timeline).index("silence_expired") < types(timeline).index("notified")


async def test_deleting_a_silence_tells_at_once(rig: Rig) -> None:
    silence = await rig.silence(60, 'alertname="DataDrift"', 'namespace="staging"')
    await rig.post("03-drift-firing.json")
    await eventually(lambda: _with(rig, "DataDrift", "suppressed"))
    rig.clock.now += timedelta(minutes=3)
    resp = await rig.hub.delete(f"/api/v1/silences/{silence['id']}", headers=api_headers())
    assert resp.status == 200
    await eventually(lambda: rig.tg.calls_to("sendMessage"))
    assert "DataDrift" in rig.tg.calls_to("sendMessage")[0].params["text"]
    await _settle(rig)
    assert len(rig.tg.calls_to("sendMessage")) == 1


async def _with(rig: Rig, alertname: str, kind: str) -> list[dict[str, Any]] | None:
    timeline = await rig.timeline(alertname)
    return timeline if kind in types(timeline) else None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _settle(rig: Rig) -> None:
    """Wait until the worker has acted on everything that is due."""
    await outbox.settled(rig.hub.app)
