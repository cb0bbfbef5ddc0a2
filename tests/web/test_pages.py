"""The pages over HTTP: sign-in, CSRF, escaping, Ack through the store, on both stores."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.api.auth import PUBLIC
from hub.app import AUTH_RULES, create_app
from hub.config.loader import parse_config
from hub.store.schema import incident_events, incidents, outbox
from tests.conftest import API_TOKEN, ManualClock
from tests.history import NOW, Seed, notified, seed

Client = TestClient[Any, Any]
MIN = timedelta(minutes=1)
HOSTILE = '<script>alert("x")</script>'


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def sign_in(
    client: Client, *, token: str = API_TOKEN, name: str = "ayse", next_path: str = "/incidents"
) -> Any:
    page = await client.get("/login", params={"next": next_path})
    assert page.status == 200
    form = {"csrf": csrf_of(await page.text()), "next": next_path, "name": name, "token": token}
    return await client.post("/login", data=form, allow_redirects=False)


@pytest.fixture
async def ids(engine: AsyncEngine) -> list[int]:
    return await seed(
        engine,
        [
            Seed("HighErrorRate", NOW - timedelta(minutes=30), None, None,
                 {"namespace": "prod", "service": "model-api", "pod": HOSTILE}, "critical",
                 annotations={"summary": f"5xx share {HOSTILE}", "runbook_url": "javascript:x()"},
                 events=[("notified", MIN, notified("telegram[0]", "m1"))]),
            Seed("DataDrift", NOW - timedelta(days=2), MIN, 9 * MIN, {"namespace": "staging"}),
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/incidents", "/incidents/1", "/incidents/1/postmortem", "/stats", "/incidents?status=firing"],
    ids=["list", "incident", "postmortem", "stats", "list-filtered"],
)
async def test_nothing_is_served_without_a_session(hub: Client, path: str) -> None:
    resp = await hub.get(path, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login?next=")
    assert (await hub.post("/incidents/1/ack", data={}, allow_redirects=False)).status == 303


async def test_root_leads_to_the_list(hub: Client) -> None:
    resp = await hub.get("/", allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (302, "/incidents")


async def test_sign_in_sets_a_strict_httponly_expiring_cookie(hub: Client) -> None:
    resp = await sign_in(hub, next_path="/incidents/1?note=x")
    assert resp.status == 303
    assert resp.headers["Location"] == "/incidents/1?note=x"
    cookie = next(c for c in resp.headers.getall("Set-Cookie") if c.startswith("alerthub_session="))
    attrs = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "max-age", "path"} <= attrs
    assert "SameSite=Strict" in cookie
    assert "Max-Age=43200" in cookie


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"token": "wrong"}, 401, "That token is not the API token."),
        ({"name": "  "}, 400, "Enter your name"),
        ({"csrf": "forged"}, 403, "The form expired"),
    ],
    ids=["wrong-token", "no-name", "forged-csrf"],
)
async def test_sign_in_refusals(
    hub: Client, form: dict[str, str], status: int, message: str
) -> None:
    page = await hub.get("/login")
    body = {"csrf": csrf_of(await page.text()), "name": "ayse", "token": API_TOKEN, **form}
    resp = await hub.post("/login", data=body, allow_redirects=False)
    assert resp.status == status
    assert message in await resp.text()
    assert (await hub.get("/incidents", allow_redirects=False)).status == 303


async def test_next_to_another_site_lands_on_the_list(hub: Client) -> None:
    resp = await sign_in(hub, next_path="https://evil.example/")
    assert resp.headers["Location"] == "/incidents"


async def test_list_shows_open_and_recent(hub: Client, ids: list[int]) -> None:
    await sign_in(hub)
    resp = await hub.get("/incidents")
    html = await resp.text()
    assert resp.status == 200
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    opened, recent = html.split("<h2>Open now")[1].split("<h2>Resolved · started in the last")
    assert f'href="/incidents/{ids[0]}"' in opened
    assert f'href="/incidents/{ids[1]}"' in recent
    filtered = await (await hub.get("/incidents", params={"severity": "critical"})).text()
    assert "DataDrift" not in filtered
    bad = await hub.get("/incidents", params={"since": "soon"})
    assert bad.status == 400
    assert "since: &#39;soon&#39; is neither" in await bad.text()


async def test_label_values_show_as_text(hub: Client, ids: list[int]) -> None:
    await sign_in(hub)
    for path in ("/incidents", f"/incidents/{ids[0]}", f"/incidents/{ids[0]}/postmortem"):
        html = await (await hub.get(path)).text()
        assert "<script>" not in html, path
        assert "&lt;script&gt;" in html, path
    detail = await (await hub.get(f"/incidents/{ids[0]}")).text()
    assert 'href="javascript:' not in detail
    assert "javascript:x()" in detail  # shown, not linked


async def test_incident_page_shows_what_was_sent_and_the_timeline(
    hub: Client, ids: list[int]
) -> None:
    await sign_in(hub)
    html = await (await hub.get(f"/incidents/{ids[0]}")).text()
    assert "oncall / telegram[0]" in html
    assert "Sent to telegram[0]" in html
    assert 'id="ack"' in html
    assert f'href="/incidents/{ids[0]}/postmortem"' in html
    resolved = await (await hub.get(f"/incidents/{ids[1]}")).text()
    assert 'id="ack"' not in resolved
    assert (await hub.get("/incidents/999")).status == 404


async def test_ack_needs_the_csrf_token_and_goes_through_the_store(
    hub: Client, engine: AsyncEngine, ids: list[int]
) -> None:
    await sign_in(hub, name="Ayşe <b>")
    iid = ids[0]
    refused = await hub.post(f"/incidents/{iid}/ack", data={"csrf": "nope"}, allow_redirects=False)
    assert refused.status == 403
    csrf = csrf_of(await (await hub.get(f"/incidents/{iid}")).text())
    resp = await hub.post(
        f"/incidents/{iid}/ack", data={"csrf": csrf, "comment": "on it"}, allow_redirects=False
    )
    assert (resp.status, resp.headers["Location"]) == (303, f"/incidents/{iid}?note=acknowledged")
    async with engine.connect() as conn:
        row = (await conn.execute(select(incidents).where(incidents.c.id == iid))).one()
        acks = (
            (
                await conn.execute(
                    select(incident_events.c.detail).where(
                        incident_events.c.incident_id == iid,
                        incident_events.c.type == "acknowledged",
                    )
                )
            )
            .scalars()
            .all()
        )
        flushes = (
            (await conn.execute(select(outbox.c.key).where(outbox.c.kind == "flush")))
            .scalars()
            .all()
        )
    assert (row.status, row.acked_by) == ("acknowledged", "Ayşe <b>")
    assert acks == [{"by": "Ayşe <b>", "comment": "on it", "via": iid}]  # acked from this page
    assert any(key.startswith(f"flush:ack:{iid}:") for key in flushes)  # messages get edited
    page = await (await hub.get(f"/incidents/{iid}")).text()
    assert "by Ayşe &lt;b&gt;" in page
    assert 'id="ack"' not in page
    again = await hub.post(f"/incidents/{ids[1]}/ack", data={"csrf": csrf}, allow_redirects=False)
    assert again.status == 409  # resolved: the page says why


async def test_stats_page_draws_charts(hub: Client, ids: list[int]) -> None:
    await sign_in(hub)
    resp = await hub.get("/stats", params={"since": "30d"})
    html = await resp.text()
    assert resp.status == 200
    assert html.count("<svg") == 2  # noisiest alerts + DataDrift's MTTA/MTTR
    assert "<circle" in html
    assert "None acknowledged or resolved yet." in html  # HighErrorRate: still open
    assert (await hub.get("/stats", params={"since": "never"})).status == 400


async def test_sign_out_needs_csrf_and_ends_the_session(hub: Client) -> None:
    await sign_in(hub)
    page = await (await hub.get("/incidents")).text()
    assert (await hub.post("/logout", data={}, allow_redirects=False)).status == 403
    resp = await hub.post("/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert resp.status == 303
    assert (await hub.get("/incidents", allow_redirects=False)).status == 303


async def test_stylesheet_is_served_by_the_hub(hub: Client) -> None:
    resp = await hub.get("/static/alerthub.css")
    assert resp.status == 200
    assert "text/css" in resp.headers["Content-Type"]


async def test_open_api_hub_signs_in_with_a_name_only(db_url: str, clock: ManualClock) -> None:
    raw = {"database": {"url": db_url}, "intake": {"allow_unauthenticated": True},
           "api": {"allow_unauthenticated": True}}  # fmt: skip
    app = create_app(parse_config(yaml.safe_dump(raw), env={}).config, clock=clock)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/login")).text()
        assert 'name="token"' not in page
        resp = await sign_in(client, token="")
        assert resp.status == 303
        assert (await client.get("/incidents", allow_redirects=False)).status == 200


SESSIONLESS = {"/login", "/static", "/"}  # sign-in, the stylesheet, and the redirect to the list


async def test_every_page_route_requires_a_session(hub: Client) -> None:
    """Every route the auth rules leave to the pages (no bearer token) asks for a session."""
    app = hub.app
    assert app is not None
    page_routes = [
        (route.method, resource.canonical)
        for resource in app.router.resources()
        for route in resource
        if AUTH_RULES.token_for(resource.canonical) is PUBLIC
        and route.method in ("GET", "POST")
        and resource.canonical.split("/")[1]
        in {"", "login", "logout", "incidents", "stats", "static"}
        and resource.canonical not in SESSIONLESS
    ]
    assert ("POST", "/incidents/{id}/ack") in page_routes
    for method, path in page_routes:
        resp = await hub.request(method, path.replace("{id}", "1"), allow_redirects=False)
        assert resp.status == 303, (method, path)
        assert resp.headers["Location"].startswith("/login"), (method, path)


async def test_web_ack_refuses_nul_as_the_api_does(
    hub: Client, engine: AsyncEngine, ids: list[int]
) -> None:
    await sign_in(hub)
    iid = ids[0]
    csrf = csrf_of(await (await hub.get(f"/incidents/{iid}")).text())
    resp = await hub.post(
        f"/incidents/{iid}/ack", data={"csrf": csrf, "comment": "on\x00it"}, allow_redirects=False
    )
    assert resp.status == 422
    assert "comment: must not contain NUL" in await resp.text()
    async with engine.connect() as conn:
        status = (
            await conn.execute(select(incidents.c.status).where(incidents.c.id == iid))
        ).scalar_one()
    assert status == "firing"


async def test_sign_in_refuses_a_name_with_nul(hub: Client) -> None:
    resp = await sign_in(hub, name="ay\x00se")
    assert resp.status == 422
    assert "name: must not contain NUL" in await resp.text()
    follow = await hub.get("/incidents", allow_redirects=False)
    assert follow.status == 303  # no session was started
