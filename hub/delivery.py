"""Wiring of everything after the commit: channels, enrichment, pipeline, outbox worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import aiohttp
from aiohttp import web

from hub.api.keys import CLOCK, CONFIG, ENGINE, METRICS, RELOADER, RUNBOOKS, WORKER
from hub.channels.base import Channel
from hub.channels.registry import build_channels
from hub.config.models import HubConfig
from hub.enrich.runbooks import RunbookIndexHolder
from hub.pipeline.build import build_pipeline
from hub.pipeline.deliver import ChannelKey, DeliverHandler
from hub.pipeline.enqueue import DELIVER_KIND, ESCALATION_KIND, REMINDER_KIND
from hub.pipeline.enrich_stage import HubEnricher
from hub.pipeline.flush import FlushHandler
from hub.pipeline.followups import EscalationHandler, ReminderHandler
from hub.pipeline.hold import DIGEST_KIND, DigestHandler
from hub.pipeline.silence import SILENCE_KIND, SilenceLifecycleHandler
from hub.pipeline.worker import OutboxWorker, RowHandler
from hub.reload import LiveMapping, reload_runbooks
from hub.store.ingest import FLUSH_KIND

log = logging.getLogger(__name__)


def _build_handlers(
    app: web.Application,
    config: HubConfig,
    runbooks: RunbookIndexHolder,
    session: aiohttp.ClientSession,
) -> tuple[dict[str, RowHandler], list[Channel]]:
    """The outbox handlers for one config, and the channels they send through."""
    channels: dict[ChannelKey, Channel] = {}
    for receiver in config.receivers:
        for key, channel in build_channels(receiver, external_url=config.external_url):
            channels[(receiver.name, key)] = channel
    names: dict[str, list[str]] = {}
    for receiver_name, key in channels:
        names.setdefault(receiver_name, []).append(key)
    deliver = DeliverHandler(
        engine=app[ENGINE],
        channels=channels,
        config=config.delivery,
        metrics=app[METRICS],
        external_url=config.external_url,
        enricher=HubEnricher(config, runbooks, session),
        tz=config.tz,
    )
    pipeline = build_pipeline(config, names)
    handlers: dict[str, RowHandler] = {
        FLUSH_KIND: FlushHandler(app[ENGINE], pipeline, app[METRICS]),
        DELIVER_KIND: deliver,
        REMINDER_KIND: ReminderHandler(app[ENGINE], names, config.fatigue),
        ESCALATION_KIND: EscalationHandler(app[ENGINE], names, config.fatigue),
        DIGEST_KIND: DigestHandler(app[ENGINE], names),
        SILENCE_KIND: SilenceLifecycleHandler(app[ENGINE]),
    }
    return handlers, list(channels.values())


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
        built, channels = _build_handlers(app, config, runbooks, session)
        handlers = LiveMapping(built)
        built_channels = list(channels)  # closing is idempotent: at exit, close them all
        retired: set[asyncio.Task[None]] = set()
        stack.push_async_callback(lambda: _close_all(built_channels))
        stack.callback(lambda: [task.cancel() for task in retired])

        async def apply(new: HubConfig) -> None:
            """A reload: the next rows use the new handlers; the old channels close later."""
            nonlocal channels
            built, fresh = _build_handlers(app, new, runbooks, session)
            handlers.swap(built)
            old, channels = channels, fresh
            built_channels.extend(fresh)
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
