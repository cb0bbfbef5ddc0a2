"""Against a real Alertmanager: the hub's silence is mirrored, quiets the source, and expires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from tests.conftest import api_headers, make_config
from tests.support.alertmanager import (
    RecordedRequest,
    RunningAlertmanager,
    WebhookRecorder,
    postable_alert,
    run_alertmanager,
    run_webhook_recorder,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]
GROUP_INTERVAL_S = 1.0


def mentions(alertname: str) -> Any:
    def check(recorded: RecordedRequest) -> bool:
        alerts = recorded.payload.get("alerts", [])
        return any(a["labels"].get("alertname") == alertname for a in alerts)

    return check


async def am_silence(am: RunningAlertmanager, silence_id: str) -> dict[str, Any]:
    (found,) = [s for s in await am.api_v2.silences() if s["id"] == silence_id]
    return found


async def eventually_state(am: RunningAlertmanager, silence_id: str, state: str) -> None:
    await eventually(
        lambda: am_silence(am, silence_id),
        what=f"silence {silence_id} {state}",
        check=lambda silence: silence["status"]["state"] == state,
    )


async def grouped(am: RunningAlertmanager, alertname: str) -> bool:
    """Whether Alertmanager's dispatcher holds the alert in an aggregation group."""
    groups = await am.api_v2.alert_groups()
    return any(a["labels"]["alertname"] == alertname for g in groups for a in g["alerts"])


@pytest.fixture
async def rig(
    tmp_path: Path, db_url: str
) -> AsyncIterator[tuple[Client, RunningAlertmanager, WebhookRecorder]]:
    async with (
        run_webhook_recorder() as recorder,
        run_alertmanager(
            tmp_path,
            webhook_url=recorder.url,
            bearer_token="am-to-recorder",
            group_by=("namespace",),
            group_wait="0s",
            group_interval=f"{GROUP_INTERVAL_S:g}s",
            repeat_interval="1h",
        ) as am,
    ):
        config = make_config(db_url, alertmanager={"url": am.url, "timeout": "5s"})
        async with TestClient(TestServer(create_app(config))) as hub:
            yield hub, am, recorder


async def test_hub_silence_quiets_alertmanager_until_deleted(
    rig: tuple[Client, RunningAlertmanager, WebhookRecorder],
) -> None:
    hub, am, recorder = rig
    now = datetime.now(UTC)
    resp = await hub.post(
        "/api/v1/silences",
        json={
            "matchers": ['alertname="E2ESilenced"', 'namespace=~"prod|staging"'],
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "created_by": "ayse",
            "comment": "known issue",
        },
        headers=api_headers(),
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["warnings"] == []
    am_id = created["alertmanager_id"]
    assert am_id

    mirrored = await am_silence(am, am_id)
    assert mirrored["status"]["state"] == "active"
    assert mirrored["createdBy"] == "ayse"
    assert mirrored["comment"] == "known issue"
    assert sorted(mirrored["matchers"], key=lambda m: m["name"]) == [
        {"name": "alertname", "value": "E2ESilenced", "isRegex": False, "isEqual": True},
        {"name": "namespace", "value": "prod|staging", "isRegex": True, "isEqual": True},
    ]
    fetched = await (
        await hub.get(f"/api/v1/silences/{created['id']}", headers=api_headers())
    ).json()
    assert fetched["alertmanager_id"] == am_id

    # Both alerts share one group; once the silenced one is in it, the group's flush
    # that carries the loud one has passed the silenced one through the mute stage.
    silenced = postable_alert({"alertname": "E2ESilenced", "namespace": "prod"}, starts_at=now)
    await am.api_v2.push_alerts([silenced])
    await eventually(lambda: grouped(am, "E2ESilenced"), what="E2ESilenced grouped")
    await am.api_v2.push_alerts(
        [postable_alert({"alertname": "E2ELoud", "namespace": "prod"}, starts_at=now)]
    )
    loud = await recorder.wait_for(mentions("E2ELoud"), timeout=10)
    assert [a["labels"]["alertname"] for a in loud.payload["alerts"]] == ["E2ELoud"]
    assert not [r for r in recorder.requests if mentions("E2ESilenced")(r)]
    (held,) = [a for a in await am.api_v2.alerts() if a["labels"]["alertname"] == "E2ESilenced"]
    assert held["status"]["state"] == "suppressed"
    assert held["status"]["silencedBy"] == [am_id]

    resp = await hub.delete(f"/api/v1/silences/{created['id']}", headers=api_headers())
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["warnings"] == []
    await eventually_state(am, am_id, "expired")
    # With the source's silence gone, Alertmanager sends the alert it held back.
    await recorder.wait_for(mentions("E2ESilenced"), timeout=10)
