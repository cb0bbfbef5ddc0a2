"""Acknowledgement edits the message in place and stops reminders; reminders reply."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from hub.api.keys import WORKER
from hub.config.loader import ConfigError
from tests.conftest import ManualClock, api_headers
from tests.delivery.conftest import Rig, RigFactory, eventually

FAST_REMINDERS = {
    "reminders": {
        "critical": {"every": "300ms", "backoff": 2, "max_interval": "1s"},
        "warning": {"every": None},
    }
}


async def test_ack_edits_message_and_stops_reminders(make_rig: RigFactory) -> None:
    async with make_rig(fatigue=FAST_REMINDERS) as rig:
        await rig.post("01-critical-firing.json")
        await eventually(lambda: rig.tg.calls_to("sendMessage"))
        replies = await eventually(
            lambda: [c for c in rig.tg.calls_to("sendMessage") if c.params.get("reply_parameters")]
        )
        assert "Still firing" in replies[0].params["text"]

        incident = await rig.incident("HighErrorRate")
        resp = await rig.hub.post(
            f"/api/v1/incidents/{incident['id']}/ack",
            json={"by": "ayse", "comment": "looking"},
            headers=api_headers(),
        )
        assert resp.status == 200
        edit = await eventually(lambda: rig.tg.calls_to("editMessageText"))
        assert re.match(r"<b>🟠 ACKED by ayse at \d\d:\d\d · critical", edit[-1].params["text"])

        # The next reminder to come due sees the ack and ends the chain.
        await eventually(lambda: rig.suppressed("HighErrorRate", "acknowledged"))
        await rig.settled()
        assert [kind for kind, _ in await rig.pending()] == [], "reminders went on after the ack"

        detail = await rig.incident("HighErrorRate")
        assert detail["status"] == "acknowledged"
        acked = [e for e in detail["timeline"] if e["type"] == "acknowledged"]
        assert acked[0]["detail"] == {"by": "ayse", "comment": "looking", "via": incident["id"]}


SLOW_REMINDERS = {"reminders": {"critical": {"every": "1500ms"}, "warning": {"every": None}}}
ACK_SUPPRESSED = 'alerthub_notifications_suppressed_total{reason="acknowledged"}'


async def test_reminder_stopped_by_an_ack_is_counted(make_rig: RigFactory) -> None:
    """The reminder that comes due after an ack is recorded like every suppression:
    a timeline event and the suppressed-notifications metric."""
    async with make_rig(fatigue=SLOW_REMINDERS) as rig:
        await rig.post("01-critical-firing.json")
        await eventually(lambda: rig.tg.calls_to("sendMessage"))
        incident = await rig.incident("HighErrorRate")
        resp = await rig.hub.post(
            f"/api/v1/incidents/{incident['id']}/ack", json={"by": "ayse"}, headers=api_headers()
        )
        assert resp.status == 200

        async def acked_suppressions() -> list[dict[str, object]]:
            timeline = (await rig.incident("HighErrorRate"))["timeline"]
            return [
                e["detail"]
                for e in timeline
                if e["type"] == "suppressed" and e["detail"]["reason"] == "acknowledged"
            ]

        (detail,) = await eventually(acked_suppressions, timeout=10)
        assert detail["receiver"] == "oncall"
        metrics = await (await rig.hub.get("/metrics")).text()
        assert f"{ACK_SUPPRESSED} 1.0" in metrics.splitlines()
        assert not [c for c in rig.tg.calls_to("sendMessage") if c.params.get("reply_parameters")]


async def test_reminders_back_off(make_rig: RigFactory) -> None:
    clock = ManualClock()
    start = clock.now
    async with make_rig(clock=clock, fatigue=FAST_REMINDERS) as rig:
        await rig.post("01-critical-firing.json")
        await eventually(lambda: rig.tg.calls_to("sendMessage"))
        dues = []
        for sent in range(1, 5):
            await rig.settled()
            (due,) = [due for kind, due in await rig.pending() if kind == "reminder"]
            dues.append(due - start)
            clock.now = due
            rig.hub.app[WORKER].wake()
            await eventually(lambda: len(replies(rig)) == len(dues), what=f"reminder {sent}")
        # 300 ms, then twice that, then capped at max_interval (1 s).
        assert dues == [timedelta(milliseconds=ms) for ms in (300, 900, 1900, 2900)]
        assert all("Still firing" in c.params["text"] for c in replies(rig))


def replies(rig: Rig) -> list[Any]:
    return [c for c in rig.tg.calls_to("sendMessage") if c.params.get("reply_parameters")]


async def test_ack_errors(make_rig: RigFactory) -> None:
    async with make_rig() as rig:
        await rig.post("01-critical-firing.json")
        await rig.post("07-critical-resolved.json")
        incident = await rig.incident("HighErrorRate")
        url = f"/api/v1/incidents/{incident['id']}/ack"
        resp = await rig.hub.post(url, json={"by": "x"}, headers=api_headers())
        assert resp.status == 409
        resp = await rig.hub.post(url, json={"comment": "no by"}, headers=api_headers())
        assert resp.status == 422
        assert (await resp.json())["details"][0]["path"] == "by"
        resp = await rig.hub.post(
            "/api/v1/incidents/999/ack", json={"by": "x"}, headers=api_headers()
        )
        assert resp.status == 404
        resp = await rig.hub.post(url, json={"by": "x"})
        assert resp.status == 401


ESCALATE = {
    "reminders": {"critical": {"every": None}},
    "escalation": {"after": "300ms", "escalate_to": "lead"},
}


async def test_unacknowledged_critical_escalates(make_rig: RigFactory) -> None:
    async with make_rig(fatigue=ESCALATE) as rig:
        await rig.post("01-critical-firing.json")
        lead = await eventually(
            lambda: [c for c in rig.tg.calls_to("sendMessage") if c.params["chat_id"] == "-2002"]
        )
        first, second = lead[0].params["text"].splitlines()[:2]
        assert re.fullmatch(
            r"<b>⬆ ESCALATED: critical, unacknowledged for \d s"
            r" · first sent to oncall at \d\d:\d\d</b>",
            first,
        ), first
        assert second == "<b>🔴 FIRING · critical · HighErrorRate</b>"
        detail = await rig.incident("HighErrorRate")
        escalated = [e for e in detail["timeline"] if e["type"] == "escalated"]
        assert escalated[0]["detail"]["to"] == "lead"


async def test_acknowledged_critical_does_not_escalate(make_rig: RigFactory) -> None:
    async with make_rig(fatigue=ESCALATE) as rig:
        await rig.post("01-critical-firing.json")
        incident = await rig.incident("HighErrorRate")
        resp = await rig.hub.post(
            f"/api/v1/incidents/{incident['id']}/ack", json={"by": "ayse"}, headers=api_headers()
        )
        assert resp.status == 200
        # The escalation timer comes due, finds the ack and does nothing more.
        await rig.drained()
        chats = {c.params["chat_id"] for c in rig.tg.calls_to("sendMessage")}
        assert chats == {"-1001"}


async def test_escalation_target_must_exist(make_rig: RigFactory) -> None:
    with pytest.raises(ConfigError, match=r"fatigue\.escalation\.escalate_to"):
        async with make_rig(fatigue={"escalation": {"after": "1m", "escalate_to": "nobody"}}):
            pass
