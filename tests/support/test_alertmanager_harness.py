"""The Alertmanager harness drives a real Alertmanager 0.25 end to end (no skips)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .alertmanager import (
    AMTOOL_BIN,
    AlertmanagerConfig,
    RecordedRequest,
    postable_alert,
    run_alertmanager,
    run_alertmanager_cluster,
    run_webhook_recorder,
    write_config,
)

pytestmark = pytest.mark.e2e

TOKEN = "s3cr3t-token"
LABELS = {"alertname": "HighErrorRate", "namespace": "prod", "severity": "critical"}


def _is_resolved(recorded: RecordedRequest) -> bool:
    return recorded.payload["status"] == "resolved"


async def test_alert_fires_then_resolves_with_bearer_token(tmp_path: Path) -> None:
    async with (
        run_webhook_recorder("/hook") as receiver,
        run_alertmanager(tmp_path, webhook_url=receiver.url, bearer_token=TOKEN) as am,
    ):
        started = datetime.now(UTC) - timedelta(minutes=1)
        alert_in = postable_alert(
            LABELS,
            annotations={"summary": "5xx error rate above 5%"},
            starts_at=started,
            generator_url="http://prometheus:9090/graph?g0.expr=rate",
        )
        await am.api_v2.push_alerts([alert_in])
        firing = await receiver.wait_for(lambda r: r.payload["status"] == "firing")
        assert firing.headers["Authorization"] == f"Bearer {TOKEN}"
        assert firing.payload["version"] == "4"
        assert firing.payload["receiver"] == "hub"
        [alert] = firing.payload["alerts"]
        assert alert["labels"] == LABELS
        assert alert["endsAt"] == "0001-01-01T00:00:00Z"
        assert len(alert["fingerprint"]) == 16
        assert [a["labels"] for a in await am.api_v2.alerts()] == [LABELS]

        ended = datetime.now(UTC) - timedelta(seconds=1)
        await am.api_v2.push_alerts([postable_alert(LABELS, starts_at=started, ends_at=ended)])
        resolved = await receiver.wait_for(_is_resolved)
        assert resolved.headers["Authorization"] == f"Bearer {TOKEN}"
        assert resolved.payload["alerts"][0]["status"] == "resolved"
        assert resolved.payload["alerts"][0]["fingerprint"] == alert["fingerprint"]


async def test_amtool_talks_to_the_running_alertmanager(tmp_path: Path) -> None:
    async with (
        run_webhook_recorder() as receiver,
        run_alertmanager(tmp_path, webhook_url=receiver.url, bearer_token=TOKEN) as am,
    ):
        await am.amtool("alert", "add", "alertname=DataDrift", "namespace=staging")
        recorded = await receiver.wait_for(lambda r: r.payload["status"] == "firing")
        assert recorded.payload["commonLabels"]["alertname"] == "DataDrift"
        await am.amtool(
            "silence", "add", "alertname=DataDrift", "--comment=test", "--author=harness"
        )
        [silence] = await am.api_v2.silences()
        assert silence["createdBy"] == "harness"
        assert "DataDrift" in await am.amtool("alert", "query", "--silenced")


async def test_generated_config_passes_amtool_check_config(tmp_path: Path) -> None:
    config = AlertmanagerConfig(
        webhook_url="http://127.0.0.1:1/hook",
        bearer_token=TOKEN,
        receivers=("hub", "hub-critical"),
        route={"routes": [{"matchers": ['severity="critical"'], "receiver": "hub-critical"}]},
        max_alerts=3,
    )
    config_path = write_config(tmp_path, config)
    proc = await asyncio.create_subprocess_exec(
        str(AMTOOL_BIN),
        "check-config",
        str(config_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


async def test_cluster_members_see_each_other(tmp_path: Path) -> None:
    async with (
        run_webhook_recorder() as receiver,
        run_alertmanager_cluster(
            tmp_path, 2, webhook_url=receiver.url, bearer_token=TOKEN
        ) as members,
    ):
        assert len(members) == 2
        for member in members:
            cluster = (await member.api_v2.status())["cluster"]
            assert cluster["status"] == "ready"
            assert len(cluster["peers"]) == 2
        addresses = {m.cluster_address for m in members}
        seen = {p["address"] for p in (await members[0].api_v2.status())["cluster"]["peers"]}
        assert seen == addresses
