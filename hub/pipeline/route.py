"""RouteStage: the hub's route tree picks the receivers; each gets its own branch."""

from __future__ import annotations

from dataclasses import dataclass

from hub.pipeline.stage import Alerts, FlushContext, IncidentView, Stage
from hub.routing.tree import Route, match_receivers


@dataclass(frozen=True)
class RouteStage:
    """Split the flushed incidents by receiver and run the receiver branch for each.

    Branches share the flush's transaction, so they run one after another; delivery,
    where the slow I/O is, runs side by side later from the outbox.
    """

    root: Route
    branch: Stage

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        by_receiver: dict[str, list[IncidentView]] = {}
        for alert in alerts:
            for receiver in match_receivers(self.root, alert.labels):
                by_receiver.setdefault(receiver, []).append(alert)
        passed: list[IncidentView] = []
        for receiver, subset in by_receiver.items():
            passed.extend(await self.branch.run(ctx.for_receiver(receiver), subset))
        return passed
