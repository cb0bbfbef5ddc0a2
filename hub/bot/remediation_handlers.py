"""Flat handlers of the remediation commands; they call what the actions API calls."""

from __future__ import annotations

from functools import partial

from telegram import Update

from hub.bot import actions, replies
from hub.bot.args import parse_action_id, parse_nothing, parse_target
from hub.bot.handlers import Context, answer, hub_services, parsed_args, permitted
from hub.bot.permissions import Command
from hub.bot.replies import escape
from hub.bot.services import NotFoundError
from hub.remediate.service import ActionError


async def actions_command(update: Update, context: Context) -> None:
    if await permitted(update, context, Command.ACTIONS) is None:
        return
    if await parsed_args(update, context, partial(parse_nothing, command="actions")) is None:
        return
    await answer(update, context, replies.actions_text(await actions.recent(hub_services(context))))


async def restart_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.RESTART)) is None:
        return
    if (
        target := await parsed_args(update, context, partial(parse_target, command="restart"))
    ) is None:
        return
    svc = hub_services(context)
    try:
        row = await actions.request_restart(svc, svc.remediation, target, by=person.name)
    except (NotFoundError, ActionError) as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, escape(replies.action_text(row)))


async def approve_command(update: Update, context: Context) -> None:
    await _decide(update, context, Command.APPROVE, actions.approve)


async def reject_command(update: Update, context: Context) -> None:
    await _decide(update, context, Command.REJECT, actions.reject)


async def _decide(
    update: Update, context: Context, command: Command, decide: actions.Decide
) -> None:
    if (person := await permitted(update, context, command)) is None:
        return
    parse = partial(parse_action_id, command=command.value)
    if (action_id := await parsed_args(update, context, parse)) is None:
        return
    svc = hub_services(context)
    try:
        row = await decide(svc, svc.remediation, action_id, by=person.name)
    except ActionError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(update, context, escape(replies.action_text(row)))


async def pause_command(update: Update, context: Context) -> None:
    await _switch(update, context, Command.PAUSE, paused=True)


async def resume_command(update: Update, context: Context) -> None:
    await _switch(update, context, Command.RESUME, paused=False)


async def _switch(update: Update, context: Context, command: Command, *, paused: bool) -> None:
    if (person := await permitted(update, context, command)) is None:
        return
    if await parsed_args(update, context, partial(parse_nothing, command=command.value)) is None:
        return
    await actions.pause(hub_services(context), paused, by=person.name)
    text = "Remediation paused: nothing runs until /resume." if paused else "Remediation resumed."
    await answer(update, context, text)


async def circuit_reset_command(update: Update, context: Context) -> None:
    if (person := await permitted(update, context, Command.CIRCUIT_RESET)) is None:
        return
    parse = partial(parse_target, command="circuit_reset")
    if (target := await parsed_args(update, context, parse)) is None:
        return
    try:
        where = await actions.reset_circuit(hub_services(context), target, by=person.name)
    except NotFoundError as exc:
        await answer(update, context, escape(str(exc)), "failed", str(exc))
        return
    await answer(
        update, context, escape(f"Circuit of {where} closed: auto-remediation may act again.")
    )
