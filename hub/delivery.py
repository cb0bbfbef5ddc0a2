"""Wiring of everything after the commit: channels, enrichment, pipeline, outbox worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aiohttp
from aiohttp import web

from hub.api.keys import CLOCK, CONFIG, ENGINE, KUBE, METRICS, RUNBOOKS, WORKER
from hub.channels.base import Channel
from hub.channels.registry import build_channels
from hub.enrich.runbooks import RunbookIndexHolder
from hub.pipeline.build import build_pipeline
from hub.pipeline.deliver import ChannelKey, DeliverHandler
from hub.pipeline.enqueue import DELIVER_KIND, ESCALATION_KIND, REMINDER_KIND
from hub.pipeline.enrich_stage import HubEnricher
from hub.pipeline.flush import FlushHandler
from hub.pipeline.followups import EscalationHandler, ReminderHandler
from hub.pipeline.hold import DIGEST_KIND, DigestHandler
from hub.pipeline.silence import SILENCE_KIND, SilenceLifecycleHandler
from hub.pipeline.worker import OutboxWorker
from hub.remediate.handler import ActionHandler
from hub.remediate.outbox import ACTION_KIND
from hub.store.ingest import FLUSH_KIND

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
        for key, channel in build_channels(
            receiver, external_url=config.external_url, bot=config.telegram_bot
        ):
            channels[(receiver.name, key)] = channel
    names: dict[str, list[str]] = {}
    for receiver_name, key in channels:
        names.setdefault(receiver_name, []).append(key)
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        for channel in channels.values():
            stack.push_async_callback(channel.close)
        deliver = DeliverHandler(
            engine=app[ENGINE],
            channels=channels,
            config=config.delivery,
            metrics=app[METRICS],
            external_url=config.external_url,
            enricher=HubEnricher(config, runbooks, session),
        )
        pipeline = build_pipeline(config, names)
        worker = OutboxWorker(
            app[ENGINE],
            {
                FLUSH_KIND: FlushHandler(app[ENGINE], pipeline, app[METRICS]),
                DELIVER_KIND: deliver,
                REMINDER_KIND: ReminderHandler(app[ENGINE], names, config.fatigue),
                ESCALATION_KIND: EscalationHandler(app[ENGINE], names, config.fatigue),
                DIGEST_KIND: DigestHandler(app[ENGINE], names),
                SILENCE_KIND: SilenceLifecycleHandler(app[ENGINE]),
                ACTION_KIND: ActionHandler(app[ENGINE], app.get(KUBE), config, app[METRICS]),
            },
            app[CLOCK],
            config.delivery,
            app[METRICS],
        )
        app[WORKER] = worker
        worker.start()
        yield
        await worker.stop()
