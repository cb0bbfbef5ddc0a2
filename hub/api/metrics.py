"""The hub's Prometheus metrics, on a registry of its own so several apps can coexist in tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class HubMetrics:
    """Every metric the hub exports; one instance per app."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.webhook_requests = Counter(
            "alerthub_webhook_requests_total",
            "Webhook requests by HTTP status code.",
            ["code"],
            registry=r,
        )
        self.request_duration = Histogram(
            "alerthub_http_request_duration_seconds",
            "HTTP request duration by route.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.alerts_received = Counter(
            "alerthub_alerts_received_total", "Alerts received by status.", ["status"], registry=r
        )
        self.alert_outcomes = Counter(
            "alerthub_alert_outcomes_total",
            "What each received alert did (opened, duplicate, resolved, late_copy, ...).",
            ["outcome"],
            registry=r,
        )
        self.incidents_opened = Counter(
            "alerthub_incidents_opened_total", "Incidents opened.", registry=r
        )
        self.incidents_resolved = Counter(
            "alerthub_incidents_resolved_total", "Incidents resolved.", registry=r
        )
        self.open_incidents = Gauge(
            "alerthub_open_incidents", "Incidents not resolved, by status.", ["status"], registry=r
        )
        self.db_errors = Counter(
            "alerthub_db_errors_total", "Database errors by operation.", ["operation"], registry=r
        )
        self.commit_batch_size = Histogram(
            "alerthub_intake_commit_batch_size",
            "Webhook payloads committed together (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
