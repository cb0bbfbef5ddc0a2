"""Realistic Alertmanager 0.25 v4 webhook bodies for load tests, shaped like tests/fixtures.

Run ``python bench/bodies.py`` to print one body.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00Z"
START = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
_ALERTNAMES = ("HighErrorRate", "ModelLatencyHigh", "DataDrift", "PodCrashLooping", "GPUMemHigh")
_NAMESPACES = ("prod", "staging", "ml-batch", "default")
_SEVERITIES = ("critical", "warning", "info")


def go_time(moment: datetime, nanos: int) -> str:
    """Format like Go's RFC3339Nano: nanosecond fraction, trailing zeros trimmed, ``Z``."""
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{moment:%Y-%m-%dT%H:%M:%S}{'.' + fraction if fraction else ''}Z"


def fingerprint(labels: dict[str, str]) -> str:
    """Return 16 hex chars stable for the label set (Alertmanager uses FNV-64a; shape matters)."""
    canonical = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


def _alert(rng: random.Random, group: dict[str, str], index: int, resolved: bool) -> dict[str, Any]:
    deployment = f"{group['service']}-{rng.randrange(3)}"
    labels = _sorted({**group, "deployment": deployment, "pod": f"{deployment}-7c9f8d-x{index}"})
    starts = START + timedelta(seconds=rng.randrange(3600))
    ends = starts + timedelta(seconds=rng.randrange(60, 1800), microseconds=rng.randrange(10**6))
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": _sorted(
            {
                "summary": f"{group['alertname']} on pod x{index}",
                "runbook_url": f"https://runbooks.example.com/{group['alertname']}",
            }
        ),
        "startsAt": go_time(starts, rng.randrange(10**9)),
        "endsAt": go_time(ends, ends.microsecond * 1000) if resolved else ZERO_TIME,
        "generatorURL": rng.choice(("", "http://prometheus:9090/graph?g0.expr=up")),
        "fingerprint": fingerprint(labels),
    }


def _sorted(mapping: dict[str, str]) -> dict[str, str]:
    """Go marshals maps with sorted keys; so does Alertmanager's webhook body."""
    return dict(sorted(mapping.items()))


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    """Key/value pairs present with the same value in every map (Alertmanager's common*)."""
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def make_body(rng: random.Random, group_index: int, alerts_per_group: int, share: float) -> bytes:
    """Build one group notification as Alertmanager's webhook notifier would post it."""
    group = {
        "alertname": _ALERTNAMES[group_index % len(_ALERTNAMES)],
        "namespace": _NAMESPACES[(group_index // len(_ALERTNAMES)) % len(_NAMESPACES)],
        "severity": rng.choice(_SEVERITIES),
        "service": f"svc-{group_index}",
    }
    alerts = [_alert(rng, group, i, rng.random() < share) for i in range(alerts_per_group)]
    group_labels = {k: group[k] for k in ("alertname", "namespace", "service")}
    all_resolved = all(a["status"] == "resolved" for a in alerts)
    body = {
        "receiver": "hub",
        "status": "resolved" if all_resolved else "firing",
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items())) + "}",
        "truncatedAlerts": 0,
    }
    return json.dumps(body).encode() + b"\n"


def make_bodies(
    n_groups: int, alerts_per_group: int = 10, resolved_share: float = 0.2, seed: int = 0
) -> list[bytes]:
    """Return ``n_groups`` distinct bodies; about ``resolved_share`` of alerts are resolved."""
    rng = random.Random(seed)
    return [make_body(rng, g, alerts_per_group, resolved_share) for g in range(n_groups)]


if __name__ == "__main__":
    print(json.dumps(json.loads(make_bodies(1, alerts_per_group=3)[0]), indent=2))
