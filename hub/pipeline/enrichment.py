"""Enrichment for a message: runbook, Loki excerpt, links. It never blocks or fails a message."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from hub.channels.model import Enrichment
from hub.config.models import HubConfig
from hub.enrich.enricher import EnrichmentResult, enrich
from hub.enrich.loki import LokiClient
from hub.enrich.runbooks import RunbookIndexHolder
from hub.metrics import HubMetrics
from hub.pipeline.stage import IncidentView

log = logging.getLogger(__name__)


class Enricher(Protocol):
    """Enriches the message of one incident; ``fetch_logs`` off builds the links only."""

    async def __call__(
        self, view: IncidentView, *, fetch_logs: bool = True
    ) -> EnrichmentResult: ...


def to_enrichment(result: EnrichmentResult, view: IncidentView) -> Enrichment:
    """Map the enricher's result onto the message model.

    The hub's runbook is the runbook link; an alert's own ``runbook_url`` annotation is
    linked too (as the runbook when the hub has none, else beside the dashboards).
    """
    own = view.annotations.get("runbook_url") or None
    runbook_url = result.runbook_url or own
    links = tuple((d.title, d.url) for d in result.dashboards)
    if own and result.runbook_url and own != result.runbook_url:
        links = (("Alert runbook", own), *links)
    return Enrichment(
        runbook_name=result.runbook_name or (view.alertname if runbook_url else None),
        runbook_url=runbook_url,
        log_lines=result.log_lines,
        log_summary=result.log_summary,
        logs_unavailable=result.logs_unavailable,
        explore_url=result.explore_url,
        dashboards=links,
    )


@dataclass
class LiveEnricher:
    """The running config's enricher; a reload swaps ``current``, pages read it per request."""

    current: Enricher

    async def __call__(self, view: IncidentView, *, fetch_logs: bool = True) -> EnrichmentResult:
        return await self.current(view, fetch_logs=fetch_logs)


@dataclass
class HubEnricher:
    """The configured enricher: the runbook index always, Loki and Grafana when configured.

    ``runbooks`` is the live holder, read per message, so a SIGHUP reload reaches messages.
    """

    config: HubConfig
    runbooks: RunbookIndexHolder
    session: aiohttp.ClientSession | None = None
    metrics: HubMetrics | None = None

    def __post_init__(self) -> None:
        self._loki = (
            LokiClient(self.session, self.config.loki)
            if self.config.loki is not None and self.session is not None
            else None
        )

    async def __call__(self, view: IncidentView, *, fetch_logs: bool = True) -> EnrichmentResult:
        started = time.perf_counter()
        result = await self._enrich(view, fetch_logs)
        if fetch_logs and self._loki is not None and self.metrics is not None:
            outcome = "unavailable" if result.logs_unavailable else "ok"
            elapsed = time.perf_counter() - started
            self.metrics.loki_enrichment.labels(outcome).observe(elapsed)
        return result

    async def _enrich(self, view: IncidentView, fetch_logs: bool) -> EnrichmentResult:
        return await enrich(
            view.labels,
            view.annotations,
            view.started_at,
            loki=self._loki,
            runbooks=self.runbooks.current,
            grafana=self.config.grafana,
            external_url=self.config.external_url,
            fetch_logs=fetch_logs,
        )
