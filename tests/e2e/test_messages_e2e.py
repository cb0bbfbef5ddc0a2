"""What a responder reads, end to end: real Alertmanager → ``alerthub serve`` → three channels.

Fire two alerts of one group, acknowledge through the API, resolve one, then the other: every
edit of the firing or acked message keeps the runbook, dashboard, Explore and incident links,
and the resolved edit states the problem in the past with who acked and when.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.e2e import FAST_DELIVERY, HOOK, SECRET_ENV, Channels, oncall_receiver, running_channels
from tests.fakes.loki_api import FakeLoki
from tests.support.alertmanager import RunningAlertmanager, postable_alert, run_alertmanager
from tests.support.hub_process import HubProcess, running_hub, write_hub_config
from tests.support.smtp import html_part
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
EXTERNAL_URL = "http://hub.test"
GRAFANA = "https://grafana.example.org"
COMMON = {
    "alertname": "HighErrorRate",
    "namespace": "prod",
    "service": "model-api",
    "severity": "critical",
}
ANNOTATIONS = {"summary": "5xx share 7.3 % (threshold 5 %)"}
PODS = ("model-api-x1", "model-api-x2")
RUNBOOK = f"{EXTERNAL_URL}/runbooks/HighErrorRate"
DASHBOARD = "https://grafana.example.com/d/model-service/model-service-overview"
NS = 1_000_000_000


@dataclass
class Rig:
    ch: Channels
    hub: HubProcess
    am: RunningAlertmanager
    starts: datetime
    loki: FakeLoki

    async def push(self, *pods: str, resolved: bool = False) -> None:
        ended = datetime.now(UTC) - timedelta(seconds=1) if resolved else None
        alerts = [
            postable_alert(
                {**COMMON, "pod": pod},
                annotations=ANNOTATIONS,
                starts_at=self.starts,
                ends_at=ended,
            )
            for pod in pods
        ]
        await self.am.api_v2.push_alerts(alerts)

    async def ack(self, by: str) -> None:
        """Acknowledge every incident of the group (the API acknowledges one at a time)."""
        items = await self.hub.incidents(API_TOKEN, alertname="HighErrorRate")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for item in items:
                async with session.post(
                    f"{self.hub.url}/api/v1/incidents/{item['id']}/ack",
                    json={"by": by},
                    headers={"Authorization": f"Bearer {API_TOKEN}"},
                ) as resp:
                    assert resp.status == 200, await resp.text()

    async def telegram_edit(self, count: int) -> str:
        edits = await eventually(
            lambda: self.ch.tg.calls_to("editMessageText"),
            10,
            f"telegram edit {count}",
            check=lambda found: len(found) >= count,
        )
        text: str = edits[count - 1].params["text"]
        return text

    async def slack_update(self, count: int) -> list[dict[str, Any]]:
        updates = await eventually(
            lambda: self.ch.slack.calls_to("chat.update"),
            10,
            f"slack update {count}",
            check=lambda found: len(found) >= count,
        )
        blocks: list[dict[str, Any]] = updates[count - 1].params["blocks"]
        return blocks

    async def email(self, count: int) -> Any:
        mails = await eventually(
            lambda: self.ch.smtp.messages,
            10,
            f"email {count}",
            check=lambda found: len(found) >= count,
        )
        return mails[count - 1]


@pytest.fixture
async def rig(tmp_path: Path, db_url: str) -> AsyncIterator[Rig]:
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    async with running_channels() as ch, FakeLoki() as loki:
        base = int(starts.timestamp()) * NS
        loki.add_lines(
            {"namespace": "prod", "app": "model-api"},
            [
                (base - 20 * NS, "ERROR inference failed: CUDA out of memory"),
                (base - 10 * NS, "WARN  queue depth 412 > 256"),
            ],
        )
        config = write_hub_config(
            tmp_path / "hub.yaml",
            {
                "external_url": EXTERNAL_URL,
                "database": {"url": db_url},
                "intake": {"token": INTAKE_TOKEN},
                "api": {"token": API_TOKEN},
                "route": {"receiver": "oncall"},
                "receivers": [oncall_receiver(ch)],
                "delivery": FAST_DELIVERY,
                "loki": {"url": loki.url},
                "grafana": {"url": GRAFANA},
                "runbooks_dir": str(REPO / "runbooks"),
            },
        )
        async with (
            running_hub(config, tmp_path / "hub.log", env=SECRET_ENV) as hub,
            run_alertmanager(tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN) as am,
        ):
            yield Rig(ch, hub, am, starts, loki)


def _telegram_links_kept(text: str) -> None:
    assert f'<a href="{RUNBOOK}">Runbook: HighErrorRate</a>' in text
    assert f'<a href="{DASHBOARD}">Model service overview</a>' in text
    assert f'<a href="{GRAFANA}/explore?' in text
    assert re.search(rf'<a href="{EXTERNAL_URL}/incidents/\d+">#\d+</a>$', text), text


def _slack_links_kept(blocks: list[dict[str, Any]]) -> None:
    (context,) = [b for b in blocks if b["type"] == "context"]
    links = context["elements"][0]["text"]
    assert f"<{RUNBOOK}|Runbook: HighErrorRate>" in links
    assert f"<{DASHBOARD}|Model service overview>" in links
    assert f"<{GRAFANA}/explore?" in links
    assert re.search(rf"<{EXTERNAL_URL}/incidents/\d+\|#\d+>$", links), links


async def test_edits_keep_links_and_the_resolved_edit_tells_the_past(rig: Rig) -> None:
    ch = rig.ch
    await rig.push(*PODS)
    first = (await eventually(lambda: ch.tg.calls_to("sendMessage"), 10, "the message"))[0]
    lines = first.params["text"].splitlines()
    assert lines[:3] == [
        "<b>🔴 FIRING · critical · HighErrorRate</b>",
        "prod / model-api — 5xx share 7.3 % (threshold 5 %)",
        f"since {rig.starts:%H:%M} UTC ({lines[2].split('(')[1].split(')')[0]}) · 2 alerts"
        " in this group",
    ]
    start = rig.starts - timedelta(seconds=20)
    assert (
        f"<pre>{start:%H:%M:%S} ERROR inference failed: CUDA out of memory\n"
        f"{start + timedelta(seconds=10):%H:%M:%S} WARN  queue depth 412 &gt; 256</pre>"
    ) in first.params["text"]
    _telegram_links_kept(first.params["text"])
    assert (await rig.email(1))[
        "Subject"
    ] == "🔴 [FIRING:2] HighErrorRate prod/model-api (critical)"

    await rig.ack("ayse")
    acked = await rig.telegram_edit(1)
    assert re.match(r"<b>🟠 ACKED by ayse at \d\d:\d\d · critical · HighErrorRate</b>\n", acked)
    _telegram_links_kept(acked)
    blocks = await rig.slack_update(1)
    assert blocks[0]["text"]["text"].startswith("🟠 ACKED by ayse at ")
    _slack_links_kept(blocks)
    ack_mail = await rig.email(2)
    assert ack_mail["Subject"] == "Re: [ACKED by ayse] HighErrorRate prod/model-api"
    assert f'<a href="{RUNBOOK}">Runbook: HighErrorRate</a>' in html_part(ack_mail)

    await rig.push(PODS[0], resolved=True)
    partial = await rig.telegram_edit(2)
    assert partial.startswith("<b>🟠 ACKED by ayse at "), "a partial resolve keeps the ack"
    assert "• model-api-x1 — 5xx share 7.3 % (threshold 5 %) (resolved)" in partial
    _telegram_links_kept(partial)
    _slack_links_kept(await rig.slack_update(2))

    await rig.push(PODS[1], resolved=True)
    resolved = (await rig.telegram_edit(3)).splitlines()
    assert re.fullmatch(r"<b>✅ RESOLVED after \d+ s · HighErrorRate</b>", resolved[0]), resolved
    assert resolved[1] == "prod / model-api — was: 5xx share 7.3 % (threshold 5 %)"
    assert re.fullmatch(r"acked by ayse at \d\d:\d\d", resolved[2]), resolved
    slack_resolved = await rig.slack_update(3)
    assert re.fullmatch(
        r"✅ RESOLVED after \d+ s · HighErrorRate", slack_resolved[0]["text"]["text"]
    )
    resolved_mail = await rig.email(4)
    assert resolved_mail["Subject"] == "Re: [RESOLVED] HighErrorRate prod/model-api"
    assert "was: 5xx share 7.3 % (threshold 5 %)" in html_part(resolved_mail)
    assert ch.counts() == {"telegram": 1, "slack": 1, "email": 1}
    # Loki was asked for the first message (cached for the other channels); edits keep
    # the Explore link without asking again.
    assert len(rig.loki.queries) == 1
