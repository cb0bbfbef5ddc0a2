"""A replayable alert storm: many groups, repeats, a flapping subset, an inhibiting outage.

Deterministic, so tests can assert the exact number of messages and of suppressions,
and ``bench/storm.py`` can replay a large one and print what reached people.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
ZERO = "0001-01-01T00:00:00Z"


def _ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _fp(labels: dict[str, str]) -> str:
    canonical = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class StormShape:
    """How big the storm is; the expected counts follow from it."""

    groups: int = 20
    alerts_per_group: int = 5
    repeats: int = 3
    flapping: int = 2
    flap_cycles: int = 5
    flap_threshold: int = 3
    critical_every: int = 10  # every n-th group is critical
    inhibited_groups: int = 1  # groups whose service is down (ModelServiceDown fires)


@dataclass
class Storm:
    """The webhook bodies in order, and what a correct hub must make of them."""

    bodies: list[bytes] = field(default_factory=list)
    alerts: int = 0
    critical_groups: set[str] = field(default_factory=set)

    def add(self, body: dict[str, Any]) -> None:
        self.bodies.append(json.dumps(body).encode())
        self.alerts += len(body["alerts"])


def _alert(labels: dict[str, str], starts: datetime, ends: datetime | None) -> dict[str, Any]:
    return {
        "status": "resolved" if ends else "firing",
        "labels": labels,
        "annotations": {"summary": f"{labels['alertname']} on {labels.get('pod', '-')}"},
        "startsAt": _ts(starts),
        "endsAt": _ts(ends) if ends else ZERO,
        "generatorURL": "",
        "fingerprint": _fp(labels),
    }


def _payload(group_key: str, alerts: list[dict[str, Any]], receiver: str = "hub") -> dict[str, Any]:
    common = dict(alerts[0]["labels"])
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert["labels"].get(k) == v}
    return {
        "version": "4",
        "receiver": receiver,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": {k: common[k] for k in ("alertname", "service") if k in common},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }


def make_storm(shape: StormShape, seed: int = 7) -> Storm:
    """Outages first (so inhibition applies), then the groups with repeats, then the flappers."""
    rng = random.Random(seed)
    storm = Storm()
    for g in range(shape.inhibited_groups):
        labels = {"alertname": "ModelServiceDown", "namespace": "prod", "service": f"svc{g}",
                  "severity": "critical"}  # fmt: skip
        storm.critical_groups.add(f"down-{g}")
        storm.add(_payload(f"down-{g}", [_alert(labels, T0, None)]))
    group_bodies: list[dict[str, Any]] = []
    for g in range(shape.groups):
        critical = g % shape.critical_every == shape.critical_every - 1
        severity = "critical" if critical else "warning"
        name = "HighErrorRate" if critical else "ModelLatencyHigh"
        key = f"grp-{g}"
        if critical:
            storm.critical_groups.add(key)
        alerts = [
            _alert(
                {
                    "alertname": name,
                    "namespace": "prod",
                    "service": f"svc{g}",
                    "pod": f"svc{g}-{i}",
                    "severity": severity,
                },
                T0 + timedelta(seconds=rng.randrange(300)),
                None,
            )
            for i in range(shape.alerts_per_group)
        ]
        group_bodies.append(_payload(key, alerts))
    for _ in range(1 + shape.repeats):
        for body in group_bodies:
            storm.add(body)
    for f in range(shape.flapping):
        labels = {"alertname": "DataDrift", "namespace": "staging", "service": f"flap{f}",
                  "severity": "warning"}  # fmt: skip
        for c in range(shape.flap_cycles):
            starts = T0 + timedelta(minutes=2 * c)
            storm.add(_payload(f"flap-{f}", [_alert(labels, starts, None)]))
            storm.add(
                _payload(f"flap-{f}", [_alert(labels, starts, starts + timedelta(minutes=1))])
            )
    return storm


def expected_messages(shape: StormShape) -> int:
    """Top-level messages a correct hub sends for ``make_storm(shape)``.

    One per outage, one per group that is not inhibited, and per flapper the
    episodes before it counts as flapping plus the one flapping notice.
    """
    normal = shape.groups - shape.inhibited_groups
    per_flapper = shape.flap_threshold  # (threshold - 1) normal episodes + 1 notice
    return shape.inhibited_groups + normal + shape.flapping * per_flapper


INHIBIT_RULES = [
    {
        "source_matchers": ['alertname="ModelServiceDown"'],
        "target_matchers": ['alertname=~"ModelLatencyHigh|HighErrorRate"'],
        "equal": ["namespace", "service"],
    }
]
