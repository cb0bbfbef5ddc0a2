"""Flat handlers, one per command or button: check who asks, parse, call a service, answer.

The only things sent from here are the reply to the person (or the answer to their press);
every effect goes through the store and the outbox, and the pipeline edits the messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from hub.bot import actions, replies, services
from hub.bot.args import (
    ArgError,
    SilenceArgs,
    parse_ack,
    parse_history,
    parse_incident,
    parse_incidents,
    parse_silence,
    parse_stats,
    parse_unsilence,
    split_args,
)
from hub.bot.permissions import Command, Refused, decide
from hub.bot.replies import escape
from hub.bot.services import BotServices, NotFoundError
from hub.channels.callbacks import CallbackAction, CallbackData, parse_callback_data
from hub.config.bot import BotUserConfig
from hub.remediate.service import ActionError
from hub.store.acks import AckError

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")
BUTTON_COMMANDS = {
    CallbackAction.ACK: Command.ACK,
    CallbackAction.SILENCE: Command.SILENCE,
    CallbackAction.RESTART: Command.APPROVE,
}


class BotApplication(Application[Any, Any, Any, Any, Any, Any]):
    """python-telegram-bot's Application, holding the hub services its handlers call."""

    def __init__(self, *, services: BotServices, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


def hub_services(context: Context) -> BotServices:
    app = context.application
    assert isinstance(app, BotApplication)
    return app.services


def _command_of(update: Update) -> str:
    """``/ack`` or ``button:ack`` for the audit; empty for anything else."""
    if update.callback_query is not None:
        return f"button:{(update.callback_query.data or '').split(':', 1)[0][:32]}"
    text = update.effective_message.text if update.effective_message else None
    if text and text.startswith("/"):
        return text.split(maxsplit=1)[0].split("@", 1)[0][:48]
    return ""


async def admit(update: Update, context: Context) -> None:
    """Group -1: take each update once (across replicas), then hold back floods per person."""
    command = _command_of(update)
    user, chat = update.effective_user, update.effective_chat
    if not command or user is None:
        raise ApplicationHandlerStop  # chatter, channel posts: not for the bot
    svc = hub_services(context)
    chat_id = chat.id if chat else None
    if not await services.take_update(svc, update.update_id, user.id, chat_id, command):
        log.info("bot_update_duplicate", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop
    verdict = svc.limiter.check(user.id, svc.clock())
    if verdict.allowed:
        return
    await services.audit(svc, update.update_id, "rate_limited")
    log.warning("bot_rate_limited", extra={"user_id": user.id, "command": command})
    text = "Too many requests; wait a minute and try again."
    if update.callback_query is not None:
        await update.callback_query.answer(text)
    elif verdict.warn and update.effective_message is not None:
        await update.effective_message.reply_text(text)
    raise ApplicationHandlerStop


async def answer(
    update: Update, context: Context, html: str, outcome: str = "done", reason: str = ""
) -> None:
    """Answer in the chat (HTML), then keep the outcome in the audit (the person waits less)."""
    if update.effective_message is not None:
        await update.effective_message.reply_html(html, disable_web_page_preview=True)
    await services.audit(hub_services(context), update.update_id, outcome, reason)


async def permitted(update: Update, context: Context, command: Command) -> BotUserConfig | None:
    """The person if they may run ``command`` here; otherwise refuse politely and audit it."""
    svc = hub_services(context)
    user, chat = update.effective_user, update.effective_chat
    person = svc.config.user(user.id) if user else None
    chat_id = chat.id if chat else None
    decision = decide(person, chat_id, svc.config.allowed_chats, command)
    if not isinstance(decision, Refused):
        return decision.person
    user_id = user.id if user else 0
    text = replies.refusal_text(decision, command, user_id, chat_id)
    log.warning(
        "bot_refused",
        extra={"user_id": user_id, "chat_id": chat_id, "command": command.value,
               "reason": decision.reason.value},
    )  # fmt: skip
    if update.callback_query is not None:
        await update.callback_query.answer(replies.as_answer(text), show_alert=True)
        await services.audit(svc, update.update_id, "refused", decision.reason.value)
    else:
        await answer(update, context, escape(text), "refused", decision.reason.value)
    return None


def _tokens(update: Update) -> list[str]:
    text = update.effective_message.text if update.effective_message else ""
    parts = (text or "").split(maxsplit=1)
    return split_args(parts[1]) if len(parts) > 1 else []


async def parsed_args(
    update: Update, context: Context, parse: Callable[[list[str]], T]
) -> T | None:
    """The arguments, or None after telling the person what to type instead."""
    try:
        return parse(_tokens(update))
    except ArgError as exc:
        await answer(update, context, escape(str(exc)), "invalid", str(exc))
        return None


def _handle(update: Update) -> str | None:
    user = update.effective_user
    return f"@{user.username}" if user and user.username else None


async def help_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.HELP)) is not None:
        await answer(update, context, replies.help_text(person))


async def whoami_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.WHOAMI)) is not None:
        user = update.effective_user
        assert user is not None
        await answer(update, context, replies.whoami_text(person, user.id, user.username))


async def unknown_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.HELP) is not None:
        name = escape(_command_of(update))
        await answer(update, context, f"{name} is not a command here; /help lists them.", "invalid")


async def incidents_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.INCIDENTS) is None:
        return
    if (args := await parsed_args(update, context, parse_incidents)) is None:
        return
    page = await services.open_incidents(hub_services(context), args)
    query = " ".join(str(m) for m in args.matchers)
    await answer(update, context, replies.incidents_text(page, query))


async def incident_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.INCIDENT) is None:
        return
    if (incident_id := await parsed_args(update, context, parse_incident)) is None:
        return
    try:
        found = await services.incident(hub_services(context), incident_id)
    except NotFoundError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, replies.incident_text(found))


async def history_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.HISTORY) is None:
        return
    now = hub_services(context).clock()
    if (args := await parsed_args(update, context, lambda t: parse_history(t, now))) is None:
        return
    items = await services.history(hub_services(context), args)
    await answer(update, context, replies.history_text(items, args.alertname))


async def stats_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.STATS) is None:
        return
    now = hub_services(context).clock()
    if (since := await parsed_args(update, context, lambda t: parse_stats(t, now))) is None:
        return
    found = await services.stats(hub_services(context), since)
    await answer(update, context, replies.stats_text(found, since))


async def ack_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.ACK)) is None:
        return
    if (args := await parsed_args(update, context, parse_ack)) is None:
        return
    try:
        result = await services.ack(
            hub_services(context), args.incident_id, by=person.name, handle=_handle(update),
            comment=args.comment,
        )  # fmt: skip
    except AckError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, escape(replies.ack_text(result)))


async def silence_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.SILENCE)) is None:
        return
    if (args := await parsed_args(update, context, parse_silence)) is None:
        return
    try:
        outcome = await services.silence(hub_services(context), args, by=person.name)
    except NotFoundError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, escape(replies.silence_text(outcome)))


async def unsilence_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.UNSILENCE) is None:
        return
    if (silence_id := await parsed_args(update, context, parse_unsilence)) is None:
        return
    try:
        outcome = await services.unsilence(hub_services(context), silence_id)
    except NotFoundError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, escape(replies.unsilence_text(outcome)))


async def button(update: Update, context: Context) -> None:
    """A press on a message's button: answered always, acted on only for the right role."""
    query = update.callback_query
    assert query is not None
    svc = hub_services(context)
    try:
        data = parse_callback_data(query.data or "")
    except ValueError as exc:
        await query.answer("This button is not understood any more; /help", show_alert=True)
        await services.audit(svc, update.update_id, "refused", f"unknown_button: {exc}")
        return
    person = await permitted(update, context, BUTTON_COMMANDS[data.action])
    if person is None:
        return
    outcome, text = await _press(svc, data, person, _handle(update))
    await query.answer(replies.as_answer(text), show_alert=outcome != "done")
    await services.audit(svc, update.update_id, outcome, "" if outcome == "done" else text)


async def _press(
    svc: BotServices, data: CallbackData, person: BotUserConfig, handle: str | None
) -> tuple[str, str]:
    try:
        match data.action:
            case CallbackAction.ACK:
                result = await services.ack(
                    svc, data.subject_id, by=person.name, handle=handle, comment=""
                )
                return "done", replies.ack_text(result)
            case CallbackAction.RESTART:
                row = await actions.approve(svc, svc.remediation, data.subject_id, by=person.name)
                return "done", replies.action_text(row)
        assert data.duration is not None
        args = SilenceArgs(data.subject_id, (), data.duration, "Silence button")
        return "done", replies.silence_text(await services.silence(svc, args, by=person.name))
    except (AckError, NotFoundError, ActionError) as exc:
        return "failed", str(exc)


async def on_error(update: object, context: Context) -> None:
    """Log first; then tell the person, if there is one, that it did not work."""
    log.error("bot_handler_failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        await services.audit(
            hub_services(context), update.update_id, "failed", repr(context.error)[:500]
        )
        text = "Something went wrong on the hub's side; it is in its log."
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
    except (TelegramError, SQLAlchemyError, OSError) as exc:
        log.warning("bot_error_reply_failed", extra={"error": str(exc)})
