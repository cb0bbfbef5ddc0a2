"""``GET /openapi.json``: valid OpenAPI 3.1, every ``/api/v1`` route, and real answers fit it."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import api_headers, fixture_bytes, fixture_names, intake_headers

Client = TestClient[Any, Any]


async def openapi(hub: Client) -> dict[str, Any]:
    resp = await hub.get("/openapi.json")
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def test_document_is_valid_openapi_31(hub: Client) -> None:
    doc = await openapi(hub)
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises OpenAPIValidationError with the path of the problem


async def test_every_api_route_is_documented(hub: Client) -> None:
    """Every ``/api/v1`` route but Telegram's webhook (Telegram's protocol, in webhook mode)."""
    doc = await openapi(hub)
    routed = {
        (route.method.lower(), route.resource.canonical)
        for route in hub.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
    }
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert routed == documented


async def test_request_bodies_and_parameters_come_from_models(hub: Client) -> None:
    doc = await openapi(hub)
    schemas = doc["components"]["schemas"]
    ack = doc["paths"]["/api/v1/incidents/{id}/ack"]["post"]
    assert ack["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AckRequest"
    }
    assert set(schemas["AckRequest"]["properties"]) == {"by", "comment"}
    assert "startsAt" in schemas["WebhookAlert"]["properties"]  # the wire names
    stats = doc["paths"]["/api/v1/stats"]["get"]
    assert [p["name"] for p in stats["parameters"]] == ["since", "until", "by"]
    postmortem = doc["paths"]["/api/v1/incidents/{id}/postmortem"]["get"]
    assert list(postmortem["responses"]["200"]["content"]) == ["text/markdown"]


def validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:alerthub", resource)
    return Draft202012Validator(
        {"$ref": f"urn:alerthub#/components/schemas/{name}"}, registry=registry
    )


async def _json(resp: Any, status: int = 200) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_real_answers_match_their_schemas(hub: Client) -> None:
    doc = await openapi(hub)
    answers: list[tuple[str, Any]] = []
    for name in fixture_names():
        resp = await hub.post(
            "/api/v1/alerts/alertmanager", data=fixture_bytes(name), headers=intake_headers()
        )
        answers.append(("Accepted", await _json(resp)))
    h = api_headers()
    page = await _json(await hub.get("/api/v1/incidents", headers=h))
    answers.append(("IncidentPage", page))
    firing = next(i for i in page["items"] if i["status"] == "firing")
    answers.append(
        (
            "IncidentDetail",
            await _json(await hub.get(f"/api/v1/incidents/{firing['id']}", headers=h)),
        )
    )
    ack = await hub.post(f"/api/v1/incidents/{firing['id']}/ack", json={"by": "ayse"}, headers=h)
    answers.append(("AckResult", await _json(ack)))
    answers.append(
        ("StatsResponse", await _json(await hub.get("/api/v1/stats?since=30d", headers=h)))
    )
    answers.append(
        ("NoiseReportBody", await _json(await hub.get("/api/v1/reports/noise", headers=h)))
    )
    body = {
        "matchers": ['alertname="DataDrift"'],
        "ends_at": "2030-01-01T00:00:00Z",
        "created_by": "ayse",
    }
    created = await _json(await hub.post("/api/v1/silences", json=body, headers=h), 201)
    answers.append(("SilenceChange", created))
    answers.append(("SilenceList", await _json(await hub.get("/api/v1/silences", headers=h))))
    answers.append(
        ("Silence", await _json(await hub.get(f"/api/v1/silences/{created['id']}", headers=h)))
    )
    answers.append(
        (
            "SilenceChange",
            await _json(await hub.delete(f"/api/v1/silences/{created['id']}", headers=h)),
        )
    )
    answers.append(("ErrorBody", await _json(await hub.get("/api/v1/stats?by=x", headers=h), 400)))
    for name, answer in answers:
        errors = [e.message for e in validator(doc, name).iter_errors(answer)]
        assert not errors, (name, errors)
    assert page["items"]  # the walk above saw real incidents, not empty lists
