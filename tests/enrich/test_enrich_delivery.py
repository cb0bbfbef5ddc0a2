"""Enrichment inside delivery: runbook link and Loki excerpt in the sent messages, on time.

A hub in process (aiohttp test server, each store) routes to a fake Telegram and a real SMTP
server, with ``loki:`` pointing at the fake Loki and ``runbooks_dir`` at the repo's runbooks.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from hub.api.keys import RUNBOOKS
from hub.app import create_app
from hub.reload import reload_runbooks
from tests.conftest import api_headers, fixture_bytes, intake_headers, make_config
from tests.fakes.loki_api import FakeLoki
from tests.fakes.telegram_api import FakeTelegram
from tests.support.smtp import RecordingHandler, html_part, run_smtp
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
EXTERNAL_URL = "http://hub.test"
RUNBOOK_LINK = f"{EXTERNAL_URL}/runbooks/HighErrorRate"
# startsAt of 01-critical-firing.json; the excerpt's window is built around it.
STARTS_AT = datetime(2026, 11, 24, 22, 7, 31, tzinfo=UTC)
NS = 1_000_000_000
LINES = [
    "ERROR inference failed: CUDA out of memory",
    "ERROR upstream feature-store returned 503",
    "WARN <script>alert(1)</script> & friends",
]
Client = TestClient[Any, Any]


@dataclass
class EnrichRig:
    hub: Client
    tg: FakeTelegram
    smtp: RecordingHandler
    loki: FakeLoki

    async def post(self, name: str = "01-critical-firing.json") -> None:
        resp = await self.hub.post(
            "/api/v1/alerts/alertmanager", data=fixture_bytes(name), headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()

    async def first_telegram_text(self, timeout: float = 5) -> str:
        calls = await eventually(lambda: self.tg.calls_to("sendMessage"), timeout)
        return str(calls[0].params["text"])

    async def timeline(self, alertname: str) -> list[dict[str, Any]]:
        resp = await self.hub.get(
            "/api/v1/incidents", params={"alertname": alertname}, headers=api_headers()
        )
        (item,) = (await resp.json())["items"]
        detail = await self.hub.get(f"/api/v1/incidents/{item['id']}", headers=api_headers())
        timeline: list[dict[str, Any]] = (await detail.json())["timeline"]
        return timeline


def hub_config(
    db_url: str, tg: FakeTelegram, smtp_port: int, loki: FakeLoki, runbooks_dir: Path
) -> Any:
    return make_config(
        db_url,
        external_url=EXTERNAL_URL,
        route={"receiver": "oncall"},
        receivers=[
            {
                "name": "oncall",
                "telegram_configs": [
                    {"bot_token": tg.token, "chat_id": -1001, "api_url": tg.base_url}
                ],
                "email_configs": [
                    {
                        "to": "oncall@example.org",
                        "from": "hub@example.org",
                        "smarthost": f"127.0.0.1:{smtp_port}",
                        "require_tls": False,
                    }
                ],
            }
        ],
        delivery={"poll_interval": "50ms", "send_timeout": "3s"},
        loki={"url": loki.url, "tenant": "ml", "timeout": "300ms", "max_lines": 5},
        runbooks_dir=str(runbooks_dir),
    )


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingHandler, Controller]]:
    handler = RecordingHandler()
    for controller in run_smtp(handler):
        yield handler, controller


@pytest.fixture
def make_rig(db_url: str, smtp: tuple[RecordingHandler, Controller]) -> Callable[..., Any]:
    handler, controller = smtp

    @asynccontextmanager
    async def factory(runbooks_dir: Path = REPO / "runbooks") -> AsyncIterator[EnrichRig]:
        async with FakeLoki(tenant="ml") as loki, FakeTelegram() as tg:
            base = int(STARTS_AT.timestamp()) * NS
            loki.add_lines(
                {"namespace": "prod", "app": "model-api"},
                [(base - (len(LINES) - i) * 10 * NS, line) for i, line in enumerate(LINES)],
            )
            app = create_app(hub_config(db_url, tg, controller.port, loki, runbooks_dir))
            async with TestClient(TestServer(app)) as client:
                yield EnrichRig(client, tg, handler, loki)

    return factory


async def test_messages_carry_runbook_link_and_escaped_log_excerpt(
    make_rig: Callable[..., Any],
) -> None:
    async with make_rig() as rig:
        await rig.post()
        text = await rig.first_telegram_text()
        mail = html_part((await eventually(lambda: rig.smtp.messages, 5))[0])

    assert f'<a href="{RUNBOOK_LINK}">Runbook: HighErrorRate</a>' in text
    excerpt = text.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert excerpt.splitlines() == [  # oldest first, each with its time
        "22:07:01 ERROR inference failed: CUDA out of memory",
        "22:07:11 ERROR upstream feature-store returned 503",
        "22:07:21 WARN &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends",
    ]
    assert "<script>" not in text
    assert "Loki · last 5 min · 3 of 3 matching lines" in text

    assert f'href="{RUNBOOK_LINK}"' in mail
    assert "ERROR upstream feature-store returned 503" in mail.split("<pre", 1)[1]
    assert "WARN &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in mail
    assert "<script>" not in mail

    (query,) = rig.loki.queries
    assert query.headers["X-Scope-OrgID"] == "ml"
    assert query.params["query"].startswith('{namespace="prod", app="model-api"}')
    assert query.params["direction"] == "backward"


async def test_slow_loki_does_not_delay_the_message(make_rig: Callable[..., Any]) -> None:
    async with make_rig() as rig:
        rig.loki.delay = 60  # Loki does not answer while the test runs
        await rig.post()
        text = await rig.first_telegram_text()
        assert rig.loki.queries, "the hub asked Loki"
        assert rig.loki.answered == 0, "the message went out before Loki answered"
        mail = html_part((await eventually(lambda: rig.smtp.messages, 5))[0])
        # The send is recorded (with why the logs were missing) once the channels answered.
        timeline = await eventually(
            lambda: rig.timeline("HighErrorRate"),
            check=lambda events: {"enrichment_failed", "notified"} <= {e["type"] for e in events},
            what="the send and the enrichment failure recorded",
        )

    assert "Logs unavailable (timeout after 0.3 s)" in text
    assert "<pre>" not in text
    assert f'<a href="{RUNBOOK_LINK}">' in text
    assert "Logs unavailable (timeout after 0.3 s)" in mail
    failed = [e for e in timeline if e["type"] == "enrichment_failed"]
    assert failed, [e["type"] for e in timeline]
    assert failed[0]["detail"]["reason"] == "timeout after 0.3 s"
    assert any(e["type"] == "notified" for e in timeline)


async def test_reloaded_runbooks_reach_pages_and_messages(
    make_rig: Callable[..., Any], tmp_path: Path
) -> None:
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    source = (REPO / "runbooks" / "HighErrorRate.md").read_text(encoding="utf-8")
    async with make_rig(runbooks) as rig:
        assert (await rig.hub.get("/runbooks/HighErrorRate")).status == 404
        (runbooks / "HighErrorRate.md").write_text(source, encoding="utf-8")
        await reload_runbooks(rig.hub.app[RUNBOOKS])
        assert (await rig.hub.get("/runbooks/HighErrorRate")).status == 200

        (runbooks / "Broken.md").write_text("---\nalert: Broken\n---\n", encoding="utf-8")
        shutil.copy(runbooks / "HighErrorRate.md", runbooks / "Copy.md")
        index = await rig.hub.app[RUNBOOKS].reload()
        assert any("Broken.md: front matter.severity" in e for e in index.errors), index.errors
        assert set(rig.hub.app[RUNBOOKS].current.runbooks) == {"HighErrorRate"}

        await rig.post()
        text = await rig.first_telegram_text()
    assert f'<a href="{RUNBOOK_LINK}">Runbook: HighErrorRate</a>' in text
