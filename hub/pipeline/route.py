"""RouteStage: the hub's route tree picks the receivers; each gets its own branch."""

from __future__ import annotations

from dataclasses import dataclass

from hub.pipeline.stage import Alerts, FlushContext, IncidentView, ReceiverContext, Stage
from hub.routing.tree import Route, match_routes


@dataclass(frozen=True)
class RouteStage:
    """Split the flushed incidents by receiver and run the receiver branch for each.

    Branches share the flush's transaction, so they run one after another; delivery,
    where the slow I/O is, runs side by side later from the outbox. A re-run deferred
    for one receiver (``FlushBody.only_receiver``) runs only that receiver's branch.
    """

    root: Route
    branch: Stage[ReceiverContext]

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        by_receiver: dict[str, list[IncidentView]] = {}
        routes: dict[str, Route] = {}
        for alert in alerts:
            for route in match_routes(self.root, alert.labels):
                if not ctx.flush.covers(route.receiver):
                    continue
                routes.setdefault(route.receiver, route)
                subset = by_receiver.setdefault(route.receiver, [])
                if alert not in subset:
                    subset.append(alert)
        passed: list[IncidentView] = []
        for receiver, subset in by_receiver.items():
            branch_ctx = ctx.for_receiver(receiver, routes[receiver])
            passed.extend(await self.branch.run(branch_ctx, subset))
        return passed
