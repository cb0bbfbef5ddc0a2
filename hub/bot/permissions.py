"""Who may do what, where: a pure decision over the person's role, the chat and the command."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from hub.config.bot import BotUserConfig, Role


class Command(StrEnum):
    """Everything the bot does for people; buttons map onto the command they stand for."""

    HELP = "help"
    WHOAMI = "whoami"
    INCIDENTS = "incidents"
    INCIDENT = "incident"
    HISTORY = "history"
    STATS = "stats"
    ACK = "ack"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    ACTIONS = "actions"
    RESTART = "restart"
    APPROVE = "approve"
    REJECT = "reject"
    PAUSE = "pause"
    RESUME = "resume"
    CIRCUIT_RESET = "circuit_reset"


_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}
NEEDS: dict[Command, Role] = {
    Command.HELP: Role.VIEWER,
    Command.WHOAMI: Role.VIEWER,
    Command.INCIDENTS: Role.VIEWER,
    Command.INCIDENT: Role.VIEWER,
    Command.HISTORY: Role.VIEWER,
    Command.STATS: Role.VIEWER,
    Command.ACK: Role.RESPONDER,
    Command.SILENCE: Role.RESPONDER,
    Command.UNSILENCE: Role.RESPONDER,
    Command.ACTIONS: Role.VIEWER,
    Command.RESTART: Role.OPERATOR,
    Command.APPROVE: Role.OPERATOR,
    Command.REJECT: Role.OPERATOR,
    Command.PAUSE: Role.ADMIN,
    Command.RESUME: Role.ADMIN,
    Command.CIRCUIT_RESET: Role.ADMIN,
}


class RefusalReason(StrEnum):
    """Why a person is turned away; recorded in the audit and as a metric label."""

    UNKNOWN_USER = "unknown_user"
    CHAT_NOT_ALLOWED = "chat_not_allowed"
    ROLE_TOO_LOW = "role_too_low"


@dataclass(frozen=True)
class Allowed:
    person: BotUserConfig


@dataclass(frozen=True)
class Refused:
    reason: RefusalReason
    needs: Role | None = None


def may(role: Role, command: Command) -> bool:
    """Whether ``role`` includes what ``command`` needs."""
    return _RANK[role] >= _RANK[NEEDS[command]]


def decide(
    person: BotUserConfig | None,
    chat_id: int | None,
    allowed_chats: Collection[int],
    command: Command,
) -> Allowed | Refused:
    """Allowed only for a listed person, in a listed chat, with a role that covers the command."""
    if person is None:
        return Refused(RefusalReason.UNKNOWN_USER)
    if chat_id is None or chat_id not in allowed_chats:
        return Refused(RefusalReason.CHAT_NOT_ALLOWED)
    if not may(person.role, command):
        return Refused(RefusalReason.ROLE_TOO_LOW, NEEDS[command])
    return Allowed(person)


def commands_for(role: Role) -> list[Command]:
    """The commands a role may use, in the order ``/help`` lists them."""
    return [c for c in Command if may(role, c)]
