"""One auth middleware: the matched route's path picks the token; 401 comes before the body."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.api.auth import PUBLIC, AuthRules, TokenOf, api_token, intake_token
from hub.app import AUTH_RULES, INTAKE_PATH
from tests.conftest import api_headers, intake_headers

Client = TestClient[Any, Any]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (INTAKE_PATH, intake_token),
        ("/api/v1/incidents", api_token),
        ("/api/v1/incidents/{id}/ack", api_token),
        ("/api/v1/silences/{id}", api_token),
        ("/api/v1/alerts", api_token),
        ("/healthz", PUBLIC),
        ("/metrics", PUBLIC),
        ("/runbooks", PUBLIC),
        ("/runbooks/{name}", PUBLIC),
        ("/openapi.json", PUBLIC),
        ("/", PUBLIC),
        ("/incidents/{id}/ack", PUBLIC),
        ("/static", PUBLIC),
    ],
    ids=[
        "intake",
        "api-list",
        "api-nested",
        "api-with-id",
        "intake-parent-is-api",
        "healthz",
        "metrics",
        "runbooks-index",
        "runbook-page",
        "openapi",
        "root-page",
        "page-form-session-checked",
        "stylesheet",
    ],
)
def test_the_longest_prefix_picks_the_token(path: str, expected: TokenOf | None) -> None:
    assert AUTH_RULES.token_for(path) is expected


@pytest.mark.parametrize(
    "path",
    ["/api/v1x", "/healthzz", "/other", "/other/page"],
    ids=["segment-prefix", "longer-name", "unlisted", "root-covers-only-itself"],
)
def test_a_path_under_no_rule_is_refused(path: str) -> None:
    with pytest.raises(LookupError, match="no auth rule"):
        AUTH_RULES.token_for(path)


async def _ok(_: web.Request) -> web.Response:
    return web.Response()


def test_an_app_with_an_unguarded_route_is_not_built() -> None:
    app = web.Application()
    app.router.add_get("/-/new", _ok)
    with pytest.raises(LookupError, match="/-/new"):
        AuthRules({"/api/v1": api_token}).check_covered(app.router)


async def test_every_api_route_needs_the_api_token(hub: Client) -> None:
    guarded = [
        (route.method, route.resource.canonical.replace("{id}", "1"))
        for route in hub.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.resource.canonical != INTAKE_PATH
        and route.method != "HEAD"
    ]
    assert len(guarded) >= 8
    for method, path in guarded:
        resp = await hub.request(method, path, headers=intake_headers())
        assert resp.status == 401, (method, path)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await resp.json())["error"] == "invalid bearer token"


async def test_intake_refuses_before_reading_an_oversized_body(hub: Client) -> None:
    big = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    resp = await hub.post(INTAKE_PATH, data=io.BytesIO(big), headers=api_headers())
    assert resp.status == 401  # not 413: the token is checked before the body
    assert (await resp.json())["error"] == "invalid bearer token"
    metrics = await (await hub.get("/metrics")).text()
    assert 'alerthub_webhook_requests_total{code="401"} 1.0' in metrics


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/runbooks/", "/openapi.json"], ids=str)
async def test_public_routes_need_no_token(hub: Client, path: str) -> None:
    resp = await hub.get(path)
    assert resp.status == 200


async def test_unknown_paths_are_404_not_401(hub: Client) -> None:
    resp = await hub.get("/api/v1/nothing-here")
    assert resp.status == 404
