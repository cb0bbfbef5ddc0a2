"""The incident page and the post-mortem carry the message's context: runbook, Loki excerpt
(escaped), and the Loki enrichment latency is measured."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.app import create_app
from tests.conftest import ManualClock, api_headers, make_config
from tests.fakes.loki_api import FakeLoki
from tests.history import NOW, Seed, seed
from tests.web.test_pages import sign_in

REPO = Path(__file__).resolve().parents[2]
NS = 1_000_000_000
STARTED = NOW - timedelta(minutes=20)
LINES = ["ERROR inference failed: CUDA out of memory", "WARN <script>alert(1)</script> & co"]


async def test_page_and_postmortem_show_runbook_and_escaped_logs(
    db_url: str, engine: AsyncEngine, clock: ManualClock
) -> None:
    labels = {"namespace": "prod", "service": "model-api"}
    (iid,) = await seed(
        engine, [Seed("HighErrorRate", STARTED, labels=labels, severity="critical")]
    )
    async with FakeLoki() as loki:
        base = int(STARTED.timestamp()) * NS
        loki.add_lines(
            {"namespace": "prod", "app": "model-api"},
            [(base - (len(LINES) - i) * 10 * NS, line) for i, line in enumerate(LINES)],
        )
        config = make_config(
            db_url, loki={"url": loki.url, "timeout": "2s"}, runbooks_dir=str(REPO / "runbooks")
        )
        async with TestClient(TestServer(create_app(config, clock=clock))) as hub:
            await sign_in(hub)
            page = await (await hub.get(f"/incidents/{iid}")).text()
            draft = await (await hub.get(f"/incidents/{iid}/postmortem")).text()
            markdown = await (
                await hub.get(f"/api/v1/incidents/{iid}/postmortem", headers=api_headers())
            ).text()
            metrics = await (await hub.get("/metrics")).text()
    assert 'href="http://hub.test/runbooks/HighErrorRate">Runbook: HighErrorRate</a>' in page
    excerpt = page.split('<pre class="logs">', 1)[1].split("</pre>", 1)[0]
    first, second = (f"{STARTED - k * timedelta(seconds=10):%H:%M:%S}" for k in (2, 1))
    assert excerpt.splitlines() == [
        f"{first} ERROR inference failed: CUDA out of memory",
        f"{second} WARN &lt;script&gt;alert(1)&lt;/script&gt; &amp; co",
    ]
    assert f"```text\n{first} ERROR inference failed: CUDA out of memory\n" in markdown
    assert "- Runbook: [HighErrorRate](http://hub.test/runbooks/HighErrorRate)" in markdown
    assert "&lt;script&gt;" in draft
    assert "<script>" not in draft
    assert 'alerthub_loki_enrichment_duration_seconds_count{outcome="ok"} 3.0' in metrics
    assert len(loki.queries) == 1  # the page and both drafts share one cached Loki answer
