"""Typed application state: every shared resource has one key here."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.alertmanager_client import AlertmanagerClient
from hub.bot.runner import BotRunner
from hub.clock import Clock
from hub.config.models import HubConfig
from hub.enrich.runbooks import RunbookIndexHolder
from hub.intake.writer import IngestWriter
from hub.metrics import HubMetrics
from hub.pipeline.enrichment import LiveEnricher
from hub.pipeline.worker import OutboxWorker
from hub.reload import ConfigReloader
from hub.remediate.kube import KubeExecutor

CONFIG = web.AppKey("config", HubConfig)
ENGINE = web.AppKey("engine", AsyncEngine)
WRITER = web.AppKey("writer", IngestWriter)
METRICS = web.AppKey("metrics", HubMetrics)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
WORKER = web.AppKey("worker", OutboxWorker)
ALERTMANAGER = web.AppKey("alertmanager", AlertmanagerClient)  # set only when configured
RUNBOOKS = web.AppKey("runbooks", RunbookIndexHolder)
RELOADER = web.AppKey("reloader", ConfigReloader)
BOT = web.AppKey("bot", BotRunner)  # set only when telegram_bot is configured
KUBE = web.AppKey("kube", KubeExecutor)  # set only when remediation has policies and access
ENRICHER = web.AppKey("enricher", LiveEnricher)  # the pages and post-mortems add the same context
