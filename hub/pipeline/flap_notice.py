"""FlapNoticeStage: firing news about an identity that just started flapping is sent as the
one "flapping" notice (``FlappingStage`` decided it before routing)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hub.config.fatigue import FlappingConfig
from hub.config.types import format_duration
from hub.model.notify import NotifyKind
from hub.model.reasons import NotifyReason
from hub.pipeline.stage import Alerts, ReceiverContext


@dataclass(frozen=True)
class FlapNoticeStage:
    """Rewrites ``ctx.notice``; the message still goes out."""

    config: FlappingConfig

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        notice = ctx.notice
        flapping = ctx.flap_started & notice.state.firing_ids
        if flapping and notice.kind is NotifyKind.FIRING:
            notice = replace(notice, kind=NotifyKind.FLAPPING, reason=NotifyReason.FLAPPING_STARTED)
        if flapping:
            ctx.notice = replace(notice, reason_text=self._text())
        return alerts

    def _text(self) -> str:
        flap = self.config
        return (
            f"fired and resolved {flap.threshold}+ times in {format_duration(flap.window)}"
            f" — muted until stable for {format_duration(flap.stable_for)}"
        )
