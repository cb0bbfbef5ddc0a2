"""Silences in the store: the rows, their state at a given time, and the incidents they cover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.routing.matchers import Matcher, all_match, parse_matcher
from hub.store.schema import OPEN_INCIDENT, incidents, silences


class SilenceState(StrEnum):
    """Where a silence stands at a given time, as Alertmanager names it."""

    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class NewSilence:
    """A validated silence to store; ``matchers`` are already parsed."""

    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


@dataclass(frozen=True)
class Silence:
    """One stored silence; it applies while ``starts_at <= now < ended_at``."""

    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    updated_at: datetime
    expired_at: datetime | None
    alertmanager_id: str | None
    owner_warned_at: datetime | None

    @property
    def ended_at(self) -> datetime:
        """When it stops applying: its ``ends_at``, or earlier if it was expired by hand."""
        if self.expired_at is not None and self.expired_at < self.ends_at:
            return self.expired_at
        return self.ends_at

    def state_at(self, now: datetime) -> SilenceState:
        if now >= self.ended_at:
            return SilenceState.EXPIRED
        if now < self.starts_at:
            return SilenceState.PENDING
        return SilenceState.ACTIVE

    def is_active_at(self, now: datetime) -> bool:
        return self.state_at(now) is SilenceState.ACTIVE

    def covers(self, labels: Mapping[str, str]) -> bool:
        """Whether the label set matches every matcher of this silence."""
        return all_match(self.matchers, labels)

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [str(m) for m in self.matchers],
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "created_by": self.created_by,
            "comment": self.comment,
            "state": self.state_at(now).value,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "expired_at": _iso(self.expired_at),
            "alertmanager_id": self.alertmanager_id,
            "owner_warned_at": _iso(self.owner_warned_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _silence(row: Any) -> Silence:
    return Silence(
        id=row.id,
        matchers=tuple(parse_matcher(text) for text in row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expired_at=row.expired_at,
        alertmanager_id=row.alertmanager_id,
        owner_warned_at=row.owner_warned_at,
    )


def _state_clause(state: SilenceState, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of ``Silence.state_at``."""
    c = silences.c
    not_expired = or_(c.expired_at.is_(None), c.expired_at > now)
    if state is SilenceState.EXPIRED:
        return or_(c.ends_at <= now, and_(c.expired_at.is_not(None), c.expired_at <= now))
    if state is SilenceState.PENDING:
        return and_(c.starts_at > now, c.ends_at > now, not_expired)
    return and_(c.starts_at <= now, c.ends_at > now, not_expired)


async def insert_silence(conn: AsyncConnection, new: NewSilence, now: datetime) -> Silence:
    row = (
        await conn.execute(
            silences.insert()
            .values(
                matchers=[str(m) for m in new.matchers],
                starts_at=new.starts_at,
                ends_at=new.ends_at,
                created_by=new.created_by,
                comment=new.comment,
                created_at=now,
                updated_at=now,
            )
            .returning(*silences.c)
        )
    ).one()
    return _silence(row)


async def get_silence(conn: AsyncConnection, silence_id: int) -> Silence | None:
    row = (await conn.execute(select(silences).where(silences.c.id == silence_id))).first()
    return None if row is None else _silence(row)


async def list_silences(
    conn: AsyncConnection, now: datetime, state: SilenceState | None = None
) -> list[Silence]:
    """Newest first; only those in ``state`` at ``now`` when given."""
    stmt = select(silences).order_by(silences.c.id.desc())
    if state is not None:
        stmt = stmt.where(_state_clause(state, now))
    return [_silence(row) for row in await conn.execute(stmt)]


async def active_silences(conn: AsyncConnection, now: datetime) -> list[Silence]:
    return await list_silences(conn, now, SilenceState.ACTIVE)


async def expire_silence(conn: AsyncConnection, silence_id: int, now: datetime) -> Silence | None:
    """Stop a silence now; one already expired is left as it is. None when there is none."""
    await conn.execute(
        silences.update()
        .where(silences.c.id == silence_id, ~_state_clause(SilenceState.EXPIRED, now))
        .values(expired_at=now, updated_at=now)
    )
    return await get_silence(conn, silence_id)


async def set_alertmanager_id(
    conn: AsyncConnection, silence_id: int, alertmanager_id: str, now: datetime
) -> None:
    await conn.execute(
        silences.update()
        .where(silences.c.id == silence_id)
        .values(alertmanager_id=alertmanager_id, updated_at=now)
    )


async def mark_owner_warned(conn: AsyncConnection, silence_id: int, now: datetime) -> None:
    await conn.execute(
        silences.update()
        .where(silences.c.id == silence_id)
        .values(owner_warned_at=now, updated_at=now)
    )


@dataclass(frozen=True)
class CoveredIncident:
    """A still-firing incident a silence matches, with the Alertmanager group it came in."""

    id: int
    receiver: str
    group_key: str


async def firing_covered(conn: AsyncConnection, silence: Silence) -> list[CoveredIncident]:
    """Open incidents whose labels the silence matches (matched in Python, like the muter)."""
    rows = await conn.execute(
        select(incidents.c.id, incidents.c.receiver, incidents.c.group_key, incidents.c.labels)
        .where(OPEN_INCIDENT)
        .order_by(incidents.c.id)
    )
    return [
        CoveredIncident(row.id, row.receiver, row.group_key)
        for row in rows
        if silence.covers(row.labels)
    ]


async def open_group_members(
    conn: AsyncConnection, receiver: str, group_key: str
) -> Sequence[tuple[int, dict[str, str], dict[str, str]]]:
    """``(id, labels, annotations)`` of every open incident of one Alertmanager group."""
    rows = await conn.execute(
        select(incidents.c.id, incidents.c.labels, incidents.c.annotations)
        .where(OPEN_INCIDENT)
        .where(incidents.c.receiver == receiver, incidents.c.group_key == group_key)
        .order_by(incidents.c.id)
    )
    return [(row.id, row.labels, row.annotations) for row in rows]
