"""Rate limit and quiet hours hold non-critical news and release it as one digest."""

from __future__ import annotations

import json
from datetime import timedelta

from hub.api.keys import WORKER
from tests.conftest import ManualClock, fixture_bytes, intake_headers
from tests.delivery.conftest import Rig, RigFactory, eventually


async def post_drift(rig: Rig, n: int, severity: str = "warning") -> None:
    """A distinct warning group per ``n`` (its own alertname, fingerprint and group key)."""
    body = json.loads(fixture_bytes("03-drift-firing.json"))
    body["groupKey"] = f'{{}}:{{alertname="Drift{n}"}}'
    alert = body["alerts"][0]
    alert["labels"] = {**alert["labels"], "alertname": f"Drift{n}", "severity": severity}
    alert["fingerprint"] = f"{n:016x}"
    resp = await rig.hub.post(
        "/api/v1/alerts/alertmanager", data=json.dumps(body), headers=intake_headers()
    )
    assert resp.status == 200


RATE = {"rate_limit": {"capacity": 2, "per": "1h", "digest_interval": "1s"}}


async def test_rate_limit_collects_the_rest_into_one_digest(make_rig: RigFactory) -> None:
    clock = ManualClock()  # holds all fall in one digest slot however long the posts take
    async with make_rig(clock=clock, fatigue=RATE) as rig:
        for n in range(7):
            await post_drift(rig, n)
        await rig.settled()
        assert len(rig.tg.calls_to("sendMessage")) == 2

        def digests() -> list[str]:
            texts = [c.params["text"] for c in rig.tg.calls_to("sendMessage")]
            return [t for t in texts if "held back" in t]

        release = {due for kind, due in await rig.pending() if kind == "digest"}
        assert len(release) == 1, release
        clock.now = release.pop()
        rig.hub.app[WORKER].wake()
        (digest,) = await eventually(digests, timeout=15)
        assert "5 alerts held back" in digest
        assert "Nothing critical was held" in digest
        # Every hold's release row has run; nothing more can go out.
        await rig.settled()
        assert "digest" not in {kind for kind, _ in await rig.pending()}
        assert len(rig.tg.calls_to("sendMessage")) == 3


async def test_critical_is_never_held_by_the_rate_limit(make_rig: RigFactory) -> None:
    async with make_rig(fatigue=RATE) as rig:
        for n in range(3):
            await post_drift(rig, n, severity="critical")
        await eventually(lambda: len(rig.tg.calls_to("sendMessage")) == 3, timeout=15)


QUIET_ROUTE = {"receiver": "oncall", "quiet_hours": "mon-fri 22:00-08:00 Europe/Istanbul"}


async def test_quiet_hours_hold_until_the_window_ends(make_rig: RigFactory) -> None:
    clock = ManualClock()  # Tuesday 22:08 UTC = Wednesday 01:08 in Istanbul: quiet
    no_reminders = {"reminders": {"critical": {"every": None}}}
    async with make_rig(clock=clock, route=QUIET_ROUTE, fatigue=no_reminders) as rig:
        await post_drift(rig, 1)
        await rig.post("01-critical-firing.json")
        await eventually(lambda: len(rig.tg.calls_to("sendMessage")) == 1)
        assert "HighErrorRate" in rig.tg.calls_to("sendMessage")[0].params["text"]
        await rig.settled()
        assert await rig.suppressed("Drift1", "quiet_hours")
        assert len(rig.tg.calls_to("sendMessage")) == 1

        clock.now += timedelta(hours=7)  # 08:08 in Istanbul: the window has ended
        rig.hub.app[WORKER].wake()
        digest = await eventually(lambda: len(rig.tg.calls_to("sendMessage")) == 2)
        assert digest
        text = rig.tg.calls_to("sendMessage")[1].params["text"]
        assert "1 alert held back" in text
        assert "quiet hours" in text
