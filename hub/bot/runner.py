"""The bot's life with the server: start, poll (one replica at a time) or take webhook updates.

On PostgreSQL, replicas compete for a session advisory lock; the holder polls and checks
its session every second. When it dies its session ends, the lock is free, and another
replica takes over at its next try (within about a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import TelegramError

from hub.bot.build import ALLOWED_UPDATES, POLL_TIMEOUT
from hub.bot.handlers import BotApplication
from hub.config.bot import BotMode

log = logging.getLogger(__name__)
ELECTION_INTERVAL = 1.0
RETRY_INTERVAL = 5.0
WEBHOOK_PATH = "/api/v1/telegram/webhook"


def lock_key(token: str) -> int:
    """One advisory lock per bot (the token's bot id), so two hubs with two bots share a PG."""
    bot_id = token.split(":", 1)[0]
    digest = hashlib.sha256(f"alerthub-telegram-polling:{bot_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class BotRunner:
    """Runs one ``BotApplication`` for the hub's lifetime."""

    def __init__(self, application: BotApplication, engine: AsyncEngine) -> None:
        self.application = application
        self._engine = engine
        self._config = application.services.config
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self.polling = False

    @property
    def ready(self) -> bool:
        """Whether fed updates are processed (the application has started)."""
        return self._started

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-bot")

    async def stop(self) -> None:
        """Stop polling (releasing the lock), finish updates in hand, close the HTTP clients."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._started:
            await self.application.stop()
        await self.application.shutdown()

    async def feed(self, data: Mapping[str, Any]) -> None:
        """Hand a webhook update to the application (raises on a body that is no update)."""
        update = Update.de_json(dict(data), self.application.bot)
        await self.application.update_queue.put(update)

    async def _run(self) -> None:
        await self._until_done("bot_start_failed", self._start_application)
        if self._config.mode is BotMode.WEBHOOK:
            await self._until_done("bot_webhook_failed", self._set_webhook)
            return
        if self._engine.dialect.name == "postgresql":
            await self._lead_on_postgresql()
        else:
            await self._poll_while(_nothing)  # one replica on SQLite: it polls

    async def _start_application(self) -> None:
        await self.application.initialize()  # getMe: checks the token
        await self.application.start()
        self._started = True
        log.info("bot_started", extra={"mode": self._config.mode.value})

    async def _set_webhook(self) -> None:
        secret = self._config.webhook_secret
        await self.application.bot.set_webhook(
            url=self.application.services.external_url + WEBHOOK_PATH,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=list(ALLOWED_UPDATES),
        )
        log.info("bot_webhook_set")

    @staticmethod
    async def _until_done(event: str, step: Callable[[], Awaitable[None]]) -> None:
        """Telegram may be away at start: keep trying; the hub serves alerts meanwhile."""
        while True:
            try:
                await step()
                return
            except (TelegramError, OSError) as exc:
                log.warning(event, extra={"error": str(exc)})
            await asyncio.sleep(RETRY_INTERVAL)

    async def _lead_on_postgresql(self) -> None:
        key = lock_key(self.application.bot.token)
        while True:
            try:
                async with self._engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    held = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
                    if held:
                        try:
                            await self._poll_while(lambda: conn.execute(text("SELECT 1")))
                        finally:
                            with contextlib.suppress(Exception):
                                unlock = text("SELECT pg_advisory_unlock(:k)")
                                await conn.execute(unlock, {"k": key})
            except Exception as exc:  # the session or polling broke: give the lock up, retry
                log.warning("bot_polling_lost", extra={"error": f"{type(exc).__name__}: {exc}"})
            await asyncio.sleep(ELECTION_INTERVAL)

    async def _poll_while(self, still_leader: Callable[[], Awaitable[object]]) -> None:
        """Poll until ``still_leader`` fails (or the task is cancelled)."""
        updater = self.application.updater
        assert updater is not None
        await updater.start_polling(
            timeout=POLL_TIMEOUT,
            allowed_updates=list(ALLOWED_UPDATES),
            error_callback=_polling_error,
        )
        self.polling = True
        log.info("bot_polling_started")
        try:
            while True:
                await asyncio.sleep(ELECTION_INTERVAL)
                await still_leader()
        finally:
            self.polling = False
            if updater.running:
                await updater.stop()
            log.info("bot_polling_stopped")


async def _nothing() -> None:
    return None


def _polling_error(exc: TelegramError) -> None:
    log.warning("bot_polling_error", extra={"error": str(exc)})
