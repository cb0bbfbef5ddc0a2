"""A fake Loki on loopback that speaks the real ``/loki/api/v1/query_range`` JSON."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass
class RecordedQuery:
    """One request as Loki saw it."""

    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStream:
    """A log stream: its labels and ``(ns, line)`` entries."""

    labels: dict[str, str]
    entries: list[tuple[int, str]] = field(default_factory=list)


class FakeLoki:
    """``async with FakeLoki() as loki: loki.url`` — knobs: ``delay``, ``status``, ``streams``.

    With ``tenant`` set, requests must carry ``X-Scope-OrgID: <tenant>`` (401 "no org id"
    without it, like Loki with ``auth_enabled``; 400 for another tenant's id).
    """

    def __init__(self, *, tenant: str | None = None) -> None:
        self.tenant = tenant
        self.delay = 0.0
        self.status = 200
        self.streams: list[FakeStream] = []
        self.queries: list[RecordedQuery] = []
        self.answered = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add_lines(self, labels: dict[str, str], lines: list[tuple[int, str]]) -> None:
        """Add a stream with ``(ns, line)`` entries."""
        self.streams.append(FakeStream(labels, list(lines)))

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_get("/loki/api/v1/query_range", self._query_range)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop listening; a delayed answer still waiting gives up at once."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeLoki:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _query_range(self, request: web.Request) -> web.Response:
        self.queries.append(RecordedQuery(dict(request.query), dict(request.headers)))
        if self.delay:
            # A slow Loki, on purpose: the latency under test; cut short when the fake closes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        self.answered += 1
        if self.tenant is not None:
            org = request.headers.get("X-Scope-OrgID")
            if not org:
                return web.Response(status=401, text="no org id\n")
            if org != self.tenant:
                return web.Response(status=400, text=f"unknown org id {org}\n")
        if self.status != 200:
            return web.Response(status=self.status, text="fake loki error\n")
        if "query" not in request.query:
            return web.Response(status=400, text="query parameter is required\n")
        return web.json_response(self._answer(request.query))

    def _answer(self, query: Any) -> dict[str, Any]:
        start = int(query.get("start", "0"))
        end = int(query.get("end", str(2**63 - 1)))
        limit = int(query.get("limit", "100"))
        backward = query.get("direction", "backward") == "backward"
        tagged = [
            (ts, line, i)
            for i, stream in enumerate(self.streams)
            for ts, line in stream.entries
            if start <= ts <= end
        ]
        tagged.sort(key=lambda t: t[0], reverse=backward)
        tagged = tagged[:limit]
        result = []
        for i, stream in enumerate(self.streams):
            values = [[str(ts), line] for ts, line, j in tagged if j == i]
            if values:
                result.append({"stream": stream.labels, "values": values})
        return {
            "status": "success",
            "data": {"resultType": "streams", "result": result, "stats": {}},
        }
