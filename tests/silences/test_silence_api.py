"""``/api/v1/silences`` on each store: validation, round trip, states over time, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from tests.conftest import ManualClock, api_headers, make_config
from tests.support.ports import free_port

Client = TestClient[Any, Any]
URL = "/api/v1/silences"


def body(clock: ManualClock, **change: Any) -> dict[str, Any]:
    return {
        "matchers": ['alertname="DataDrift"', 'namespace=~"staging|dev"'],
        "ends_at": (clock.now + timedelta(hours=1)).isoformat(),
        "created_by": "ayse",
        "comment": "known drift, retraining",
        **change,
    }


async def create(hub: Client, payload: dict[str, Any]) -> dict[str, Any]:
    resp = await hub.post(URL, json=payload, headers=api_headers())
    assert resp.status == 201, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


async def listed(hub: Client, state: str | None = None) -> list[int]:
    params = {"state": state} if state else {}
    resp = await hub.get(URL, params=params, headers=api_headers())
    assert resp.status == 200, await resp.text()
    return [item["id"] for item in (await resp.json())["items"]]


async def test_round_trip(hub: Client, clock: ManualClock) -> None:
    created = await create(hub, body(clock))
    assert created["matchers"] == ['alertname="DataDrift"', 'namespace=~"staging|dev"']
    assert created["state"] == "active"
    assert created["created_by"] == "ayse"
    assert created["comment"] == "known drift, retraining"
    assert created["alertmanager_id"] is None
    assert created["warnings"] == []
    assert created["starts_at"] == clock.now.isoformat().replace("+00:00", "Z")

    resp = await hub.get(f"{URL}/{created['id']}", headers=api_headers())
    assert resp.status == 200
    fetched = await resp.json()
    assert fetched == {k: v for k, v in created.items() if k != "warnings"}
    assert await listed(hub) == [created["id"]]


async def test_states_follow_the_clock(hub: Client, clock: ManualClock) -> None:
    start = clock.now
    active = await create(hub, body(clock, ends_at=(start + timedelta(minutes=30)).isoformat()))
    pending = await create(
        hub,
        body(
            clock,
            starts_at=(start + timedelta(minutes=10)).isoformat(),
            ends_at=(start + timedelta(hours=2)).isoformat(),
        ),
    )
    assert pending["state"] == "pending"
    assert await listed(hub, "active") == [active["id"]]
    assert await listed(hub, "pending") == [pending["id"]]
    assert await listed(hub, "expired") == []

    clock.now = start + timedelta(minutes=30)
    assert await listed(hub, "active") == [pending["id"]]
    assert await listed(hub, "expired") == [active["id"]]
    assert await listed(hub) == [pending["id"], active["id"]]


async def test_delete_expires_now_and_is_idempotent(hub: Client, clock: ManualClock) -> None:
    created = await create(hub, body(clock))
    clock.now += timedelta(minutes=5)
    resp = await hub.delete(f"{URL}/{created['id']}", headers=api_headers())
    assert resp.status == 200, await resp.text()
    deleted = await resp.json()
    assert deleted["state"] == "expired"
    assert deleted["expired_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert deleted["ends_at"] == created["ends_at"]
    assert await listed(hub, "expired") == [created["id"]]
    assert await listed(hub, "active") == []

    clock.now += timedelta(minutes=5)
    again = await hub.delete(f"{URL}/{created['id']}", headers=api_headers())
    assert again.status == 200
    assert (await again.json())["expired_at"] == deleted["expired_at"]


async def test_delete_of_a_pending_silence(hub: Client, clock: ManualClock) -> None:
    created = await create(
        hub, body(clock, starts_at=(clock.now + timedelta(minutes=10)).isoformat())
    )
    resp = await hub.delete(f"{URL}/{created['id']}", headers=api_headers())
    assert (await resp.json())["state"] == "expired"
    clock.now += timedelta(minutes=20)
    assert await listed(hub, "active") == []
    assert await listed(hub, "pending") == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"matchers": ['alertname="DataDrift"', "namespace staging"]}, "matchers[1]"),
        ({"matchers": ['alertname="DataDrift"', 'pod=~"(unclosed"']}, "matchers[1]"),
        ({"matchers": []}, "matchers"),
        ({"matchers": ['alertname=~".*"']}, "matchers"),
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
        ({"starts_at": "2030-01-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2030-01-01T00:00:00"}, "ends_at"),
        ({"created_by": ""}, "created_by"),
        ({"matcher": ['a="b"']}, "matcher"),
    ],
    ids=[
        "bad-matcher",
        "bad-regex",
        "empty",
        "matches-everything",
        "past",
        "ends-before-start",
        "naive",
        "no-owner",
        "typo-field",
    ],
)
async def test_validation_422_names_the_field(
    hub: Client, clock: ManualClock, change: dict[str, Any], path: str
) -> None:
    resp = await hub.post(URL, json=body(clock, **change), headers=api_headers())
    assert resp.status == 422, await resp.text()
    problem = await resp.json()
    assert path in [d["path"] for d in problem["details"]], problem
    assert await listed(hub) == []


async def test_missing_required_fields_are_named(hub: Client) -> None:
    resp = await hub.post(URL, json={}, headers=api_headers())
    assert resp.status == 422
    paths = {d["path"] for d in (await resp.json())["details"]}
    assert paths == {"matchers", "ends_at", "created_by"}


async def test_bad_requests(hub: Client, clock: ManualClock) -> None:
    resp = await hub.post(URL, data=b"{not json", headers=api_headers())
    assert resp.status == 400
    assert (await hub.post(URL, json=body(clock))).status == 401
    assert (await hub.get(URL)).status == 401
    assert (await hub.delete(f"{URL}/1")).status == 401
    resp = await hub.get(URL, params={"state": "muted"}, headers=api_headers())
    assert resp.status == 400
    assert "state" in (await resp.json())["error"]
    assert (await hub.get(f"{URL}/abc", headers=api_headers())).status == 400
    assert (await hub.get(f"{URL}/999", headers=api_headers())).status == 404
    assert (await hub.delete(f"{URL}/999", headers=api_headers())).status == 404


@pytest.fixture
async def hub_with_dead_alertmanager(db_url: str, clock: ManualClock) -> AsyncIterator[Client]:
    config = make_config(
        db_url, alertmanager={"url": f"http://127.0.0.1:{free_port()}", "timeout": "2s"}
    )
    async with TestClient(TestServer(create_app(config, clock=clock))) as client:
        yield client


async def test_unreachable_alertmanager_leaves_the_hub_silence_standing(
    hub_with_dead_alertmanager: Client, clock: ManualClock
) -> None:
    hub = hub_with_dead_alertmanager
    created = await create(hub, body(clock))
    assert created["state"] == "active"
    assert created["alertmanager_id"] is None
    assert len(created["warnings"]) == 1
    assert created["warnings"][0].startswith("alertmanager:")
    assert await listed(hub, "active") == [created["id"]]
    resp = await hub.delete(f"{URL}/{created['id']}", headers=api_headers())
    assert resp.status == 200
    assert (await resp.json())["warnings"] == []
