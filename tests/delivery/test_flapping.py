"""An identity that fires and resolves again and again: one flapping notice, then quiet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.conftest import api_headers, fixture_bytes, intake_headers
from tests.delivery.conftest import Rig, RigFactory

FLAPPY = {"flapping": {"threshold": 3, "window": "30m", "stable_for": "15m"}}
T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


def rfc(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def cycle(rig: Rig, n: int, *, resolve: bool) -> None:
    """Fire (and resolve) episode ``n`` of the HighErrorRate identity, two minutes apart."""
    body = json.loads(fixture_bytes("01-critical-firing.json"))
    alert = body["alerts"][0]
    alert["startsAt"] = rfc(T0 + timedelta(minutes=2 * n))
    if resolve:
        body["status"] = alert["status"] = "resolved"
        alert["endsAt"] = rfc(T0 + timedelta(minutes=2 * n + 1))
    resp = await rig.hub.post(
        "/api/v1/alerts/alertmanager", data=json.dumps(body), headers=intake_headers()
    )
    assert resp.status == 200


async def test_flapping_identity_gets_one_notice_then_silence(make_rig: RigFactory) -> None:
    async with make_rig(fatigue=FLAPPY) as rig:
        for n in range(6):
            await cycle(rig, n, resolve=False)
            await rig.settled()
            await cycle(rig, n, resolve=True)
            await rig.settled()
        texts = [c.params["text"] for c in rig.tg.calls_to("sendMessage")]
        assert len(texts) == 3, texts
        assert "FLAPPING" in texts[2]
        assert "FLAPPING" not in texts[0]
        resp = await rig.hub.get("/api/v1/incidents", params={"limit": "20"}, headers=api_headers())
        items = (await resp.json())["items"]
        assert len(items) == 6
        latest = await rig.hub.get(f"/api/v1/incidents/{items[0]['id']}", headers=api_headers())
        detail = await latest.json()
        assert detail["flapping"]["active"] is True
        assert detail["flapping"]["episodes"] == 1
        reasons = [e["detail"]["reason"] for e in detail["timeline"] if e["type"] == "suppressed"]
        assert reasons == ["flapping", "flapping"]
