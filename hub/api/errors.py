"""JSON error responses: every 4xx/5xx names the problem."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def json_error(
    status: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON error body ``{"error": ..., "details": [...]}`` with the given status."""
    body: dict[str, Any] = {"error": message}
    if details:
        body["details"] = details
    return web.json_response(body, status=status, headers=headers)
