"""MuteStage: silences and inhibition are one stage over a one-method Muter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from hub.model.reasons import SuppressReason
from hub.pipeline.stage import Alerts, FlushContext, IncidentView, ReceiverContext
from hub.pipeline.suppress import record_suppressed
from hub.routing.inhibit import InhibitRule, inhibited_by
from hub.routing.matchers import MatchType
from hub.store.schema import OPEN_INCIDENT, incidents


class Muter(Protocol):
    """Says which firing incidents must not be told to anyone right now."""

    @property
    def reason(self) -> SuppressReason: ...

    async def muted(self, ctx: FlushContext, alerts: Alerts) -> set[int]: ...


@dataclass(frozen=True)
class MuteStage:
    """Drop muted firing incidents and record why; resolved ones pass."""

    muter: Muter

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        muted_ids = await self.muter.muted(ctx, [a for a in alerts if a.is_firing])
        if not muted_ids:
            return alerts
        muted = [a for a in alerts if a.id in muted_ids]
        await record_suppressed(ctx, muted, self.muter.reason)
        return [a for a in alerts if a.id not in muted_ids]


@dataclass(frozen=True)
class InhibitMuter:
    """Alertmanager's inhibit rules, evaluated against the hub's open incidents."""

    rules: Sequence[InhibitRule]
    reason: SuppressReason = SuppressReason.INHIBITED

    async def muted(self, ctx: FlushContext, alerts: Alerts) -> set[int]:
        if not self.rules or not alerts:
            return set()
        sources = await _open_labels(ctx, _source_alertnames(self.rules))
        return {a.id for a in alerts if _is_inhibited(self.rules, a, sources)}


def _is_inhibited(
    rules: Sequence[InhibitRule], alert: IncidentView, sources: Sequence[Mapping[str, str]]
) -> bool:
    return inhibited_by(rules, alert.labels, sources) is not None


def _source_alertnames(rules: Sequence[InhibitRule]) -> frozenset[str] | None:
    """The alertnames sources can have, when every rule pins one (``alertname="X"``)."""
    names: set[str] = set()
    for rule in rules:
        pinned = [
            m.value
            for m in rule.source_matchers
            if m.name == "alertname" and m.op is MatchType.EQUAL
        ]
        if not pinned:
            return None
        names.update(pinned)
    return frozenset(names)


async def _open_labels(
    ctx: FlushContext, alertnames: frozenset[str] | None
) -> list[dict[str, str]]:
    """Labels of open incidents that could be sources; narrowed by alertname when possible."""
    stmt = select(incidents.c.labels).where(OPEN_INCIDENT)
    if alertnames is not None:
        stmt = stmt.where(incidents.c.alertname.in_(alertnames))
    rows = await ctx.conn.execute(stmt)
    return [row.labels for row in rows]
