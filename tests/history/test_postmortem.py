"""``GET /api/v1/incidents/{id}/postmortem``: a Markdown draft, escaped, on both stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from markdown_it import MarkdownIt
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.history.postmortem import fenced, md_link, md_text
from tests.conftest import api_headers
from tests.history import NOW, Seed, notified, seed

Client = TestClient[Any, Any]
MIN = timedelta(minutes=1)
START = NOW - timedelta(hours=3)
HOSTILE = "<script>alert(1)</script> | [x](javascript:alert(1)) *bold* `code`"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain words", "plain words"),
        ("a|b", "a\\|b"),
        ("<b>", "\\<b\\>"),
        ("[x](y)", "\\[x\\](y)"),
        ("*_`~", "\\*\\_\\`\\~"),
        ("line\nbreak", "line break"),
        ("&amp;", "\\&amp;"),
        ("# not a heading", "\\# not a heading"),
    ],
    ids=["plain", "pipe", "html", "link", "emphasis", "newline", "entity", "heading"],
)
def test_md_text(value: str, expected: str) -> None:
    assert md_text(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/runbooks/x", "[X](https://h/runbooks/x)"),
        ("http://h/a b(c)", "[X](http://h/a%20b%28c%29)"),
        ("javascript:alert(1)", "X (javascript:alert(1))"),
    ],
    ids=["https", "encoded", "script-scheme-not-linked"],
)
def test_md_link(url: str, expected: str) -> None:
    assert md_link("X", url) == expected


def test_fence_outlasts_backticks_inside() -> None:
    block = fenced(["a ```` b"])
    assert block.startswith("`````text\n")
    assert block.endswith("\n`````")


@pytest.fixture
async def incident(hub: Client, engine: AsyncEngine) -> int:
    (iid,) = await seed(
        engine,
        [
            Seed(
                "HighErrorRate", START, 3 * MIN, 18 * MIN,
                {"namespace": "prod", "service": "model-api", "note": HOSTILE},
                "critical",
                annotations={"summary": "5xx share 7.3 %", "description": HOSTILE},
                events=[
                    ("notified", MIN, notified("telegram[0]", "m1")),
                    ("suppressed", 2 * MIN, {"reason": "duplicate", "receiver": "oncall"}),
                    ("action_completed", 10 * MIN, {"kind": "rollout_restart", "result": "ok"}),
                ],
            )
        ],
    )  # fmt: skip
    return iid


async def test_draft_sections_and_numbers(hub: Client, incident: int) -> None:
    resp = await hub.get(f"/api/v1/incidents/{incident}/postmortem", headers=api_headers())
    assert resp.status == 200
    assert resp.content_type == "text/markdown"
    text = await resp.text()
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Post-mortem: HighErrorRate — prod / model-api (#1)",
        "## Summary", "## Impact", "## Detection", "## Timeline", "## Logs",
        "## Runbook and links", "## Labels", "## Root cause", "## What went well",
        "## What went wrong", "## Action items",
    ]  # fmt: skip
    assert "| Start | 2026-11-24 19:08:00 UTC |" in text
    assert "| End | 2026-11-24 19:26:00 UTC |" in text
    assert "| Duration | 18 min |" in text
    assert "| Services | model-api, prod |" in text
    assert "- First message: 2026-11-24 19:09:00 UTC to telegram\\[0\\], 1 min after" in text
    assert "- Time to acknowledge: 3 min, by ayse at 2026-11-24 19:11:00 UTC" in text
    assert "| 2026-11-24 19:09:00 | notification | Sent to telegram\\[0\\] |" in text
    assert "| 2026-11-24 19:10:00 | suppression | Held back: duplicate | oncall |" in text
    assert "| 2026-11-24 19:11:00 | ack | Acknowledged by ayse |" in text
    assert "| 2026-11-24 19:18:00 | action | Action completed | kind=rollout\\_restart" in text
    assert f"Draft from [incident #{incident}](http://hub.test/incidents/{incident})" in text
    assert text.count("_To be filled in._") == 3


async def test_hostile_values_stay_text(hub: Client, incident: int) -> None:
    resp = await hub.get(f"/api/v1/incidents/{incident}/postmortem", headers=api_headers())
    html = MarkdownIt("commonmark").enable("table").render(await resp.text())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    impact = html.split("<h2>Impact</h2>")[1].split("<h2>")[0]
    assert impact.count("<tr>") == 7  # header + 6 rows: no cell broke out of its table


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/incidents/999/postmortem", api_headers(), 404),
        ("/api/v1/incidents/abc/postmortem", api_headers(), 400),
        ("/api/v1/incidents/1/postmortem", {}, 401),
    ],
    ids=["missing", "not-an-id", "no-token"],
)
async def test_errors(hub: Client, path: str, headers: dict[str, str], status: int) -> None:
    resp = await hub.get(path, headers=headers)
    assert resp.status == status
    assert "error" in await resp.json()
