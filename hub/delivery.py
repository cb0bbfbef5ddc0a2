"""Wiring of everything after the commit: channels, enrichment and the outbox worker with
``hub.pipeline.build.build_handlers``; a config reload swaps them for the next rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import aiohttp
from aiohttp import web

from hub.api.keys import (
    CLOCK,
    CONFIG,
    ENGINE,
    ENRICHER,
    KUBE,
    METRICS,
    RELOADER,
    RUNBOOKS,
    WORKER,
)
from hub.channels.base import Channel
from hub.channels.registry import build_channels
from hub.config.bot import TelegramBotConfig
from hub.config.models import HubConfig
from hub.enrich.runbooks import RunbookIndexHolder
from hub.pipeline.build import build_handlers
from hub.pipeline.deliver import ChannelKey
from hub.pipeline.enrichment import HubEnricher, LiveEnricher
from hub.pipeline.worker import OutboxWorker, RowHandler
from hub.reload import LiveMapping, reload_runbooks

log = logging.getLogger(__name__)


def _wire(
    app: web.Application,
    config: HubConfig,
    runbooks: RunbookIndexHolder,
    session: aiohttp.ClientSession,
    bot: TelegramBotConfig | None,
) -> tuple[dict[str, RowHandler], list[Channel], HubEnricher]:
    """The outbox handlers for one config, the channels they send through, its enricher.

    ``bot`` is the bot started with the process (restart-only): buttons go where it answers.
    """
    channels: dict[ChannelKey, Channel] = {}
    for receiver in config.receivers:
        for key, channel in build_channels(receiver, external_url=config.external_url, bot=bot):
            channels[(receiver.name, key)] = channel
    enricher = HubEnricher(config, runbooks, session, app[METRICS])
    handlers = build_handlers(
        config, app[ENGINE], app[METRICS], channels, enricher, kube=app.get(KUBE)
    )
    return handlers, list(channels.values()), enricher


async def delivery_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open channels and the Loki session, start the worker; close all in reverse."""
    config = app[CONFIG]
    runbooks = await RunbookIndexHolder.load(config.runbooks_dir)
    for problem in runbooks.current.errors:
        log.warning("runbook_invalid", extra={"detail": problem})
    log.info("runbooks_loaded", extra={"runbooks": len(runbooks.current.runbooks)})
    app[RUNBOOKS] = runbooks
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        built, channels, enricher = _wire(app, config, runbooks, session, config.telegram_bot)
        handlers = LiveMapping(built)
        live_enricher = app[ENRICHER] = LiveEnricher(enricher)  # the pages and post-mortems
        every_channel = list(channels)  # closing is idempotent: at exit, close them all
        retired: set[asyncio.Task[None]] = set()
        stack.push_async_callback(lambda: _close_all(every_channel))
        stack.callback(lambda: [task.cancel() for task in retired])

        async def apply(new: HubConfig) -> None:
            """A reload: the next rows use the new handlers; the old channels close later."""
            nonlocal channels
            fresh_handlers, fresh, live_enricher.current = _wire(
                app, new, runbooks, session, config.telegram_bot
            )
            handlers.swap(fresh_handlers)
            old, channels = channels, fresh
            every_channel.extend(fresh)
            await reload_runbooks(runbooks)
            task = asyncio.create_task(_close_later(old, config.delivery.send_timeout))
            retired.add(task)
            task.add_done_callback(retired.discard)

        app[RELOADER].on_reload(apply)
        worker = OutboxWorker(app[ENGINE], handlers, app[CLOCK], config.delivery, app[METRICS])
        app[WORKER] = worker
        worker.start()
        yield
        await worker.stop()


async def _close_all(channels: list[Channel]) -> None:
    for channel in channels:
        await channel.close()


async def _close_later(channels: list[Channel], after: timedelta) -> None:
    """Sends already started through old channels finish within ``send_timeout``."""
    await asyncio.sleep(after.total_seconds())
    await _close_all(channels)
