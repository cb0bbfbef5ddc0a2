"""The Telegram bot inside the hub's server: its lifetime, and ``POST /api/v1/telegram/webhook``."""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator

from aiohttp import web

from hub.api.errors import json_error
from hub.api.keys import BOT, CLOCK, CONFIG, ENGINE, METRICS, WORKER
from hub.api.silences import silencer
from hub.bot.build import build_bot
from hub.bot.ratelimit import RateLimiter
from hub.bot.runner import BotRunner
from hub.bot.services import BotServices, Remediation
from hub.remediate.messages import ActionEdits
from hub.store.group_commit import GroupCommit

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


async def bot_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the bot after the store, worker and Alertmanager link; stop it before them."""
    config = app[CONFIG]
    if config.telegram_bot is None:
        yield
        return
    worker = app.get(WORKER)
    services = BotServices(
        engine=app[ENGINE],
        clock=app[CLOCK],
        silencer=silencer(app),
        wake=worker.wake if worker is not None else _no_wake,
        config=config.telegram_bot,
        external_url=config.external_url,
        limiter=RateLimiter(config.telegram_bot.commands_per_minute),
        commits=GroupCommit(app[ENGINE]),
        remediation=Remediation(config.remediation, app[METRICS], ActionEdits.from_config(config)),
    )
    runner = BotRunner(build_bot(services), app[ENGINE])
    app[BOT] = runner
    runner.start()
    yield
    await runner.stop()


def _no_wake() -> None:
    return None


async def telegram_webhook_handler(request: web.Request) -> web.Response:
    """Take an update Telegram posts; only with the secret it was given at ``setWebhook``."""
    app = request.app
    bot_config = app[CONFIG].telegram_bot
    assert bot_config is not None  # the route exists only in webhook mode,
    assert bot_config.webhook_secret is not None  # which needs a secret
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, bot_config.webhook_secret.get_secret_value().encode()):
        problem = "missing" if not given else "wrong"
        return json_error(401, f"{SECRET_HEADER}: {problem} secret token")
    runner = app.get(BOT)
    if runner is None or not runner.ready:
        return json_error(503, "the bot is starting", headers={"Retry-After": "5"})
    try:
        body = json.loads(await request.read())
    except ValueError:
        return json_error(400, "body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
        return json_error(400, "update_id: a Telegram update carries an integer update_id")
    try:
        await runner.feed(body)
    except (TypeError, KeyError, ValueError) as exc:
        return json_error(400, f"not a Telegram update: {type(exc).__name__}")
    return web.json_response({"ok": True})
