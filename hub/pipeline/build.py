"""The table of contents of all behaviour: ``build_pipeline`` and ``build_handlers``.

Reading ``build_pipeline`` gives the order of every decision a flush makes; reading
``build_handlers`` gives what runs for every kind of outbox row (every timer is one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.channels.base import Channel
from hub.config.models import HubConfig
from hub.metrics import HubMetrics
from hub.model.outbox import OutboxKind
from hub.pipeline.dedup import DedupStage
from hub.pipeline.deliver import ChannelKey, DeliverHandler
from hub.pipeline.digest import DigestHandler
from hub.pipeline.enqueue import EnqueueStage
from hub.pipeline.enrichment import Enricher
from hub.pipeline.escalation_timer import EscalationTimerStage
from hub.pipeline.first_reminder import FirstReminderStage
from hub.pipeline.flap_notice import FlapNoticeStage
from hub.pipeline.flapping import FlappingStage
from hub.pipeline.flush import FlushHandler
from hub.pipeline.followups import EscalationHandler, ReminderHandler
from hub.pipeline.group_wait import GroupWaitStage
from hub.pipeline.grouped import GroupedStage
from hub.pipeline.mute import InhibitMuter, MuteStage
from hub.pipeline.quiet_hours import QuietHoursStage
from hub.pipeline.rate_limit import RateLimitStage
from hub.pipeline.route import RouteStage
from hub.pipeline.silence import SilenceLifecycleHandler, SilenceMuter
from hub.pipeline.stage import Chain, FlushContext, ReceiverContext, Stage
from hub.pipeline.worker import RowHandler
from hub.remediate.evaluate import RemediationStage
from hub.remediate.handler import ActionHandler
from hub.remediate.kube import KubeExecutor
from hub.routing.inhibit import build_inhibit_rules
from hub.routing.tree import build_route_tree


def build_pipeline(
    config: HubConfig, channels: Mapping[str, Sequence[str]]
) -> Stage[FlushContext] | None:
    """The flush pipeline, in order; each stage lives in ``hub/pipeline/<name>.py`` and its
    pure decision, if any, in ``hub/pipeline/decisions/``. Remediation policies are judged
    before routing (``hub/remediate/evaluate.py``), so they act even when nothing is routed;
    None when there is neither a route nor a policy."""
    fatigue = config.fatigue
    before_routing: list[Stage[FlushContext]] = [
        GroupedStage(),  # a newer flush of the group is pending: it carries these
        FlappingStage(fatigue.flapping.to_flap_config()),  # per identity, before routing
        RemediationStage.from_config(config),  # policies, once per incident
    ]
    if config.route is None:
        return Chain[FlushContext](before_routing) if config.remediation.policies else None
    per_receiver = Chain[ReceiverContext](
        [
            MuteStage(SilenceMuter()),  # active silences
            MuteStage(InhibitMuter(build_inhibit_rules(config.inhibit_rules))),
            DedupStage(),  # news for this receiver? sets the notice
            GroupWaitStage(),  # route's group_wait / group_interval: re-run later
            QuietHoursStage(),  # route's quiet hours: hold for the digest
            RateLimitStage(fatigue.rate_limit),  # over the limit: hold for the digest
            FlapNoticeStage(fatigue.flapping),  # started flapping: the one flapping notice
            EnqueueStage(channels),  # a deliver row per channel, the notification log
            FirstReminderStage(fatigue),  # a new episode's first reminder row
            EscalationTimerStage(fatigue.escalation),  # and its escalation row
        ]
    )
    return Chain[FlushContext](
        [*before_routing, RouteStage(build_route_tree(config.route), per_receiver)]
    )


def build_handlers(
    config: HubConfig,
    engine: AsyncEngine,
    metrics: HubMetrics,
    channels: Mapping[ChannelKey, Channel],
    enricher: Enricher | None,
    *,
    kube: KubeExecutor | None = None,
) -> dict[str, RowHandler]:
    """What runs for each outbox kind; the worker claims due rows and calls these.

    ``kube`` is the cluster client remediation calls through (None: no cluster access,
    and an action that would call fails with that reason)."""
    names: dict[str, list[str]] = {}
    for receiver, key in channels:
        names.setdefault(receiver, []).append(key)
    deliver = DeliverHandler(  # enrich → render → send → record; retry or dead-letter
        engine=engine,
        channels=channels,
        config=config.delivery,
        metrics=metrics,
        external_url=config.external_url,
        enricher=enricher,
        tz=config.tz,
    )
    return {
        OutboxKind.FLUSH: FlushHandler(engine, build_pipeline(config, names), metrics),
        OutboxKind.DELIVER: deliver,
        OutboxKind.REMINDER: ReminderHandler(engine, names, config.fatigue, metrics),
        OutboxKind.ESCALATION: EscalationHandler(engine, names, config.fatigue, metrics),
        OutboxKind.DIGEST: DigestHandler(engine, names),
        OutboxKind.SILENCE_EXPIRY: SilenceLifecycleHandler(engine),
        OutboxKind.ACTION: ActionHandler(engine, kube, config, metrics),  # call/watch/verify
    }
