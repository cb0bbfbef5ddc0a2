"""The Kubernetes client's life in the app: opened at start when policies exist, closed at
stop. Without cluster access the hub still routes alerts; actions fail with the reason."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hub.api.keys import CONFIG, KUBE
from hub.remediate.errors import KubeError
from hub.remediate.kube import KubeExecutor, load_api_client

log = logging.getLogger(__name__)


async def kube_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    executor: KubeExecutor | None = None
    if config.remediation.policies:
        try:
            api = load_api_client(config.kubernetes)
        except KubeError as exc:
            log.error("kubernetes_unavailable", extra={"error": str(exc)})
        else:
            timeout = config.kubernetes.request_timeout.total_seconds()
            executor = KubeExecutor(api, timeout)
            app[KUBE] = executor
            log.info("kubernetes_ready", extra={"host": api.configuration.host})
    yield
    if executor is not None:
        executor.close()
