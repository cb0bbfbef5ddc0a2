"""The per-incident counters stats read agree with the timelines, after a real flow."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.api.keys import ENGINE
from hub.store.schema import incident_events, incidents
from hub.store.stats import count_messages
from hub.timeframe import iso_utc
from tests.conftest import api_headers
from tests.delivery.conftest import Rig, eventually

START = datetime(2000, 1, 1, tzinfo=UTC)  # the fixtures keep the times Alertmanager gave them
SINCE = iso_utc(START)


async def _counters(rig: Rig) -> dict[int, tuple[str, int, int]]:
    async with rig.hub.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(
                incidents.c.id, incidents.c.alertname,
                incidents.c.messages_sent, incidents.c.suppressed_count,
            )
        )  # fmt: skip
        return {r.id: (r.alertname, r.messages_sent, r.suppressed_count) for r in rows}


async def _events(rig: Rig, kind: str) -> Counter[int]:
    async with rig.hub.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(incident_events.c.incident_id, func.count().label("n"))
            .where(incident_events.c.type == kind)
            .group_by(incident_events.c.incident_id)
        )
        return Counter({r.incident_id: int(r.n) for r in rows})


async def _stats(rig: Rig) -> dict[str, dict[str, Any]]:
    resp = await rig.hub.get("/api/v1/stats", params={"since": SINCE}, headers=api_headers())
    assert resp.status == 200, await resp.text()
    return {i["key"]: i for i in (await resp.json())["items"]}


async def test_counters_match_the_timeline_after_sends_groups_duplicates_and_edits(
    rig: Rig,
) -> None:
    await rig.post("01-critical-firing.json")
    await rig.post("02-group-truncated-firing.json")
    await eventually(lambda: len(rig.smtp.messages) == 2)
    await rig.settled()
    await rig.post("05-critical-repeat.json")
    await rig.post("06-group-truncated-repeat.json")
    await rig.post("07-critical-resolved.json")
    await eventually(lambda: rig.tg.calls_to("editMessageText"))
    await eventually(lambda: len(rig.smtp.messages) == 3)
    await rig.settled()

    counters = await _counters(rig)
    suppressed = await _events(rig, "suppressed")
    assert {iid: c[2] for iid, c in counters.items()} == {i: suppressed[i] for i in counters}
    assert sum(suppressed.values()) >= 4  # each repeat held back as a duplicate

    async with rig.hub.app[ENGINE].connect() as conn:
        from_events = await count_messages(conn, incidents.c.alertname, START, None)
    stats = await _stats(rig)
    assert {k: i["messages"] for k, i in stats.items()} == from_events
    assert {k: i["suppressed"] for k, i in stats.items()} == {
        name: sum(suppressed[i] for i, c in counters.items() if c[0] == name) for name in stats
    }
    # One message per channel lists the three grouped incidents: it counts once, not thrice.
    notified = await _events(rig, "notified")
    assert sum(notified[i] for i, c in counters.items() if c[0] == "ModelLatencyHigh") == 9
    assert stats["ModelLatencyHigh"]["messages"] == 3
    assert stats["HighErrorRate"]["messages"] >= 6  # three sends and three follow-ups
