"""Remediation speed: firing → action decided, approval → PATCH, and calls per action.

    python bench/remediation.py [--actions 20]

A real ``alerthub serve`` subprocess (SQLite store) with one approval policy; the fake
Kubernetes API server (``tests/fakes/kube_api.py``, HTTPS, its CA made here) runs in this
process with one Deployment per action. For each action, one at a time:

(a) decision: from posting the firing webhook to the action being listed as
    ``pending_approval`` by ``GET /api/v1/actions`` (polled every 2 ms);
(b) approval → PATCH: from sending ``POST /api/v1/actions/{id}/approve`` to the fake
    receiving the strategic merge patch;
(c) calls: requests the hub made to the cluster per action until its rollout completed
    (mutating ones, and all of them with the reads that check and watch the rollout).

Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import trustme

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import kube_objects as ko  # noqa: E402
from tests.fakes.kube_api import FakeKube  # noqa: E402
from tests.support.hub_process import start_hub_process, stop_hub, write_hub_config  # noqa: E402

HOOK = "/api/v1/alerts/alertmanager"
INTAKE = "bench-intake-token"
API = "bench-api-token"
ZERO = "0001-01-01T00:00:00Z"


def webhook(index: int) -> bytes:
    labels = {
        "alertname": "ModelServiceDown",
        "namespace": "prod",
        "deployment": f"model-api-{index}",
        "severity": "critical",
    }
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {},
        "startsAt": "2026-01-01T03:12:00Z",
        "endsAt": ZERO,
        "generatorURL": "",
        "fingerprint": f"bench{index:011d}",
    }
    return json.dumps(
        {
            "version": "4",
            "receiver": "hub",
            "status": "firing",
            "alerts": [alert],
            "groupLabels": {"deployment": labels["deployment"]},
            "commonLabels": labels,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "groupKey": f'{{}}:{{deployment="{labels["deployment"]}"}}',
            "truncatedAlerts": 0,
        }
    ).encode()


def config(db_url: str, kubeconfig: Path) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "intake": {"token": INTAKE},
        "api": {"token": API},
        "delivery": {"poll_interval": "50ms"},
        "kubernetes": {"kubeconfig": str(kubeconfig)},
        "remediation": {
            "max_actions_per_hour": 10_000,
            "policies": [
                {
                    "name": "restart-model-api",
                    "matchers": ['alertname="ModelServiceDown"'],
                    "action": "rollout_restart",
                    "target": {
                        "kind": "Deployment",
                        "namespace": "{{ labels.namespace }}",
                        "name": "{{ labels.deployment }}",
                    },
                    "allowed_namespaces": ["prod"],
                    "allowed_names": ["model-api-[0-9]+"],
                    "mode": "approval",
                    "cooldown": "0s",
                    "rollout_timeout": "30s",
                    "verify_window": "1m",
                }
            ],
        },
    }


async def wait_for(probe: Any, timeout: float = 30.0, interval: float = 0.002) -> Any:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if (value := await probe()) is not None:
            return value
        await asyncio.sleep(interval)
    raise TimeoutError("nothing within the timeout")


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{name:<22} median {statistics.median(ordered) * 1000:7.1f} ms"
        f"  p95 {p95 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms  (n={len(ordered)})"
    )


async def run(count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-remediation-"))
    db_url = f"sqlite+aiosqlite:///{workdir / 'hub.db'}"
    async with FakeKube(trustme.CA()) as kube:
        kube.rollout_seconds = 0.3
        for i in range(count):
            kube.add(ko.deployment(f"model-api-{i}", "prod", replicas=2))
        cfg = write_hub_config(
            workdir / "hub.yaml", config(db_url, kube.write_kubeconfig(workdir / "kubeconfig"))
        )
        hub = await start_hub_process(cfg, workdir / "hub.log")
        headers = {"Authorization": f"Bearer {API}"}
        decisions: list[float] = []
        to_patch: list[float] = []
        try:
            async with aiohttp.ClientSession() as http:

                async def pending(name: str) -> dict[str, Any] | None:
                    params = {"status": "pending_approval"}
                    async with http.get(
                        f"{hub.url}/api/v1/actions", params=params, headers=headers
                    ) as resp:
                        items = (await resp.json())["items"]
                    return next((a for a in items if a["target"]["name"] == name), None)

                for i in range(count):
                    name = f"model-api-{i}"
                    started = time.perf_counter()
                    async with http.post(
                        hub.url + HOOK,
                        data=webhook(i),
                        headers={
                            "Authorization": f"Bearer {INTAKE}",
                            "Content-Type": "application/json",
                        },
                    ) as resp:
                        assert resp.status == 200, await resp.text()
                    action = await wait_for(lambda name=name: pending(name))
                    decisions.append(time.perf_counter() - started)
                    approving = time.perf_counter()
                    async with http.post(
                        f"{hub.url}/api/v1/actions/{action['id']}/approve",
                        json={"by": "bench"},
                        headers=headers,
                    ) as resp:
                        assert resp.status == 200, await resp.text()
                    path = f"/apis/apps/v1/namespaces/prod/deployments/{name}"

                    async def patched(path: str = path) -> float | None:
                        found = [r.at for r in kube.calls("PATCH") if r.path == path]
                        return found[0] if found else None

                    to_patch.append(await wait_for(patched) - approving)

                async def all_rolled_out() -> bool | None:
                    async with http.get(
                        f"{hub.url}/api/v1/actions", headers=headers, params={"limit": "500"}
                    ) as resp:
                        items = (await resp.json())["items"]
                    after = {"verifying", "no_effect", "succeeded"}
                    return True if all(a["status"] in after for a in items) else None

                await wait_for(all_rolled_out, timeout=60, interval=0.05)
        finally:
            await stop_hub(hub)
        mutating = len(kube.calls(mutating=True))
        total = len([r for r in kube.requests if "/deployments/" in r.path])
        print(f"remediation bench: {count} actions, SQLite, one at a time")
        print(summary("firing → decided", decisions))
        print(summary("approval → PATCH", to_patch))
        print(
            f"{'calls per action':<22} {mutating / count:.2f} mutating (PATCH),"
            f" {total / count:.2f} in all (reads to check and watch the rollout)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.actions))


if __name__ == "__main__":
    main()
