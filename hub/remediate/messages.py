"""Actions in the alert message: the lines to show, and in-place edits when they change.

Lines are read when a message is rendered, so a message still on its way shows the
latest state; edits bring messages already sent up to date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.channels.registry import channel_keys
from hub.config.models import HubConfig
from hub.model.labels import common_labels
from hub.model.notify import NotifyKind
from hub.model.outbox import MessageBody
from hub.model.reasons import NotifyReason
from hub.pipeline.enqueue import enqueue_deliveries
from hub.remediate.lines import action_line, suggestion_line
from hub.remediate.model import ActionKind, ActionStatus
from hub.remediate.store import actions_of_incidents, suggestions_of_incidents
from hub.store.schema import OPEN_INCIDENT, incidents


async def load_action_lines(conn: AsyncConnection, incident_ids: Sequence[int]) -> tuple[str, ...]:
    """The lines for a message about these incidents, oldest first, each once."""
    rows = await actions_of_incidents(conn, incident_ids)
    suggestions = await suggestions_of_incidents(conn, incident_ids)
    if not rows and not suggestions:
        return ()
    resolved = dict(
        (
            await conn.execute(
                select(incidents.c.id, incidents.c.resolved_at).where(
                    incidents.c.id.in_(incident_ids)
                )
            )
        ).all()
    )
    lines = [action_line(r, resolved.get(r.incident_id)) for r in rows]
    lines += [suggestion_line(d) for d in suggestions]
    return tuple(dict.fromkeys(lines))


async def pending_restart(
    conn: AsyncConnection, incident_ids: Sequence[int], now: datetime
) -> tuple[int, str] | None:
    """The newest restart of these incidents still waiting for approval: (action id, name)."""
    waiting = [
        a
        for a in await actions_of_incidents(conn, incident_ids)
        if a.action is ActionKind.ROLLOUT_RESTART
        and a.status is ActionStatus.PENDING_APPROVAL
        and (a.expires_at is None or a.expires_at > now)
    ]
    return (waiting[-1].id, waiting[-1].target_name) if waiting else None


@dataclass(frozen=True)
class ActionEdits:
    """Queues in-place edits of an incident's group message on each channel of its receiver.

    An edit row waits behind the group's first message and earlier edits, and is dropped
    (``edit_only``) where no message was ever sent.
    """

    channels: Mapping[str, Sequence[str]]

    @classmethod
    def from_config(cls, config: HubConfig) -> ActionEdits:
        return cls({r.name: channel_keys(r) for r in config.receivers})

    async def enqueue(
        self, conn: AsyncConnection, incident_id: int, transition: str, now: datetime
    ) -> None:
        incident = (
            await conn.execute(
                select(incidents.c.group_key, incidents.c.receiver).where(
                    incidents.c.id == incident_id
                )
            )
        ).first()
        if incident is None or not self.channels.get(incident.receiver):
            return
        group = (
            await conn.execute(
                select(incidents.c.id, incidents.c.labels, incidents.c.acked_by)
                .where(incidents.c.group_key == incident.group_key)
                .where(incidents.c.receiver == incident.receiver, OPEN_INCIDENT)
                .order_by(incidents.c.id)
            )
        ).all()
        if not group:
            return  # all resolved: the resolve message read the actions when it was sent
        acked = all(r.acked_by for r in group)
        message = MessageBody(
            receiver=incident.receiver,
            group_key=incident.group_key,
            incident_ids=tuple(r.id for r in group),
            common_labels=common_labels([r.labels for r in group]),
            reason=NotifyReason.ACTION_UPDATE,
            kind=NotifyKind.ACKNOWLEDGED if acked else NotifyKind.FIRING,
            in_place=True,
            edit_only=True,
        )
        channels = self.channels[incident.receiver]
        await enqueue_deliveries(conn, channels, message, f"action|{transition}", now)
