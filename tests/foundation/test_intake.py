"""The webhook on both stores: the captured payloads, bad input, authentication, outages."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.schema import incident_events, incidents, outbox
from tests.conftest import api_headers, fixture_bytes, fixture_names, intake_headers

HOOK = "/api/v1/alerts/alertmanager"
Client = TestClient[Any, Any]


async def post(hub: Client, body: bytes, **headers: str) -> Any:
    return await hub.post(HOOK, data=body, headers={**intake_headers(), **headers})


async def all_incidents(hub: Client) -> list[dict[str, Any]]:
    resp = await hub.get("/api/v1/incidents", params={"limit": "500"}, headers=api_headers())
    assert resp.status == 200
    body = await resp.json()
    items: list[dict[str, Any]] = body["items"]
    return items


async def store_counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in (incidents, incident_events, outbox)
        ]
    return counts[0], counts[1], counts[2]


async def test_every_fixture_parses_and_is_accepted(hub: Client) -> None:
    for name in fixture_names():
        resp = await post(hub, fixture_bytes(name))
        assert resp.status == 200, (name, await resp.text())


async def test_nine_payloads_make_five_incidents(hub: Client) -> None:
    for name in fixture_names():
        assert (await post(hub, fixture_bytes(name))).status == 200
    items = await all_incidents(hub)
    assert len(items) == 5
    by_name: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_name.setdefault(item["alertname"], []).append(item)

    latency = by_name["ModelLatencyHigh"]
    assert len(latency) == 3
    assert {i["duplicate_count"] for i in latency} == {2}
    assert {i["status"] for i in latency} == {"firing"}

    (critical,) = by_name["HighErrorRate"]
    assert critical["status"] == "resolved"
    assert critical["resolved_at"] == "2026-11-24T22:07:37.385023Z"
    assert critical["duplicate_count"] == 1
    assert critical["receiver"] == "hub-critical"
    assert critical["generator_url"] == "http://prometheus:9090/graph?g0.expr=rate"

    (drift,) = by_name["DataDrift"]
    assert drift["duplicate_count"] == 2
    assert drift["status"] == "firing"
    assert drift["generator_url"] == ""


async def test_timeline_records_fired_and_resolved(hub: Client) -> None:
    await post(hub, fixture_bytes("01-critical-firing.json"))
    await post(hub, fixture_bytes("07-critical-resolved.json"))
    (item,) = await all_incidents(hub)
    resp = await hub.get(f"/api/v1/incidents/{item['id']}", headers=api_headers())
    detail = await resp.json()
    assert [e["type"] for e in detail["timeline"]] == ["fired", "resolved"]
    assert detail["timeline"][0]["detail"]["fingerprint"] == "940ed3beff12c378"


async def test_replayed_resolve_and_late_firing_copy_do_not_reopen(hub: Client) -> None:
    for name in ("01-critical-firing.json", "07-critical-resolved.json"):
        await post(hub, fixture_bytes(name))
    # The second Alertmanager of an HA pair retries its firing copy after the resolve.
    await post(hub, fixture_bytes("05-critical-repeat.json"))
    await post(hub, fixture_bytes("07-critical-resolved.json"))
    (item,) = await all_incidents(hub)
    assert item["status"] == "resolved"


async def test_later_starts_at_after_resolve_opens_new_episode(hub: Client) -> None:
    await post(hub, fixture_bytes("01-critical-firing.json"))
    await post(hub, fixture_bytes("07-critical-resolved.json"))
    body = json.loads(fixture_bytes("01-critical-firing.json"))
    body["alerts"][0]["startsAt"] = "2026-11-24T22:20:00.5Z"
    await post(hub, json.dumps(body).encode())
    items = await all_incidents(hub)
    assert [i["status"] for i in items] == ["firing", "resolved"]
    assert items[0]["started_at"] == "2026-11-24T22:20:00.500000Z"


async def test_resolve_for_unknown_fingerprint_is_counted_not_stored(
    hub: Client, engine: AsyncEngine
) -> None:
    resp = await post(hub, fixture_bytes("07-critical-resolved.json"))
    assert resp.status == 200
    assert await store_counts(engine) == (0, 0, 0)
    metrics = await (await hub.get("/metrics")).text()
    assert 'alerthub_alert_outcomes_total{outcome="resolve_unknown"} 1.0' in metrics


async def test_missing_fingerprint_uses_stable_label_hash(hub: Client) -> None:
    body = json.loads(fixture_bytes("03-drift-firing.json"))
    del body["alerts"][0]["fingerprint"]
    body["alerts"][0]["labels"] = dict(reversed(list(body["alerts"][0]["labels"].items())))
    await post(hub, json.dumps(body).encode())
    body["alerts"][0]["labels"] = dict(sorted(body["alerts"][0]["labels"].items()))
    await post(hub, json.dumps(body).encode())
    (item,) = await all_incidents(hub)
    assert len(item["fingerprint"]) == 16
    assert item["duplicate_count"] == 1


async def test_flush_row_written_with_the_incident_change(hub: Client, engine: AsyncEngine) -> None:
    await post(hub, fixture_bytes("02-group-truncated-firing.json"))
    await post(hub, fixture_bytes("06-group-truncated-repeat.json"))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    # Every notification is flushed: the pipeline's dedup, not the intake, decides that
    # the repeat tells nobody anything new (and records it as a duplicate).
    assert len(rows) == 2
    first, repeat = rows[0].payload, rows[1].payload
    assert first["receiver"] == "hub"
    assert first["truncated_alerts"] == 2
    assert len(first["opened_ids"]) == 3
    assert repeat["opened_ids"] == []
    assert repeat["incident_ids"] == first["incident_ids"]
    assert rows[0].key.rsplit(":", 1)[0] == rows[1].key.rsplit(":", 1)[0]


BAD_CASES = [
    pytest.param(b"{not json", "application/json", 400, None, id="invalid-json"),
    pytest.param(b"{}", "text/plain", 415, None, id="wrong-content-type"),
    pytest.param(
        json.dumps({"version": "3", "receiver": "x", "status": "firing", "alerts": []}).encode(),
        "application/json",
        422,
        "version",
        id="wrong-version",
    ),
]


@pytest.mark.parametrize(("body", "ctype", "status", "path"), BAD_CASES)
async def test_bad_input_is_refused_and_changes_nothing(
    hub: Client, engine: AsyncEngine, body: bytes, ctype: str, status: int, path: str | None
) -> None:
    resp = await post(hub, body, **{"Content-Type": ctype})
    assert resp.status == status
    error = await resp.json()
    assert error["error"]
    if path:
        assert path in [d["path"] for d in error["details"]]
    assert await store_counts(engine) == (0, 0, 0)


async def test_schema_error_names_each_failing_field(hub: Client, engine: AsyncEngine) -> None:
    body = json.loads(fixture_bytes("02-group-truncated-firing.json"))
    body["alerts"][2]["startsAt"] = "yesterday"
    body["alerts"][0]["status"] = "burning"
    resp = await post(hub, json.dumps(body).encode())
    assert resp.status == 422
    paths = {d["path"] for d in (await resp.json())["details"]}
    assert paths == {"alerts[2].startsAt", "alerts[0].status"}
    assert await store_counts(engine) == (0, 0, 0)


async def test_body_over_limit_is_413(hub: Client, engine: AsyncEngine) -> None:
    big = b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    resp = await hub.post(HOOK, data=io.BytesIO(big), headers=intake_headers())
    assert resp.status == 413
    assert "max_body_bytes" in (await resp.json())["error"]
    assert await store_counts(engine) == (0, 0, 0)


async def test_chunked_body_over_limit_is_413(hub: Client, engine: AsyncEngine) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    resp = await hub.post(HOOK, data=chunks(), headers=intake_headers())
    assert resp.status == 413
    assert await store_counts(engine) == (0, 0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
        pytest.param({"Authorization": "Basic dGVzdA=="}, id="wrong-scheme"),
    ],
)
async def test_intake_requires_the_token(
    hub: Client, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    resp = await hub.post(
        HOOK,
        data=fixture_bytes("01-critical-firing.json"),
        headers={"Content-Type": "application/json", **headers},
    )
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert await store_counts(engine) == (0, 0, 0)


async def test_api_requires_its_own_token(hub: Client) -> None:
    resp = await hub.get("/api/v1/incidents", headers=intake_headers())
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers


async def test_metrics_count_requests_alerts_and_incidents(hub: Client) -> None:
    for name in fixture_names():
        await post(hub, fixture_bytes(name))
    await post(hub, b"{", **{"Content-Type": "application/json"})
    text = await (await hub.get("/metrics")).text()
    assert 'alerthub_webhook_requests_total{code="200"} 9.0' in text
    assert 'alerthub_webhook_requests_total{code="400"} 1.0' in text
    assert 'alerthub_alerts_received_total{status="resolved"} 1.0' in text
    assert "alerthub_incidents_opened_total 5.0" in text
    assert "alerthub_incidents_resolved_total 1.0" in text
    assert 'alerthub_open_incidents{status="firing"} 4.0' in text
    assert "alerthub_http_request_duration_seconds_bucket" in text
