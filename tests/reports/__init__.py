"""Seeding for the noise report tests: webhooks for what intake does, events for the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.events import add_events
from hub.store.schema import identity_state, incidents
from tests.conftest import api_headers, fixture_bytes, fixture_names, intake_headers

Client = TestClient[Any, Any]

# The hub's ManualClock reads this; the default report window is the 14 days before it.
NOW = datetime(2026, 11, 24, 22, 8, tzinfo=UTC)
DEFAULT_SINCE = "2026-11-10T22:08:00Z"
# Episodes of the crafted alert: 5 resolve on their own after 150 s, the 6th is acked.
EPISODES = 6
QUICK = timedelta(seconds=150)
SLOW = timedelta(minutes=20)
EPISODES_START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CRAFTED = "QueueBacklog"


async def post(hub: Client, body: bytes) -> dict[str, Any]:
    resp = await hub.post("/api/v1/alerts/alertmanager", data=body, headers=intake_headers())
    assert resp.status == 200, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


async def noise(hub: Client, **params: str) -> dict[str, Any]:
    resp = await hub.get("/api/v1/reports/noise", params=params, headers=api_headers())
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def incident_ids(engine: AsyncEngine, alertname: str) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(incidents.c.id)
            .where(incidents.c.alertname == alertname)
            .order_by(incidents.c.id)
        )
        return [row.id for row in rows]


def notified(channel: str, message_id: str) -> dict[str, Any]:
    """A ``notified`` event's detail as delivery writes it."""
    return {
        "channel": channel,
        "receiver": "oncall",
        "message_id": message_id,
        "kind": "firing",
        "reason": "first_notification",
    }


def suppressed(reason: str) -> dict[str, Any]:
    return {"reason": reason, "receiver": "oncall"}


async def seed_fixture_replay(hub: Client, engine: AsyncEngine) -> None:
    """All captured webhooks, then what delivery and the pipeline would have recorded.

    ModelLatencyHigh: 3 incidents in one group, one message listing them on two channels,
    two repeats of each suppressed as duplicates. HighErrorRate: one message, later edited
    in place when it resolved, acknowledged. DataDrift: one message, a delivery that failed,
    silenced twice and one duplicate, 2 flapping episodes on its identity.
    """
    for name in fixture_names():
        await post(hub, fixture_bytes(name))
    latency = await incident_ids(engine, "ModelLatencyHigh")
    (errors,) = await incident_ids(engine, "HighErrorRate")
    (drift,) = await incident_ids(engine, "DataDrift")
    later = NOW + timedelta(seconds=10)
    async with engine.begin() as conn:
        await add_events(
            conn,
            [(i, "notified", notified("telegram[0]", "tg-1")) for i in latency]
            + [(i, "notified", notified("slack[0]", "sl-1")) for i in latency]
            + [(i, "suppressed", suppressed("duplicate")) for i in latency * 2]
            + [(errors, "notified", notified("telegram[0]", "tg-2"))]
            + [(errors, "acknowledged", {"by": "ana", "comment": ""})]
            + [(drift, "notified", notified("slack[0]", "sl-3"))]
            + [(drift, "delivery_failed", {"channel": "slack[0]", "reason": "server_error"})]
            + [(drift, "suppressed", suppressed("silenced"))] * 2
            + [(drift, "suppressed", suppressed("duplicate"))],
            NOW,
        )
        await add_events(conn, [(errors, "notified", notified("telegram[0]", "tg-2"))], later)
        await conn.execute(
            identity_state.insert(),
            [
                _identity("e2d691b15d36d0fb", flap_episodes=2),  # DataDrift's fingerprint
                _identity("0000000000000000", flap_episodes=7),  # no incident: not counted
            ],
        )


def _identity(fingerprint: str, *, flap_episodes: int) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "flap_episodes": flap_episodes,
        "updated_at": NOW,
    }


def crafted_payload(status: str, starts: datetime, ends: datetime | None = None) -> bytes:
    """The captured drift webhook, renamed to CRAFTED and moved in time."""
    body = json.loads(fixture_bytes("03-drift-firing.json"))
    body["status"] = status
    body["groupKey"] = f'{{}}:{{alertname="{CRAFTED}"}}'
    for labels in (body["groupLabels"], body["commonLabels"]):
        labels["alertname"] = CRAFTED
    (alert,) = body["alerts"]
    alert.update(
        status=status,
        fingerprint="",
        startsAt=_rfc3339(starts),
        endsAt=_rfc3339(ends) if ends else "0001-01-01T00:00:00Z",
    )
    alert["labels"]["alertname"] = CRAFTED
    return json.dumps(body).encode()


def _rfc3339(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def seed_self_resolving(hub: Client, *, ack_last: bool) -> None:
    """EPISODES episodes 30 min apart; the first one is re-sent once while firing.

    All but the last resolve after QUICK; the last after SLOW, acknowledged through the API
    while it fired when ``ack_last``.
    """
    for n in range(EPISODES):
        starts = EPISODES_START + n * timedelta(minutes=30)
        last = n == EPISODES - 1
        assert (await post(hub, crafted_payload("firing", starts)))["opened"] == 1
        if n == 0:
            await post(hub, crafted_payload("firing", starts))
        if last and ack_last:
            await _ack_open(hub)
        ends = starts + (SLOW if last else QUICK)
        assert (await post(hub, crafted_payload("resolved", starts, ends)))["resolved"] == 1


async def _ack_open(hub: Client) -> None:
    resp = await hub.get(
        "/api/v1/incidents",
        params={"alertname": CRAFTED, "status": "firing"},
        headers=api_headers(),
    )
    (item,) = (await resp.json())["items"]
    ack = await hub.post(
        f"/api/v1/incidents/{item['id']}/ack", json={"by": "ana"}, headers=api_headers()
    )
    assert ack.status == 200, await ack.text()
