"""Input the store cannot hold as sent never makes a 5xx, on either store.

A 5xx has Alertmanager retry the same body forever. PostgreSQL cannot store NUL
(``\\u0000``) in text: webhook alerts are stored with U+FFFD instead (the timeline says
so), API input with NUL is refused with a 422 that names the field. Label values longer
than their column are stored cut in the column and whole in the labels.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import ManualClock, api_headers, intake_headers

HOOK = "/api/v1/alerts/alertmanager"
Client = TestClient[Any, Any]
STARTS = "2026-11-24T22:07:31.164262165Z"


def _alert(pod: str, fingerprint: str, **extra: Any) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": "ModelLatencyHigh", "namespace": "prod", "pod": pod},
        "annotations": {"summary": f"p95 latency above 500ms on {pod}"},
        "startsAt": STARTS,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fingerprint,
    }
    return {**alert, **extra}


def _body(*alerts: dict[str, Any], **extra: Any) -> bytes:
    body = {
        "version": "4",
        "receiver": "hub",
        "status": "firing",
        "alerts": list(alerts),
        "groupKey": '{}:{alertname="ModelLatencyHigh"}',
        "groupLabels": {"alertname": "ModelLatencyHigh"},
        "commonLabels": {"alertname": "ModelLatencyHigh", "namespace": "prod"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "truncatedAlerts": 0,
        **extra,
    }
    return json.dumps(body).encode()


async def _incidents(hub: Client) -> dict[str, dict[str, Any]]:
    """Every incident with its timeline, by fingerprint."""
    resp = await hub.get("/api/v1/incidents", headers=api_headers())
    assert resp.status == 200
    found = {}
    for item in (await resp.json())["items"]:
        detail = await hub.get(f"/api/v1/incidents/{item['id']}", headers=api_headers())
        assert detail.status == 200
        found[item["fingerprint"]] = await detail.json()
    return found


def _notes(incident: dict[str, Any]) -> list[list[str]]:
    return [e["detail"]["fields"] for e in incident["timeline"] if e["type"] == "nul_replaced"]


async def test_alerts_with_nul_are_stored_beside_the_others_and_noted(hub: Client) -> None:
    nul_label = _alert("x1\x00", "1e0997e839953eba", annotations={"summary": "slow"})
    nul_elsewhere = _alert(
        "x2",
        "19211482\x00f41127",
        annotations={"summary\x00": "slow", "description": "a\x00b"},
        generatorURL="http://prometheus:9090/graph?g0.expr=\x00",
    )
    clean = _alert("x3", "8f8a00c8eec90504")
    resp = await hub.post(
        HOOK, data=_body(nul_label, nul_elsewhere, clean), headers=intake_headers()
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["opened"] == 3

    found = await _incidents(hub)
    assert set(found) == {"1e0997e839953eba", "19211482\ufffdf41127", "8f8a00c8eec90504"}
    first, second = found["1e0997e839953eba"], found["19211482\ufffdf41127"]
    assert first["labels"]["pod"] == "x1\ufffd"
    assert _notes(first) == [["labels.pod"]]
    assert second["annotations"] == {"summary\ufffd": "slow", "description": "a\ufffdb"}
    assert second["generator_url"] == "http://prometheus:9090/graph?g0.expr=\ufffd"
    assert _notes(second) == [
        ["generatorURL", "fingerprint", "annotations.summary\ufffd", "annotations.description"]
    ]
    assert _notes(found["8f8a00c8eec90504"]) == []


async def test_nul_in_the_notification_fields_is_noted_on_each_incident(hub: Client) -> None:
    body = _body(
        _alert("x1", "1e0997e839953eba"),
        _alert("x2", "1921148211f41127"),
        receiver="h\x00ub",
        groupKey="{}:{alertname=\x00}",
        commonLabels={"team\x00": "ml"},
    )
    resp = await hub.post(HOOK, data=body, headers=intake_headers())
    assert resp.status == 200, await resp.text()
    found = await _incidents(hub)
    assert len(found) == 2
    for incident in found.values():
        assert incident["receiver"] == "h\ufffdub"
        assert incident["group_key"] == "{}:{alertname=\ufffd}"
        assert _notes(incident) == [["receiver", "groupKey", "commonLabels.team\ufffd"]]


async def test_a_repeat_with_nul_is_noted_on_the_open_incident(hub: Client) -> None:
    await hub.post(HOOK, data=_body(_alert("x1", "1e0997e839953eba")), headers=intake_headers())
    repeat = _alert("x1", "1e0997e839953eba", annotations={"summary": "\x00"})
    resp = await hub.post(HOOK, data=_body(repeat), headers=intake_headers())
    assert resp.status == 200, await resp.text()
    (incident,) = (await _incidents(hub)).values()
    assert incident["duplicate_count"] == 1
    assert incident["annotations"] == {"summary": "\ufffd"}
    assert [e["type"] for e in incident["timeline"]] == ["fired", "nul_replaced"]


async def test_label_values_longer_than_their_columns_are_stored(hub: Client) -> None:
    alert = _alert("x1", "1e0997e839953eba")
    alert["labels"] |= {"alertname": "A" * 300, "severity": "s" * 100}
    resp = await hub.post(HOOK, data=_body(alert), headers=intake_headers())
    assert resp.status == 200, await resp.text()
    (incident,) = (await _incidents(hub)).values()
    assert incident["alertname"] == "A" * 255
    assert incident["severity"] == "s" * 64
    assert incident["labels"]["alertname"] == "A" * 300


async def _first_incident(hub: Client) -> int:
    await hub.post(HOOK, data=_body(_alert("x1", "1e0997e839953eba")), headers=intake_headers())
    resp = await hub.get("/api/v1/incidents", headers=api_headers())
    incident_id: int = (await resp.json())["items"][0]["id"]
    return incident_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"by": "ay\x00se"}, "by"),
        ({"by": "ayse", "comment": "on it\x00"}, "comment"),
    ],
    ids=["by", "comment"],
)
async def test_ack_with_nul_is_refused_naming_the_field(
    hub: Client, body: dict[str, str], field: str
) -> None:
    incident_id = await _first_incident(hub)
    resp = await hub.post(f"/api/v1/incidents/{incident_id}/ack", json=body, headers=api_headers())
    assert resp.status == 422, await resp.text()
    assert [d["path"] for d in (await resp.json())["details"]] == [field]
    detail = await hub.get(f"/api/v1/incidents/{incident_id}", headers=api_headers())
    assert (await detail.json())["status"] == "firing"


def _silence(clock: ManualClock, **fields: Any) -> dict[str, Any]:
    ends = (clock() + timedelta(hours=1)).astimezone(UTC)
    body = {
        "matchers": ['alertname="ModelLatencyHigh"'],
        "ends_at": ends.isoformat(),
        "created_by": "ayse",
        "comment": "deploy",
    }
    return {**body, **fields}


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"created_by": "ay\x00se"}, "created_by"),
        ({"comment": "deploy\x00"}, "comment"),
        ({"matchers": ['alertname="Model\x00"']}, "matchers[0]"),
        ({"matchers": ['alert\x00name="Model"']}, "matchers[0]"),
    ],
    ids=["created_by", "comment", "matcher-value", "matcher-name"],
)
async def test_silence_with_nul_is_refused_naming_the_field(
    hub: Client, clock: ManualClock, fields: dict[str, Any], path: str
) -> None:
    resp = await hub.post("/api/v1/silences", json=_silence(clock, **fields), headers=api_headers())
    assert resp.status == 422, await resp.text()
    assert [d["path"] for d in (await resp.json())["details"]] == [path]
    listed = await hub.get("/api/v1/silences", headers=api_headers())
    assert (await listed.json())["items"] == []


@pytest.mark.parametrize("param", ["alertname", "severity"])
async def test_history_query_with_nul_is_refused_naming_the_parameter(
    hub: Client, param: str
) -> None:
    resp = await hub.get("/api/v1/incidents", params={param: "x\x00"}, headers=api_headers())
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"].startswith(f"{param}:")
