"""Wiring of everything after the commit: channels, enrichment and the outbox worker with
``hub.pipeline.build.build_handlers``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aiohttp
from aiohttp import web

from hub.api.keys import CLOCK, CONFIG, ENGINE, METRICS, RUNBOOKS, WORKER
from hub.channels.base import Channel
from hub.channels.registry import build_channels
from hub.enrich.runbooks import RunbookIndexHolder
from hub.pipeline.build import build_handlers
from hub.pipeline.deliver import ChannelKey
from hub.pipeline.enrichment import HubEnricher
from hub.pipeline.worker import OutboxWorker

log = logging.getLogger(__name__)


async def delivery_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open channels and the Loki session, start the worker; close all in reverse."""
    config = app[CONFIG]
    runbooks = await RunbookIndexHolder.load(config.runbooks_dir)
    for problem in runbooks.current.errors:
        log.warning("runbook_invalid", extra={"detail": problem})
    log.info("runbooks_loaded", extra={"runbooks": len(runbooks.current.runbooks)})
    app[RUNBOOKS] = runbooks
    channels: dict[ChannelKey, Channel] = {}
    for receiver in config.receivers:
        for key, channel in build_channels(receiver, external_url=config.external_url):
            channels[(receiver.name, key)] = channel
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        for channel in channels.values():
            stack.push_async_callback(channel.close)
        enricher = HubEnricher(config, runbooks, session)
        worker = OutboxWorker(
            app[ENGINE],
            build_handlers(config, app[ENGINE], app[METRICS], channels, enricher),
            app[CLOCK],
            config.delivery,
            app[METRICS],
        )
        app[WORKER] = worker
        worker.start()
        yield
        await worker.stop()
