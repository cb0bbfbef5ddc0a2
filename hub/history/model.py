"""Typed incident history, as the pages, the post-mortem and the CLI read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEvent:
    """One row of an incident's append-only timeline."""

    type: str
    at: datetime
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class IncidentRecord:
    """One incident with its timeline, oldest event first."""

    id: int
    fingerprint: str
    alertname: str
    status: str
    severity: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    started_at: datetime
    resolved_at: datetime | None
    last_seen_at: datetime
    duplicate_count: int
    generator_url: str
    receiver: str
    group_key: str
    acked_by: str | None
    acked_at: datetime | None
    timeline: tuple[TimelineEvent, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def label(self, *names: str) -> str:
        """The first of ``names`` that the incident has, else ``""``."""
        return next((self.labels[n] for n in names if self.labels.get(n)), "")

    @property
    def service(self) -> str:
        return self.label("service", "deployment", "job")

    @property
    def namespace(self) -> str:
        return self.label("namespace")
