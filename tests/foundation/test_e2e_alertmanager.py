"""End to end with real Alertmanager processes posting to a real ``alerthub serve``."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.support.alertmanager import (
    postable_alert,
    run_alertmanager,
    run_alertmanager_cluster,
)
from tests.support.hub_process import (
    HubProcess,
    running_hub,
    start_hub_process,
    stop_hub,
    write_hub_config,
)
from tests.support.ports import free_port
from tests.support.waiting import eventually

HOOK = "/api/v1/alerts/alertmanager"


def hub_config(tmp_path: Path, db_url: str) -> Path:
    return write_hub_config(
        tmp_path / "hub.yaml",
        {
            "external_url": "http://127.0.0.1",
            "database": {"url": db_url},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
        },
    )


@pytest.fixture
async def hub_proc(tmp_path: Path, db_url: str) -> AsyncIterator[HubProcess]:
    async with running_hub(hub_config(tmp_path, db_url), tmp_path / "hub.log") as hub:
        yield hub


async def test_alertmanager_to_incidents(tmp_path: Path, hub_proc: HubProcess) -> None:
    async with run_alertmanager(
        tmp_path,
        webhook_url=hub_proc.url + HOOK,
        bearer_token=INTAKE_TOKEN,
        group_interval="1s",
        repeat_interval="1s",
    ) as am:
        labels = {"alertname": "E2EHighErrorRate", "namespace": "prod", "severity": "critical"}
        starts = datetime.now(UTC) - timedelta(seconds=5)
        await am.api_v2.push_alerts([postable_alert(labels, starts_at=starts)])
        await am.amtool("alert", "add", "alertname=E2EAmtool", "namespace=dev", "severity=info")

        def by_name(name: str) -> Callable[[list[dict[str, Any]]], bool]:
            return lambda items: any(i["alertname"] == name for i in items)

        await eventually(lambda: hub_proc.incidents(API_TOKEN), 20, check=by_name("E2EAmtool"))
        items = await eventually(
            lambda: hub_proc.incidents(API_TOKEN, alertname="E2EHighErrorRate"),
            20,
            check=lambda items: len(items) == 1 and items[0]["duplicate_count"] >= 1,
        )
        assert items[0]["status"] == "firing"

        await am.api_v2.push_alerts(
            [
                postable_alert(
                    labels, starts_at=starts, ends_at=datetime.now(UTC) - timedelta(seconds=1)
                )
            ]
        )
        items = await eventually(
            lambda: hub_proc.incidents(API_TOKEN, alertname="E2EHighErrorRate"),
            20,
            check=lambda items: bool(items) and items[0]["status"] == "resolved",
        )
        assert len(items) == 1
        assert "error" not in hub_proc.log().lower()


async def test_clustered_alertmanagers_make_one_incident_per_alert(
    tmp_path: Path, hub_proc: HubProcess
) -> None:
    async with run_alertmanager_cluster(
        tmp_path,
        2,
        webhook_url=hub_proc.url + HOOK,
        bearer_token=INTAKE_TOKEN,
        group_interval="1s",
        repeat_interval="1s",
    ) as members:
        starts = datetime.now(UTC) - timedelta(seconds=2)
        alerts = [
            postable_alert({"alertname": f"E2ECluster{i}", "namespace": "prod"}, starts_at=starts)
            for i in range(3)
        ]
        # Prometheus sends every alert to every Alertmanager of the pair.
        await asyncio.gather(*(m.api_v2.push_alerts(alerts) for m in members))
        await eventually(
            lambda: hub_proc.incidents(API_TOKEN),
            20,
            check=lambda items: sum(i["duplicate_count"] for i in items) >= 3,
        )
        items = await hub_proc.incidents(API_TOKEN)
        assert sorted(i["alertname"] for i in items) == [f"E2ECluster{i}" for i in range(3)]
        assert {i["status"] for i in items} == {"firing"}


class AckRecordingProxy:
    """Stands between Alertmanager and the hub, noting which alerts the hub answered 2xx."""

    def __init__(self) -> None:
        self.target = ""
        self.acked: set[str] = set()
        self.failures = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k in ("Authorization", "Content-Type")
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                session.post(self.target + HOOK, data=body, headers=headers) as resp,
            ):
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            self.failures += 1
            return web.Response(status=502)
        if 200 <= status < 300:
            payload = await request.json()
            self.acked.update(a["labels"]["alertname"] for a in payload["alerts"])
        return web.Response(status=status)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, db_url: str) -> None:
    proxy = AckRecordingProxy()
    app = web.Application()
    app.router.add_post(HOOK, proxy.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    proxy_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", proxy_port).start()
    config = hub_config(tmp_path, db_url)
    hub_port = free_port()
    hub = await start_hub_process(config, tmp_path / "hub.log", port=hub_port)
    proxy.target = hub.url
    total = 60
    try:
        async with run_alertmanager(
            tmp_path,
            webhook_url=f"http://127.0.0.1:{proxy_port}{HOOK}",
            bearer_token=INTAKE_TOKEN,
            group_by=("alertname",),
            group_interval="1s",
            repeat_interval="1h",
        ) as am:
            starts = datetime.now(UTC)
            alerts = [
                postable_alert({"alertname": f"Kill{i:03d}", "namespace": "prod"}, starts_at=starts)
                for i in range(total)
            ]
            for chunk in range(0, total, 10):
                await am.api_v2.push_alerts(alerts[chunk : chunk + 10])
                if chunk == 20:
                    await eventually(lambda: _count(proxy), 20, check=lambda n: n >= 5)
                    assert await stop_hub(hub, signal.SIGKILL) == -signal.SIGKILL
                    acked_before_kill = set(proxy.acked)
            hub = await start_hub_process(config, tmp_path / "hub.log", port=hub_port)
            await eventually(lambda: _count(proxy), 40, check=lambda n: n == total)
        stored = {i["alertname"] for i in await hub.incidents(API_TOKEN)}
        assert acked_before_kill, "the hub was killed before it accepted anything"
        assert acked_before_kill <= stored
        assert proxy.acked <= stored
        assert len(stored) == total
    finally:
        await stop_hub(hub, signal.SIGKILL)
        await runner.cleanup()


async def _count(proxy: AckRecordingProxy) -> int:
    return len(proxy.acked)
