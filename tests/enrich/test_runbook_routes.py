"""The runbook pages over real HTTP (aiohttp test client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.enrich.runbook_routes import add_runbook_routes
from hub.enrich.runbooks import RunbookIndex

REPO = Path(__file__).resolve().parents[2]
INDEX_KEY = web.AppKey("runbooks", RunbookIndex)


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app[INDEX_KEY] = RunbookIndex.load(REPO / "runbooks")
    add_runbook_routes(app, INDEX_KEY)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_list_html(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/runbooks/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    text = await resp.text()
    assert '<a href="HighErrorRate">HighErrorRate</a>' in text


async def test_list_json(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/runbooks/", headers={"Accept": "application/json"})
    assert resp.status == 200
    body = await resp.json()
    names = [r["name"] for r in body["runbooks"]]
    assert names == sorted(names)
    assert "PodCrashLooping" in names
    first = body["runbooks"][0]
    assert first["url"] == f"/runbooks/{first['name']}"
    assert first["severity"] in {"critical", "warning"}


async def test_show_html_and_markdown(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/runbooks/HighErrorRate")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert "<h1>HighErrorRate</h1>" in await resp.text()
    resp = await client.get("/runbooks/HighErrorRate?format=md")
    assert resp.status == 200
    assert resp.content_type == "text/markdown"
    assert (await resp.text()).startswith("---\nalert: HighErrorRate\n")


async def test_unknown_runbook_and_format(
    client: TestClient[web.Request, web.Application],
) -> None:
    resp = await client.get("/runbooks/NoSuchAlert")
    assert resp.status == 404
    assert "NoSuchAlert" in await resp.text()
    resp = await client.get("/runbooks/HighErrorRate?format=pdf")
    assert resp.status == 400


async def test_bare_path_redirects(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/runbooks", allow_redirects=False)
    assert resp.status == 308
    assert resp.headers["Location"] == "/runbooks/"
