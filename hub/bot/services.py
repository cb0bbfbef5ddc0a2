"""What the bot's handlers call: reads and changes through the store and the outbox.

Handlers hold no database code; each function here is one thing a person asked for.
Changes go through the same services as the API (``hub.service``), then wake the worker
so the pipeline edits the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.bot.args import HistoryArgs, IncidentsArgs, SilenceArgs
from hub.bot.ratelimit import RateLimiter
from hub.clock import Clock
from hub.config.bot import TelegramBotConfig
from hub.metrics import HubMetrics
from hub.remediate.config import RemediationConfig
from hub.remediate.messages import ActionEdits
from hub.reports.response import ResponseStats, response_stats
from hub.routing.matchers import Matcher, MatchType, all_match
from hub.service.acks import acknowledge_group
from hub.service.silences import SilenceOutcome, Silencer, create_silence, expire_silence_now
from hub.store.acks import AckResult
from hub.store.bot_updates import claim_update, record_outcome
from hub.store.group_commit import GroupCommit
from hub.store.queries import IncidentQuery, get_incident, list_incidents
from hub.store.reports import load_episodes
from hub.store.silences import NewSilence, open_group_members

PAGE_SIZE = 10
HISTORY_SIZE = 15
OPEN_STATUSES = ("firing", "acknowledged")


class NotFoundError(LookupError):
    """What the person named does not exist; the message is the reply."""


@dataclass(frozen=True)
class Remediation:
    """What remediation commands need besides the store: policies, metrics, message edits."""

    config: RemediationConfig
    metrics: HubMetrics
    edits: ActionEdits


@dataclass(frozen=True)
class BotServices:
    """Everything the handlers reach: store, clock, silencing, the worker's wake-up, config."""

    engine: AsyncEngine
    clock: Clock
    silencer: Silencer
    wake: Callable[[], None]
    config: TelegramBotConfig
    external_url: str
    limiter: RateLimiter
    commits: GroupCommit
    remediation: Remediation


@dataclass(frozen=True)
class IncidentPage:
    items: list[dict[str, Any]]
    page: int
    has_more: bool


async def take_update(
    svc: BotServices, update_id: int, user_id: int | None, chat_id: int | None, command: str
) -> bool:
    """Claim an update for this replica; False if it was handled already.

    Claims and outcomes of updates handled side by side share one commit.
    """
    taken = False

    async def write(conn: AsyncConnection) -> None:
        nonlocal taken  # a failed shared commit is replayed alone, so the last word counts
        taken = await claim_update(
            conn, update_id, user_id=user_id, chat_id=chat_id, command=command, now=svc.clock()
        )

    await svc.commits.run(write)
    return taken


async def audit(svc: BotServices, update_id: int, outcome: str, reason: str = "") -> None:
    """Keep what came of an update (refusals included) next to its claim."""
    await svc.commits.run(
        partial(record_outcome, update_id=update_id, outcome=outcome, reason=reason)
    )


async def open_incidents(svc: BotServices, args: IncidentsArgs) -> IncidentPage:
    """Open incidents matching every matcher, newest first, one page."""
    filters = [partial(all_match, args.matchers)] if args.matchers else []
    query = IncidentQuery(
        statuses=OPEN_STATUSES, label_filters=filters, limit=PAGE_SIZE * args.page
    )
    async with svc.engine.connect() as conn:
        items, more = await list_incidents(conn, query)
    start = PAGE_SIZE * (args.page - 1)
    return IncidentPage(items[start:], args.page, more is not None)


async def incident(svc: BotServices, incident_id: int) -> dict[str, Any]:
    """One incident with its timeline."""
    async with svc.engine.connect() as conn:
        found = await get_incident(conn, incident_id)
    if found is None:
        raise NotFoundError(f"incident {incident_id} not found")
    return found


async def history(svc: BotServices, args: HistoryArgs) -> list[dict[str, Any]]:
    """Resolved incidents since, newest first."""
    query = IncidentQuery(
        statuses=("resolved",), alertname=args.alertname, since=args.since, limit=HISTORY_SIZE
    )
    async with svc.engine.connect() as conn:
        items, _ = await list_incidents(conn, query)
    return items


async def stats(svc: BotServices, since: datetime) -> ResponseStats:
    """MTTA, MTTR and the noisiest alerts of incidents started since."""
    async with svc.engine.connect() as conn:
        return response_stats(await load_episodes(conn, since))


async def ack(
    svc: BotServices, incident_id: int, *, by: str, handle: str | None, comment: str
) -> AckResult:
    """Acknowledge the incident's group; the pipeline edits its messages (raises AckError)."""
    handles = {"telegram": handle} if handle else {}
    result = await acknowledge_group(
        svc.engine, incident_id, by=by, comment=comment, now=svc.clock(), handles=handles
    )
    svc.wake()
    return result


async def group_matchers(svc: BotServices, incident_id: int) -> tuple[Matcher, ...]:
    """What a message stands for: the labels its group's open incidents share."""
    async with svc.engine.connect() as conn:
        found = await get_incident(conn, incident_id)
        if found is None:
            raise NotFoundError(f"incident {incident_id} not found")
        members = await open_group_members(conn, found["receiver"], found["group_key"])
    label_sets = [labels for _, labels, _ in members] or [found["labels"]]
    common = _common(label_sets)
    if not common:
        raise NotFoundError(f"incident {incident_id}'s group shares no labels to silence by")
    return tuple(Matcher(k, MatchType.EQUAL, v) for k, v in sorted(common.items()))


def _common(label_sets: Sequence[Mapping[str, str]]) -> dict[str, str]:
    first = label_sets[0]
    return {k: v for k, v in first.items() if v and all(s.get(k) == v for s in label_sets[1:])}


async def silence(svc: BotServices, args: SilenceArgs, *, by: str) -> SilenceOutcome:
    """Silence an incident's group or the given matchers, mirrored into Alertmanager."""
    matchers = args.matchers
    if args.incident_id is not None:
        matchers = await group_matchers(svc, args.incident_id)
    now = svc.clock()
    new = NewSilence(matchers, now, now + args.duration, by, args.comment or "from Telegram")
    outcome = await create_silence(svc.silencer, new, now)
    svc.wake()
    return outcome


async def unsilence(svc: BotServices, silence_id: int) -> SilenceOutcome:
    """Expire a silence now, here and in Alertmanager."""
    outcome = await expire_silence_now(svc.silencer, silence_id, svc.clock())
    if outcome is None:
        raise NotFoundError(f"silence {silence_id} not found")
    svc.wake()
    return outcome
