"""A replayed storm: the exact number of messages, and a recorded reason for the rest."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from hub.api.keys import ENGINE
from hub.store.schema import incident_events
from tests.conftest import intake_headers
from tests.delivery.conftest import Rig, RigFactory
from tests.support.storm import INHIBIT_RULES, StormShape, expected_messages, make_storm

SHAPE = StormShape(groups=12, alerts_per_group=4, repeats=2, flapping=2, flap_cycles=5)
FATIGUE = {
    "reminders": {"critical": {"every": None}, "warning": {"every": None}},
    "flapping": {"threshold": SHAPE.flap_threshold, "window": "30m", "stable_for": "15m"},
}


async def suppressed_reasons(rig: Rig) -> Counter[str]:
    async with rig.hub.app[ENGINE].connect() as conn:
        rows = await conn.execute(
            select(incident_events.c.detail).where(incident_events.c.type == "suppressed")
        )
        return Counter(row.detail["reason"] for row in rows)


async def test_storm_gives_one_message_per_problem(make_rig: RigFactory) -> None:
    storm = make_storm(SHAPE)
    async with make_rig(fatigue=FATIGUE, inhibit_rules=INHIBIT_RULES) as rig:
        for body in storm.bodies:
            resp = await rig.hub.post(
                "/api/v1/alerts/alertmanager", data=body, headers=intake_headers()
            )
            assert resp.status == 200
            await rig.drained()  # no timers are configured here
        sends = rig.tg.calls_to("sendMessage")
        assert len(sends) == expected_messages(SHAPE)
        texts = [c.params["text"] for c in sends]
        assert sum("FLAPPING" in t for t in texts) == SHAPE.flapping
        critical_sent = [t for t in texts if "critical" in t]
        assert len(critical_sent) == len(storm.critical_groups) - SHAPE.inhibited_groups * 0
        # Resolves of the flappers before they flapped edit their messages in place.
        assert len(rig.tg.calls_to("editMessageText")) == SHAPE.flapping * (
            SHAPE.flap_threshold - 1
        )

        reasons = await suppressed_reasons(rig)
        normal = SHAPE.groups - SHAPE.inhibited_groups
        assert reasons["duplicate"] == normal * SHAPE.alerts_per_group * SHAPE.repeats
        inhibited_alerts = SHAPE.inhibited_groups * SHAPE.alerts_per_group
        assert reasons["inhibited"] == inhibited_alerts * (1 + SHAPE.repeats)
        muted_transitions = 2 * SHAPE.flap_cycles - (2 * SHAPE.flap_threshold - 1)
        assert reasons["flapping"] == SHAPE.flapping * muted_transitions
        assert set(reasons) == {"duplicate", "inhibited", "flapping"}


def _texts(calls: list[Any]) -> list[str]:
    return [c.params["text"] for c in calls]
