"""Loki ``query_range`` client: a bounded log excerpt around an alert, cached and single-flight.

A storm of alerts for one service asks the same question about the same window; the cache
and the in-flight table make that one Loki request. Failures are raised as
``EnrichmentError`` with a short reason the message shows as "logs unavailable (...)".
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import aiohttp

from hub.channels.model import LogLine
from hub.config.enrich import GrafanaConfig, LokiConfig

QUERY_RANGE_PATH = "/loki/api/v1/query_range"
COUNT_LIMIT = 1000
"""Lines asked of Loki per query: the excerpt shows the newest few, the rest are only counted."""
WINDOW_ROUNDING = timedelta(seconds=30)
"""Windows are widened to this grid so alerts starting seconds apart share one query."""
_NEGATIVE_TTL = timedelta(seconds=5)
_ELLIPSIS = "…"
_TIME_PREFIX_BYTES = len("00:00:00 ")


class EnrichmentFailureKind(StrEnum):
    """Why a log excerpt could not be fetched; bounded, so it can label a metric."""

    TIMEOUT = "timeout"
    HTTP_ERROR = "http_error"
    CONNECTION = "connection"
    BAD_RESPONSE = "bad_response"


class EnrichmentError(Exception):
    """Loki did not give us an excerpt; ``reason`` is short and fit for a message."""

    def __init__(self, reason: str, kind: EnrichmentFailureKind) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class LogExcerpt:
    """The newest matching lines (oldest first, newest last) and how many matched in all."""

    lines: tuple[LogLine, ...]
    total_matching: int
    window: timedelta
    query: str


@dataclass(frozen=True)
class _CacheEntry:
    expires_at: float
    excerpt: LogExcerpt | None
    error: EnrichmentError | None


def format_seconds(value: timedelta) -> str:
    """``2 s``, ``0.5 s``: the unit spelled the way the message shows it."""
    return f"{value.total_seconds():g} s"


def round_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Floor ``start`` and push ``end`` to the next ``WINDOW_ROUNDING`` grid point (UTC)."""
    step = WINDOW_ROUNDING.total_seconds()
    start_s = start.timestamp() // step * step
    end_s = end.timestamp() // step * step + step
    return datetime.fromtimestamp(start_s, UTC), datetime.fromtimestamp(end_s, UTC)


def _to_ns(value: datetime) -> int:
    return round(value.timestamp()) * 1_000_000_000


def _from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1_000_000_000, UTC)


class LokiClient:
    """Fetches log excerpts from Loki over a shared ``aiohttp.ClientSession``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: LokiConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._session = session
        self._clock = clock
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._cache: dict[tuple[str, int, int], _CacheEntry] = {}
        self._inflight: dict[tuple[str, int, int], asyncio.Task[LogExcerpt]] = {}
        self.requests_made = 0

    async def query_range(self, query: str, start: datetime, end: datetime) -> LogExcerpt:
        """The excerpt for ``query`` over ``[start, end]`` (widened to the rounding grid)."""
        start, end = round_window(start, end)
        key = (query, _to_ns(start), _to_ns(end))
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached.expires_at > now:
            if cached.error is not None:
                raise EnrichmentError(cached.error.reason, cached.error.kind)
            assert cached.excerpt is not None
            return cached.excerpt
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch_and_cache(key, query, start, end))
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        # shield: one caller giving up must not cancel the request the others wait for
        return await asyncio.shield(task)

    async def _fetch_and_cache(
        self, key: tuple[str, int, int], query: str, start: datetime, end: datetime
    ) -> LogExcerpt:
        self._evict_expired()
        try:
            excerpt = await self._fetch(query, start, end)
        except EnrichmentError as exc:
            ttl = min(self.config.cache_ttl, _NEGATIVE_TTL).total_seconds()
            self._cache[key] = _CacheEntry(self._clock() + ttl, None, exc)
            raise
        ttl = self.config.cache_ttl.total_seconds()
        self._cache[key] = _CacheEntry(self._clock() + ttl, excerpt, None)
        return excerpt

    def _evict_expired(self) -> None:
        now = self._clock()
        for key in [k for k, v in self._cache.items() if v.expires_at <= now]:
            del self._cache[key]

    async def _fetch(self, query: str, start: datetime, end: datetime) -> LogExcerpt:
        timeout = self.config.timeout
        try:
            async with asyncio.timeout(timeout.total_seconds()):
                async with self._semaphore:
                    self.requests_made += 1
                    payload = await self._get(query, start, end)
        except TimeoutError:
            raise EnrichmentError(
                f"timeout after {format_seconds(timeout)}", EnrichmentFailureKind.TIMEOUT
            ) from None
        return build_excerpt(payload, query, end - start, self.config)

    async def _get(self, query: str, start: datetime, end: datetime) -> Any:
        params = {
            "query": query,
            "start": str(_to_ns(start)),
            "end": str(_to_ns(end)),
            "limit": str(COUNT_LIMIT),
            "direction": "backward",
        }
        url = self.config.url + QUERY_RANGE_PATH
        try:
            async with self._session.get(url, params=params, headers=self._headers()) as resp:
                if resp.status >= 400:
                    raise EnrichmentError(f"HTTP {resp.status}", EnrichmentFailureKind.HTTP_ERROR)
                return await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:
            reason = (
                "connection refused"
                if isinstance(exc.os_error, ConnectionRefusedError)
                else "connection failed"
            )
            raise EnrichmentError(reason, EnrichmentFailureKind.CONNECTION) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise EnrichmentError("invalid JSON", EnrichmentFailureKind.BAD_RESPONSE) from None
        except aiohttp.ClientError:
            raise EnrichmentError("connection failed", EnrichmentFailureKind.CONNECTION) from None

    def _headers(self) -> dict[str, str]:
        cfg = self.config
        headers = {"Accept": "application/json"}
        if cfg.tenant:
            headers["X-Scope-OrgID"] = cfg.tenant
        if cfg.bearer_token is not None:
            headers["Authorization"] = f"Bearer {cfg.bearer_token.get_secret_value()}"
        elif cfg.basic_auth is not None:
            pair = f"{cfg.basic_auth.username}:{cfg.basic_auth.password.get_secret_value()}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return headers


def _entries(payload: Any) -> list[tuple[int, str]]:
    """All ``(ns, line)`` pairs of a ``streams`` result; ``EnrichmentError`` on any other shape."""
    bad = EnrichmentError("unexpected response", EnrichmentFailureKind.BAD_RESPONSE)
    if not isinstance(payload, Mapping) or payload.get("status") != "success":
        raise bad
    data = payload.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") != "streams":
        raise bad
    entries: list[tuple[int, str]] = []
    try:
        for stream in data.get("result") or []:
            for ts, line, *_ in stream["values"]:
                entries.append((int(ts), str(line)))
    except (KeyError, TypeError, ValueError):
        raise bad from None
    return entries


def _cut_line(line: str, max_chars: int) -> str:
    line = line.rstrip("\r\n")
    if len(line) <= max_chars:
        return line
    return line[: max_chars - 1] + _ELLIPSIS


def _fit_bytes(lines: list[LogLine], max_bytes: int) -> list[LogLine]:
    """Keep the newest lines whose UTF-8 size (time, text, newline) fits in ``max_bytes``."""
    kept: list[LogLine] = []
    used = 0
    for line in reversed(lines):
        size = _TIME_PREFIX_BYTES + len(line.text.encode()) + 1
        if used + size > max_bytes:
            if not kept:  # a single huge line: cut it rather than show nothing
                room = max(0, max_bytes - _TIME_PREFIX_BYTES - 4)
                cut = line.text.encode()[:room].decode(errors="ignore")
                kept.append(LogLine(line.at, cut + _ELLIPSIS))
            break
        kept.append(line)
        used += size
    kept.reverse()
    return kept


def build_excerpt(payload: Any, query: str, window: timedelta, config: LokiConfig) -> LogExcerpt:
    """Merge a ``query_range`` answer's streams into an excerpt within the configured limits."""
    entries = _entries(payload)
    entries.sort(key=lambda entry: entry[0])
    newest = entries[-config.max_lines :]
    lines = [LogLine(_from_ns(ns), _cut_line(line, config.max_line_chars)) for ns, line in newest]
    return LogExcerpt(
        lines=tuple(_fit_bytes(lines, config.max_bytes)),
        total_matching=len(entries),
        window=window,
        query=query,
    )


def explore_url(grafana: GrafanaConfig, query: str, start: datetime, end: datetime) -> str:
    """A Grafana Explore link (``panes`` format, Grafana 10+) showing ``query`` over the window."""
    datasource = {"type": "loki", "uid": grafana.loki_datasource_uid}
    pane = {
        "datasource": grafana.loki_datasource_uid,
        "queries": [{"refId": "A", "expr": query, "queryType": "range", "datasource": datasource}],
        "range": {
            "from": str(int(start.timestamp() * 1000)),
            "to": str(int(end.timestamp() * 1000)),
        },
    }
    panes = json.dumps({"alerthub": pane}, separators=(",", ":"))
    params = urlencode({"schemaVersion": "1", "panes": panes, "orgId": "1"})
    return f"{grafana.url}/explore?{params}"
