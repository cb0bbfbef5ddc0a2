"""``build_pipeline``: reading this one function gives the order of every decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hub.config.models import HubConfig
from hub.pipeline.dedup_stage import DedupStage
from hub.pipeline.enqueue import EnqueueStage
from hub.pipeline.flap_stage import FlappingStage
from hub.pipeline.hold import QuietHoursStage, RateLimitStage
from hub.pipeline.mute import InhibitMuter, MuteStage
from hub.pipeline.route import RouteStage
from hub.pipeline.silence import SilenceMuter
from hub.pipeline.stage import Chain, Stage
from hub.remediate.evaluate import RemediationStage
from hub.routing.inhibit import build_inhibit_rules
from hub.routing.tree import build_route_tree


def build_pipeline(config: HubConfig, channels: Mapping[str, Sequence[str]]) -> Stage | None:
    """The flush pipeline, in order: flapping → remediation policies → route → per receiver:
    silence → inhibit → dedup → quiet hours → rate limit → enqueue delivery (and the first
    reminder).

    Delivery itself (enrich → render → send → record, with retries) runs from the outbox
    rows the last stage writes; see ``hub.pipeline.deliver``. None when nothing is routed.
    """
    remediation = RemediationStage.from_config(config)
    flapping = FlappingStage(config.fatigue.flapping.to_flap_config())
    if config.route is None:
        return Chain([flapping, remediation]) if config.remediation.policies else None
    per_receiver = Chain(
        [
            MuteStage(SilenceMuter()),
            MuteStage(InhibitMuter(build_inhibit_rules(config.inhibit_rules))),
            DedupStage(),
            QuietHoursStage(),
            RateLimitStage(config.fatigue.rate_limit),
            EnqueueStage(channels, config.fatigue),
        ]
    )
    return Chain([flapping, remediation, RouteStage(build_route_tree(config.route), per_receiver)])
