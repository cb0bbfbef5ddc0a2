"""End to end: real Alertmanager → ``alerthub serve`` → policy → approval over the API →
PATCH on the (fake) cluster → rollout → resolve, and a kill -9 between decision and call."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme

from tests.conftest import API_TOKEN, INTAKE_TOKEN, api_headers
from tests.e2e import FAST_DELIVERY, HOOK, SECRET_ENV
from tests.fakes import kube_objects as ko
from tests.fakes.kube_api import FakeKube
from tests.fakes.telegram_api import FakeTelegram
from tests.remediate.rig import policy
from tests.support.alertmanager import RunningAlertmanager, postable_alert, run_alertmanager
from tests.support.hub_process import HubProcess, start_hub_process, stop_hub, write_hub_config
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

LABELS = {
    "alertname": "ModelServiceDown",
    "severity": "critical",
    "namespace": "prod",
    "deployment": "model-api",
}


@dataclass
class Cluster:
    kube: FakeKube
    tg: FakeTelegram
    kubeconfig: Path


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with FakeKube(trustme.CA()) as kube, FakeTelegram() as tg:
        kube.add(ko.deployment("model-api", "prod", replicas=3))
        yield Cluster(kube, tg, kube.write_kubeconfig(tmp_path / "kubeconfig"))


def write_config(tmp_path: Path, db_url: str, c: Cluster, **changes: Any) -> Path:
    return write_hub_config(
        tmp_path / "hub.yaml",
        {
            "external_url": "http://hub.test",
            "database": {"url": db_url},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
            "route": {"receiver": "oncall"},
            "receivers": [
                {
                    "name": "oncall",
                    "telegram_configs": [
                        {"bot_token": "${E2E_TG_TOKEN}", "chat_id": -1001, "api_url": c.tg.base_url}
                    ],
                }
            ],
            "delivery": FAST_DELIVERY,
            "kubernetes": {"kubeconfig": str(c.kubeconfig)},
            "remediation": {"policies": [policy(**changes)]},
        },
    )


class Api:
    """The hub's remediation API, as an operator's script would call it."""

    def __init__(self, hub: HubProcess) -> None:
        self.hub = hub

    async def actions(self) -> list[dict[str, Any]]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s,
            s.get(f"{self.hub.url}/api/v1/actions", headers=api_headers()) as resp,
        ):
            assert resp.status == 200, await resp.text()
            items: list[dict[str, Any]] = (await resp.json())["items"]
            return items

    async def action(self, status: str, timeout: float = 20) -> dict[str, Any]:
        items = await eventually(
            self.actions,
            timeout=timeout,
            what=f"an action {status}",
            check=lambda items: bool(items) and items[0]["status"] == status,
        )
        found: dict[str, Any] = items[0]
        return found

    async def approve(self, action_id: int, by: str) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s,
            s.post(
                f"{self.hub.url}/api/v1/actions/{action_id}/approve",
                json={"by": by},
                headers=api_headers(),
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()
            body: dict[str, Any] = await resp.json()
            return body


async def _fire(am: RunningAlertmanager, *, resolved: bool = False) -> None:
    now = datetime.now(UTC)
    alert = postable_alert(
        LABELS,
        annotations={"summary": "model-api answers nothing"},
        starts_at=now - timedelta(minutes=1),
        ends_at=now - timedelta(seconds=1) if resolved else None,
    )
    await am.api_v2.push_alerts([alert])


@pytest.fixture
def start(tmp_path: Path, db_url: str, cluster: Cluster):  # type: ignore[no-untyped-def]
    async def run(**changes: Any) -> HubProcess:
        config = write_config(tmp_path, db_url, cluster, **changes)
        return await start_hub_process(config, tmp_path / "hub.log", env=SECRET_ENV)

    return run


async def test_approved_restart_clears_the_alert(
    tmp_path: Path, cluster: Cluster, start: Any
) -> None:
    hub: HubProcess = await start()
    api = Api(hub)
    try:
        async with run_alertmanager(
            tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN
        ) as am:
            await _fire(am)
            pending = await api.action("pending_approval")
            assert cluster.kube.calls(mutating=True) == []
            await eventually(
                lambda: [m.text for m in cluster.tg.messages.values()],
                check=lambda texts: any(
                    "Restart model-api: waiting for approval" in t for t in texts
                ),
            )
            approved = await api.approve(pending["id"], "ayse")
            assert approved["status"] == "running"
            await api.action("verifying")
            (patch,) = cluster.kube.calls("PATCH")
            assert patch.content_type == "application/strategic-merge-patch+json"
            await _fire(am, resolved=True)
            done = await api.action("succeeded")
            assert done["approved_by"] == "ayse"
            text = await eventually(
                lambda: cluster.tg.messages[max(cluster.tg.messages)].text,
                what="the resolved message with the action's outcome",
                check=lambda t: "(approved by ayse) — cleared in" in t,
            )
            assert text.startswith("<b>✅ RESOLVED")
            assert len(cluster.kube.calls(mutating=True)) == 1
    finally:
        await stop_hub(hub, signal.SIGKILL)


async def test_stuck_rollout_fails(tmp_path: Path, cluster: Cluster, start: Any) -> None:
    cluster.kube.stuck = True
    hub: HubProcess = await start(mode="auto", rollout_timeout="2s")
    try:
        async with run_alertmanager(
            tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN
        ) as am:
            await _fire(am)
            failed = await Api(hub).action("failed")
            assert failed["reason"] == "rollout_stuck"
            assert len(cluster.kube.calls(mutating=True)) == 1
    finally:
        await stop_hub(hub, signal.SIGKILL)


async def test_no_resolve_is_no_effect(tmp_path: Path, cluster: Cluster, start: Any) -> None:
    hub: HubProcess = await start(mode="auto", verify_window="1s")
    try:
        async with run_alertmanager(
            tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN
        ) as am:
            await _fire(am)
            done = await Api(hub).action("no_effect")
            assert done["reason"] == "still_firing"
    finally:
        await stop_hub(hub, signal.SIGKILL)


async def test_kill_between_decision_and_call_makes_exactly_one_call(
    tmp_path: Path, cluster: Cluster, start: Any
) -> None:
    """The call step reads the Deployment first; the fake holds that read, the hub dies
    there (decided, committed, not yet called), and the restarted hub calls once."""
    cluster.kube.hold_reads = True
    hub: HubProcess = await start(mode="auto")
    try:
        async with run_alertmanager(
            tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN
        ) as am:
            await _fire(am)
            await eventually(lambda: cluster.kube.held, what="the call step under way")
            assert await stop_hub(hub, signal.SIGKILL) == -signal.SIGKILL
            assert cluster.kube.calls(mutating=True) == []
            cluster.kube.release()
            hub = await start(mode="auto")
            # The killed process's lease on the row (2 s) runs out, then the call is made.
            action = await Api(hub).action("verifying", timeout=30)
            assert action["events"][0]["status"] == "running"
            assert len(cluster.kube.calls("PATCH")) == 1
            await Api(hub).action("verifying")
            assert len(cluster.kube.calls(mutating=True)) == 1
    finally:
        await stop_hub(hub, signal.SIGKILL)
