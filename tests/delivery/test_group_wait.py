"""A route's group_wait and group_interval pace messages as Alertmanager paces notifications.

The same alert sequence goes to a real Alertmanager (its timers set on its route, its
notifications recorded) and to the hub (one webhook per change, as an Alertmanager that
does not wait would send them; the same timers on the hub's route). Both must tell the same
alert sets, in the same order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.api.keys import ENGINE
from hub.model.outbox import DeliverBody, OutboxKind
from hub.store.schema import incident_events, incidents, outbox
from tests.conftest import intake_headers
from tests.delivery.conftest import Rig, RigFactory, eventually
from tests.support.alertmanager import (
    RunningAlertmanager,
    WebhookRecorder,
    postable_alert,
    rfc3339,
    run_alertmanager,
    run_webhook_recorder,
)

pytestmark = pytest.mark.e2e
TIMERS = {"group_wait": "1s", "group_interval": "1s"}
Told = frozenset[tuple[str, str]]  # (alertname, status) of every alert in one message


@dataclass(frozen=True)
class Change:
    """At ``at`` seconds into the scenario, these alerts fire or resolve."""

    at: float
    firing: Sequence[str] = ()
    resolved: Sequence[str] = ()


# Changes sit well between Alertmanager's ticks (1 s apart from the group's first alert),
# so a little scheduling jitter cannot move a change into another message.
SCENARIO = [
    Change(0.0, firing=["A"]),
    Change(0.3, firing=["B"]),  # within group_wait: goes out with A
    Change(1.4, firing=["C"]),
    Change(1.6, firing=["D"]),  # C and D: one message, a group_interval after the first
    Change(3.5, resolved=["A"]),  # after a quiet interval: at once (Alertmanager: next tick)
    Change(5.3, resolved=["B", "C", "D"]),
]
EXPECTED: list[Told] = [
    frozenset({("A", "firing"), ("B", "firing")}),
    frozenset({("A", "firing"), ("B", "firing"), ("C", "firing"), ("D", "firing")}),
    frozenset({("A", "resolved"), ("B", "firing"), ("C", "firing"), ("D", "firing")}),
    frozenset({("B", "resolved"), ("C", "resolved"), ("D", "resolved")}),
]


class Group:
    """The group as an Alertmanager that notifies at once would post it to the hub."""

    def __init__(self) -> None:
        self.starts: dict[str, datetime] = {}
        self.ends: dict[str, datetime] = {}
        self.told_resolved: set[str] = set()

    def apply(self, change: Change, now: datetime) -> dict[str, Any]:
        for name in change.firing:
            self.starts[name] = now
        for name in change.resolved:
            self.ends[name] = now
        names = [n for n in self.starts if n not in self.told_resolved]
        self.told_resolved |= set(change.resolved) | {n for n in names if n in self.ends}
        alerts = [self._alert(n) for n in names]
        return {
            "version": "4",
            "groupKey": '{}:{job="api"}',
            "truncatedAlerts": 0,
            "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
            "receiver": "hub",
            "groupLabels": {"job": "api"},
            "commonLabels": {"job": "api"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.test",
            "alerts": alerts,
        }

    def _alert(self, name: str) -> dict[str, Any]:
        ended = self.ends.get(name)
        return {
            "status": "resolved" if ended else "firing",
            "labels": labels(name),
            "annotations": {},
            "startsAt": rfc3339(self.starts[name]),
            "endsAt": rfc3339(ended) if ended else "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": f"{ord(name):016x}",
        }


def labels(name: str) -> dict[str, str]:
    return {"alertname": name, "job": "api", "severity": "warning"}


async def play(rig: Rig, am: RunningAlertmanager) -> None:
    """Drive the scenario's timeline into both, each change at its moment."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    group = Group()
    for change in SCENARIO:
        await asyncio.sleep(max(0.0, start + change.at - loop.time()))  # the scenario clock
        now = datetime.now(UTC)
        body = group.apply(change, now)
        sent = [postable_alert(labels(n), starts_at=group.starts[n]) for n in change.firing]
        sent += [
            postable_alert(labels(n), starts_at=group.starts[n], ends_at=now)
            for n in change.resolved
        ]
        resp = await rig.hub.post(
            "/api/v1/alerts/alertmanager", data=json.dumps(body), headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()
        await am.api_v2.push_alerts(sent)


def told_by_alertmanager(recorder: WebhookRecorder) -> list[Told]:
    return [
        frozenset((a["labels"]["alertname"], a["status"]) for a in r.payload["alerts"])
        for r in recorder.requests
    ]


async def told_by_hub(rig: Rig) -> list[Told]:
    """Each Telegram message the hub decided, with its alerts' status at that moment."""
    async with rig.hub.app[ENGINE].connect() as conn:
        names = dict((await conn.execute(select(incidents.c.id, incidents.c.alertname))).all())
        resolved_at = dict(
            (
                await conn.execute(
                    select(incident_events.c.incident_id, incident_events.c.at).where(
                        incident_events.c.type == "resolved"
                    )
                )
            ).all()
        )
        rows = await conn.execute(
            select(outbox.c.payload, outbox.c.created_at)
            .where(outbox.c.kind == OutboxKind.DELIVER)
            .order_by(outbox.c.id)
        )
        told: list[Told] = []
        for payload, decided_at in rows:
            body = DeliverBody.parse(payload)
            if not body.channel.startswith("telegram"):
                continue
            gone = {i for i, at in resolved_at.items() if at <= decided_at}
            told.append(
                frozenset(
                    (names[i], "resolved" if i in gone else "firing") for i in body.incident_ids
                )
            )
        return told


async def test_group_timers_tell_what_alertmanager_tells(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    async with (
        make_rig(route={"receiver": "oncall", **TIMERS}) as rig,
        run_webhook_recorder() as recorder,
        run_alertmanager(
            tmp_path,
            webhook_url=recorder.url,
            bearer_token="am-to-recorder",
            group_by=("job",),
            group_wait=TIMERS["group_wait"],
            group_interval=TIMERS["group_interval"],
        ) as am,
    ):
        await play(rig, am)
        everything_resolved = EXPECTED[-1]
        await recorder.wait_for(
            lambda r: {a["status"] for a in r.payload["alerts"]} == {"resolved"}, timeout=15
        )
        hub_told = await eventually(
            lambda: told_by_hub(rig), check=lambda t: everything_resolved in t, timeout=15
        )
        assert told_by_alertmanager(recorder) == EXPECTED
        assert hub_told == EXPECTED
