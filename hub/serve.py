"""Start-up checks, the listening server, a graceful stop on SIGTERM, config reload on SIGHUP."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.api.keys import RELOADER, RUNBOOKS
from hub.app import create_app
from hub.banner import banner
from hub.config.loader import LoadedConfig
from hub.config.models import DatabaseConfig, HubConfig, split_listen
from hub.logs import register_secret
from hub.store import migrate
from hub.store.engine import build_engine

log = logging.getLogger("hub.serve")


class StartupError(Exception):
    """The hub cannot start; the message is the one line the operator sees."""


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _check_schema(engine: AsyncEngine, cfg: DatabaseConfig) -> None:
    try:
        if cfg.auto_migrate:
            await migrate.upgrade(engine)
            return
        current = await migrate.current_revisions(engine)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise StartupError(
            f"database unreachable at {_safe_url(cfg.url)}: {type(exc).__name__}: {exc}"
        ) from None
    if current != migrate.head_revisions():
        raise StartupError(
            f"database schema is at {sorted(current) or 'nothing'}, the code needs"
            f" {sorted(migrate.head_revisions())}; run `alerthub db upgrade --config ...`"
            " or set database.auto_migrate: true"
        )


async def upgrade_database(cfg: DatabaseConfig) -> str:
    """``alerthub db upgrade``: migrate to head and say where the schema is."""
    engine = build_engine(cfg)
    try:
        await _check_schema(engine, cfg.model_copy(update={"auto_migrate": True}))
        return ",".join(sorted(await migrate.current_revisions(engine)))
    finally:
        await engine.dispose()


def _register_secrets(cfg: HubConfig) -> None:
    bot = cfg.telegram_bot
    bot_secrets = (bot.bot_token, bot.webhook_secret) if bot else ()
    for token in (cfg.intake.token, cfg.api.token, *bot_secrets):
        if token is not None:
            register_secret(token.get_secret_value())
    url = make_url(cfg.database.url)
    register_secret(url.password if isinstance(url.password, str) else None)


async def _reload(app: web.Application) -> None:
    """SIGHUP: the whole config (and with it the runbooks), like ``POST /-/reload``."""
    await app[RELOADER].reload()


def _start_reload(app: web.Application, tasks: set[asyncio.Task[None]]) -> None:
    if RUNBOOKS not in app:
        log.warning("config_reload_skipped", extra={"why": "not started yet"})
        return
    task = asyncio.create_task(_reload(app))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def serve(loaded: LoadedConfig, config_path: str | None = None) -> None:
    """Run until SIGTERM/SIGINT, then stop taking requests and finish the ones in flight."""
    cfg = loaded.config
    _register_secrets(cfg)
    for warning in loaded.warnings:
        log.warning("config_warning", extra={"warning": warning})
    engine = build_engine(cfg.database)
    try:
        await _check_schema(engine, cfg.database)
    finally:
        await engine.dispose()

    host, port = split_listen(cfg.server.listen)
    app = create_app(cfg, config_path=config_path)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=cfg.server.shutdown_timeout.total_seconds(),
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(f"cannot listen on {cfg.server.listen}: {exc.strerror}") from None
    log.info("listening", extra={"listen": cfg.server.listen})
    print(banner(cfg, host, port), file=sys.stderr, flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[None]] = set()
    loop.add_signal_handler(signal.SIGHUP, _start_reload, app, reloads)
    await stop.wait()
    loop.remove_signal_handler(signal.SIGHUP)
    log.info("stopping")
    await runner.cleanup()
    log.info("stopped")
