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
        self.notifications_sent = Counter(
            "alerthub_notifications_sent_total",
            "Messages delivered, by channel kind and receiver.",
            ["channel", "receiver"],
            registry=r,
        )
        self.delivery_failures = Counter(
            "alerthub_delivery_failures_total",
            "Failed delivery attempts by channel kind and bounded reason.",
            ["channel", "reason"],
            registry=r,
        )
        self.dead_letters = Counter(
            "alerthub_delivery_dead_letters_total",
            "Deliveries given up after max_attempts or a permanent error.",
            ["channel"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "alerthub_delivery_latency_seconds",
            "From the change that caused a message to its delivery.",
            ["channel"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.suppressed = Counter(
            "alerthub_notifications_suppressed_total",
            "Notifications held back, by reason.",
            ["reason"],
            registry=r,
        )
        self.outbox_depth = Gauge("alerthub_outbox_depth", "Pending outbox rows.", registry=r)
        self.outbox_oldest_due_age = Gauge(
            "alerthub_outbox_oldest_due_age_seconds",
            "How overdue the oldest pending outbox row is.",
            registry=r,
        )
        self.actions = Counter(
            "alerthub_actions_total",
            "Remediation actions entering each status, by action.",
            ["action", "status"],
            registry=r,
        )
        self.action_calls = Counter(
            "alerthub_action_calls_total",
            "Mutating calls made to the cluster, by action (replays included).",
            ["action"],
            registry=r,
        )
        self.commit_batch_size = Histogram(
            "alerthub_intake_commit_batch_size",
            "Webhook payloads committed together (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
