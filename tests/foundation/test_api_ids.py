"""Ids in paths and query strings: anything but a 64-bit store id is a 400, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.api.query import parse_id
from tests.conftest import api_headers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1042", 1042),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("99999999999999999999", None),
        ("0", None),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        ("", None),
        ("12a", None),
    ],
    ids=["id", "max", "past-64-bits", "far-past", "zero", "superscript", "arabic-digits",
         "negative", "empty", "letters"],
)  # fmt: skip
def test_parse_id(raw: str, expected: int | None) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/incidents/²"),
        ("get", "/api/v1/incidents/99999999999999999999"),
        ("post", "/api/v1/incidents/²/ack"),
        ("get", "/api/v1/incidents/²/postmortem"),
        ("get", "/api/v1/silences/²"),
        ("post", "/api/v1/actions/²/approve"),
    ],
)
async def test_odd_ids_are_a_bad_request(hub: TestClient[Any, Any], method: str, path: str) -> None:
    resp = await hub.request(method, path, headers=api_headers(), json={"by": "x"})
    assert resp.status == 400, await resp.text()
    assert "id:" in (await resp.json())["error"]
