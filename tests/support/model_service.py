"""A tiny model service that fails a share of its requests, with real prometheus-client metrics.

It exposes what the ML alert pack (``config/prometheus/ml-alerts.yml``) reads:
``http_requests_total{method, handler, status}``, ``http_request_latency_seconds`` and
``model_latency_seconds``. ``namespace`` and ``service`` are not metric labels: Prometheus
adds them as target labels, as a Kubernetes service discovery would.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from tests.fakes import LoopbackServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ModelService(LoopbackServer):
    """``async with ModelService(error_share=0.3) as svc:`` then scrape ``svc.base_url``.

    Failures are spread evenly and deterministically: request ``n`` fails when
    ``floor(n * share)`` steps up, so any window of traffic shows the configured share.
    """

    error_share: float = 0.3
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    served: int = 0

    def __post_init__(self) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by handler and status.",
            ["method", "handler", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_latency_seconds",
            "HTTP request latency.",
            ["handler"],
            registry=self.registry,
        )
        self.model_latency = Histogram(
            "model_latency_seconds", "Inference time.", registry=self.registry
        )
        app = web.Application(middlewares=[self._observe])
        app.router.add_post("/predict", self._predict)
        app.router.add_get("/metrics", self._metrics)
        super().__init__(app)

    def is_failing(self, n: int) -> bool:
        """Whether the ``n``-th request (1-based) answers 500."""
        return math.floor(n * self.error_share) > math.floor((n - 1) * self.error_share)

    @web.middleware
    async def _observe(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/metrics":
            return await handler(request)
        started = time.perf_counter()
        response = await handler(request)
        self.latency.labels(request.path).observe(time.perf_counter() - started)
        self.requests.labels(request.method, request.path, str(response.status)).inc()
        return response

    async def _predict(self, request: web.Request) -> web.Response:
        self.served += 1
        with self.model_latency.time():
            await request.read()
            if self.is_failing(self.served):
                return web.json_response({"error": "CUDA out of memory"}, status=500)
            return web.json_response({"prediction": 0.42})

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@contextlib.asynccontextmanager
async def sending_traffic(url: str, per_second: float = 20.0) -> AsyncIterator[None]:
    """POST ``url`` at about ``per_second`` until the block exits (real requests, real metrics)."""

    async def send_forever(session: aiohttp.ClientSession) -> None:
        while True:
            async with session.post(url, json={"features": [1, 2, 3]}) as resp:
                await resp.read()
            await asyncio.sleep(1 / per_second)  # pacing the traffic, not waiting for anything

    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        task = asyncio.create_task(send_forever(session))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
