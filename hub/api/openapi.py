"""``GET /openapi.json``: an OpenAPI 3.1 document of every ``/api/v1`` route.

Schemas come from the pydantic models (OpenAPI 3.1 speaks JSON Schema 2020-12, as pydantic
does); the table below is the one list of operations, and a test checks it against the router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hub import __version__
from hub.api import schemas as s
from hub.api.acks import AckRequest
from hub.api.actions import ActionRequest, ByRequest, CircuitRequest
from hub.api.silences import SilenceRequest
from hub.intake.models import WebhookPayload
from hub.reports.stats import StatsResponse

REF = "#/components/schemas/{model}"
Auth = Literal["intake", "api"]


@dataclass(frozen=True)
class Operation:
    """One route: what it takes and what each status answers (a model or a media type)."""

    method: str
    path: str
    summary: str
    auth: Auth
    responses: dict[int, type[BaseModel] | str]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = field(default=(400, 401))


OPERATIONS = (
    Operation(
        "post", "/api/v1/alerts/alertmanager", "Receive an Alertmanager webhook (version 4)",
        "intake", {200: s.Accepted}, body=WebhookPayload, errors=(400, 401, 413, 415, 422, 503),
    ),
    Operation(
        "get", "/api/v1/incidents", "List incidents, newest first",
        "api", {200: s.IncidentPage}, query=s.IncidentListQuery,
    ),
    Operation(
        "get", "/api/v1/incidents/{id}", "One incident with its flapping state and timeline",
        "api", {200: s.IncidentDetail}, errors=(400, 401, 404),
    ),
    Operation(
        "post", "/api/v1/incidents/{id}/ack", "Acknowledge an incident",
        "api", {200: s.AckResult}, body=AckRequest, errors=(400, 401, 404, 409, 422),
    ),
    Operation(
        "get", "/api/v1/incidents/{id}/postmortem", "A post-mortem draft in Markdown",
        "api", {200: "text/markdown"}, errors=(400, 401, 404),
    ),
    Operation(
        "get", "/api/v1/stats", "Time to acknowledge and resolve, messages and suppressions",
        "api", {200: StatsResponse}, query=s.StatsQuery,
    ),
    Operation(
        "get", "/api/v1/reports/noise", "Noise per alert name, with advice",
        "api", {200: s.NoiseReportBody}, query=s.NoiseQuery,
    ),
    Operation(
        "post", "/api/v1/silences", "Create a silence (mirrored into Alertmanager if linked)",
        "api", {201: s.SilenceChange}, body=SilenceRequest, errors=(400, 401, 422),
    ),
    Operation(
        "get", "/api/v1/silences", "List silences",
        "api", {200: s.SilenceList}, query=s.SilenceListQuery,
    ),
    Operation(
        "get", "/api/v1/silences/{id}", "One silence",
        "api", {200: s.Silence}, errors=(400, 401, 404),
    ),
    Operation(
        "delete", "/api/v1/silences/{id}", "Expire a silence now",
        "api", {200: s.SilenceChange}, errors=(400, 401, 404),
    ),
    Operation(
        "get", "/api/v1/actions", "Remediation actions, newest first",
        "api", {200: s.ActionList}, query=s.ActionListQuery,
    ),
    Operation(
        "post", "/api/v1/actions/{id}/approve", "Approve a pending action (operator)",
        "api", {200: s.Action, 409: s.Action}, body=ByRequest, errors=(400, 401, 404, 422),
    ),
    Operation(
        "post", "/api/v1/actions/{id}/reject", "Reject a pending action",
        "api", {200: s.Action}, body=ByRequest, errors=(400, 401, 404, 409, 422),
    ),
    Operation(
        "post", "/api/v1/incidents/{id}/actions", "Ask for a policy's action by hand",
        "api", {201: s.Action, 409: s.Action}, body=ActionRequest, errors=(400, 401, 404, 422),
    ),
    Operation(
        "post", "/api/v1/remediation/pause", "Pause remediation (kill switch)",
        "api", {200: s.RemediationSwitch}, body=ByRequest, errors=(401, 422),
    ),
    Operation(
        "post", "/api/v1/remediation/resume", "Resume remediation",
        "api", {200: s.RemediationSwitch}, body=ByRequest, errors=(401, 422),
    ),
    Operation(
        "post", "/api/v1/remediation/circuits/reset", "Close a target's circuit breaker",
        "api", {200: s.CircuitState}, body=CircuitRequest, errors=(401, 422),
    ),
)  # fmt: skip

_ERROR_TEXT = {
    400: "Bad request: the error names the parameter",
    401: "Missing or invalid bearer token",
    404: "Not found",
    409: "Conflict with the incident's state",
    413: "Body too large",
    415: "Not JSON",
    422: "Body did not validate: details per field",
    503: "Store unavailable; retry after Retry-After",
}


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (s.ErrorBody, "serialization"): None
    }
    for op in OPERATIONS:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        for answer in op.responses.values():
            if not isinstance(answer, str):
                wanted[(answer, "serialization")] = None
    return list(wanted)


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{id}" in op.path:
        params.append({"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}})
    if op.query is None:
        return params
    schema = op.query.model_json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    for name, prop in schema["properties"].items():
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _operation(op: Operation, refs: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, answer in op.responses.items():
        media = (
            {answer: {"schema": {"type": "string"}}}
            if isinstance(answer, str)
            else {"application/json": {"schema": refs[(answer, "serialization")]}}
        )
        description = "OK" if status < 300 else "Refused by policy: the action and its reason"
        responses[str(status)] = {"description": description, "content": media}
    error = {"application/json": {"schema": refs[(s.ErrorBody, "serialization")]}}
    for status in op.errors:
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": error}
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method}_{op.path}".replace("/", "_").replace("{", "").replace("}", ""),
        "security": [{f"{op.auth}Token": []}],
        "parameters": _parameters(op, components),
        "responses": responses,
    }
    if op.body is not None:
        body = {"application/json": {"schema": refs[(op.body, "validation")]}}
        out["requestBody"] = {"required": True, "content": body}
    return out


@cache
def build_openapi() -> dict[str, Any]:
    """The whole document; built once per process (it depends only on the code)."""
    refs, top = models_json_schema(_models(), ref_template=REF)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs, components)
    bearer = {"type": "http", "scheme": "bearer"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "alerthub", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"intakeToken": bearer, "apiToken": bearer},
        },
    }


async def openapi_handler(request: web.Request) -> web.Response:
    return web.json_response(build_openapi())
