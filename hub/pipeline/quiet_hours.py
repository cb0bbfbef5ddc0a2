"""QuietHoursStage: inside a route's quiet hours, non-critical news waits for the window's end."""

from __future__ import annotations

from dataclasses import dataclass

from hub.model.reasons import SuppressReason
from hub.pipeline.hold import hold, is_critical, is_news
from hub.pipeline.stage import Alerts, ReceiverContext


@dataclass(frozen=True)
class QuietHoursStage:
    """The route's ``quiet_hours`` (``hub.model.quiet_hours``) hold news for
    the digest sent when the window ends."""

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        quiet = ctx.route.quiet_hours
        if quiet is None or not is_news(ctx) or is_critical(alerts):
            return alerts
        if not quiet.is_active_at(ctx.now):
            return alerts
        await hold(ctx, alerts, SuppressReason.QUIET_HOURS, quiet.ends_after(ctx.now))
        return []
