"""``build_bot``: every command and button the bot answers, registered in one place."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from hub.bot import handlers
from hub.bot import remediation_handlers as remediation
from hub.bot.handlers import BotApplication
from hub.bot.services import BotServices
from hub.config.bot import BotMode

POLL_TIMEOUT = timedelta(seconds=10)
ALLOWED_UPDATES = ("message", "callback_query")
_REQUEST_TIMEOUT = 10.0
_CONCURRENT_UPDATES = 16


def _request(read_timeout: float, pool: int) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool,
        connect_timeout=_REQUEST_TIMEOUT,
        read_timeout=read_timeout,
        write_timeout=_REQUEST_TIMEOUT,
        pool_timeout=_REQUEST_TIMEOUT,
    )


def build_bot(services: BotServices) -> BotApplication:
    """The python-telegram-bot application: admission first, then one handler per command."""
    config = services.config
    assert config.bot_token is not None  # the config refuses a bot without one
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication, {"services": services})
        .token(config.bot_token.get_secret_value())
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        .request(_request(_REQUEST_TIMEOUT, _CONCURRENT_UPDATES))
        .get_updates_request(_request(POLL_TIMEOUT.total_seconds() + _REQUEST_TIMEOUT, 1))
        .concurrent_updates(_CONCURRENT_UPDATES)
        .job_queue(None)
    )
    if config.mode is BotMode.WEBHOOK:
        builder = builder.updater(None)  # updates arrive on the hub's own route
    app = builder.build()
    assert isinstance(app, BotApplication)
    app.add_handler(TypeHandler(Update, handlers.admit), group=-1)
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("start", handlers.help_command))
    app.add_handler(CommandHandler("whoami", handlers.whoami_command))
    app.add_handler(CommandHandler("incidents", handlers.incidents_command))
    app.add_handler(CommandHandler("incident", handlers.incident_command))
    app.add_handler(CommandHandler("history", handlers.history_command))
    app.add_handler(CommandHandler("stats", handlers.stats_command))
    app.add_handler(CommandHandler("ack", handlers.ack_command))
    app.add_handler(CommandHandler("silence", handlers.silence_command))
    app.add_handler(CommandHandler("unsilence", handlers.unsilence_command))
    app.add_handler(CommandHandler("actions", remediation.actions_command))
    app.add_handler(CommandHandler("restart", remediation.restart_command))
    app.add_handler(CommandHandler("approve", remediation.approve_command))
    app.add_handler(CommandHandler("reject", remediation.reject_command))
    app.add_handler(CommandHandler("pause", remediation.pause_command))
    app.add_handler(CommandHandler("resume", remediation.resume_command))
    app.add_handler(CommandHandler("circuit_reset", remediation.circuit_reset_command))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_error_handler(handlers.on_error)
    return app
