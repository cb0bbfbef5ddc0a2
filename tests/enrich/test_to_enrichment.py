"""The message links the hub's runbook and, when it has one, the alert's own runbook_url."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.enrich.enricher import EnrichmentResult
from hub.pipeline.enrichment import to_enrichment
from hub.pipeline.stage import IncidentView


def view(annotations: dict[str, str]) -> IncidentView:
    return IncidentView(
        id=1, fingerprint="f", alertname="HighErrorRate", status="firing", severity="critical",
        labels={"alertname": "HighErrorRate"}, annotations=annotations,
        started_at=datetime(2026, 1, 1, tzinfo=UTC), resolved_at=None, generator_url="",
    )  # fmt: skip


def test_both_runbooks_are_linked() -> None:
    own = "https://runbooks.example.com/HighErrorRate"
    result = EnrichmentResult(runbook_name="HighErrorRate", runbook_url="http://hub/runbooks/X")
    enrichment = to_enrichment(result, view({"runbook_url": own}))
    assert enrichment.runbook_url == "http://hub/runbooks/X"
    assert ("Alert runbook", own) in enrichment.dashboards


def test_alert_runbook_alone_is_the_runbook() -> None:
    own = "https://runbooks.example.com/HighErrorRate"
    enrichment = to_enrichment(EnrichmentResult(), view({"runbook_url": own}))
    assert enrichment.runbook_url == own
    assert enrichment.runbook_name == "HighErrorRate"
    assert enrichment.dashboards == ()
