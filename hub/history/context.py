"""What the hub adds to an incident on a page or in a post-mortem: runbook, logs, links.

The same enricher as the first message, over the same window around the start, so a page
shows the log excerpt the message showed (as long as Loki keeps it).
"""

from __future__ import annotations

from hub.channels.model import Enrichment
from hub.history.model import IncidentRecord
from hub.pipeline.enrichment import Enricher, to_enrichment
from hub.pipeline.stage import IncidentView


def incident_view(r: IncidentRecord) -> IncidentView:
    return IncidentView(
        id=r.id,
        fingerprint=r.fingerprint,
        alertname=r.alertname,
        status=r.status,
        severity=r.severity,
        labels=dict(r.labels),
        annotations=dict(r.annotations),
        started_at=r.started_at,
        resolved_at=r.resolved_at,
        generator_url=r.generator_url,
        acked_by=r.acked_by,
        acked_at=r.acked_at,
    )


async def enrichment_for(enricher: Enricher | None, record: IncidentRecord) -> Enrichment:
    """Runbook, log excerpt and links for the incident; nothing when no enricher runs."""
    if enricher is None:
        return Enrichment()
    view = incident_view(record)
    return to_enrichment(await enricher(view), view)


def incident_url(external_url: str, incident_id: int) -> str:
    """The incident's page, where every message's "Details" and "#ID" lead."""
    return f"{external_url.rstrip('/')}/incidents/{incident_id}"
