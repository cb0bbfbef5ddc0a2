"""``POST /-/reload``: re-read the config file, as Alertmanager's endpoint does."""

from __future__ import annotations

from aiohttp import web

from hub.api.errors import json_error
from hub.api.keys import RELOADER


async def reload_handler(request: web.Request) -> web.Response:
    """200 with a summary when applied; 400 with every error when refused (nothing changes)."""
    result = await request.app[RELOADER].reload()
    if not result.ok:
        return json_error(
            400,
            "config invalid; the running config stays",
            details=[{"message": e} for e in result.errors],
        )
    return web.json_response({"status": "reloaded", "summary": dict(result.summary)})
