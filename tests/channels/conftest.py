"""Fixtures for channel tests: notifications, fakes on loopback, and a real SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.channels.model import Acknowledgement, AlertView, Enrichment, LogLine, Notification
from hub.model.notify import NotifyKind
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram

NOW = datetime(2025, 3, 4, 3, 18, tzinfo=UTC)
STARTED = NOW - timedelta(minutes=6)
EXTERNAL_URL = "https://hub.example.org"
# Acked through the API as "ayse"; Telegram knows the same person as @ayse.
ACK = Acknowledgement(
    by="ayse", at=datetime(2025, 3, 4, 3, 15, tzinfo=UTC), handles={"telegram": "@ayse"}
)
LOG_LINES = (
    LogLine(
        datetime(2025, 3, 4, 3, 11, 58, tzinfo=UTC),
        "ERROR inference failed: CUDA out of memory (request r-81f2)",
    ),
    LogLine(
        datetime(2025, 3, 4, 3, 11, 59, tzinfo=UTC),
        "ERROR inference failed: CUDA out of memory (request r-81f7)",
    ),
    LogLine(datetime(2025, 3, 4, 3, 12, 3, tzinfo=UTC), "WARN  queue depth 412 > 256"),
)
COMMON = {
    "alertname": "HighErrorRate",
    "namespace": "prod",
    "service": "model-api",
    "severity": "critical",
}


def make_alert(pod: str, summary: str, **labels: str) -> AlertView:
    """One firing alert of the HighErrorRate group."""
    return AlertView(
        incident_id=1042,
        fingerprint=f"fp-{pod}",
        status="firing",
        labels={**COMMON, "pod": pod, **labels},
        annotations={"summary": summary},
        starts_at=STARTED,
        ends_at=None,
        generator_url="https://prom.example.org/graph?g0.expr=x&g0.tab=1",
    )


def make_note(kind: NotifyKind = NotifyKind.FIRING, **changes: Any) -> Notification:
    """The MESSAGES.md example: 2 alerts shown, 1 truncated by Alertmanager."""
    note = Notification(
        kind=kind,
        receiver="oncall",
        group_key='{}:{alertname="HighErrorRate"}',
        alerts=(
            make_alert("model-api-7c9f8d-x1", "5xx share 7.9 %"),
            make_alert("model-api-7c9f8d-x2", "5xx share 6.8 %"),
        ),
        truncated_alerts=1,
        group_labels={"alertname": "HighErrorRate"},
        common_labels=COMMON,
        common_annotations={"summary": "5xx share 7.3 % (threshold 5 %)"},
        incident_id=1042,
        external_url=EXTERNAL_URL,
        now=NOW,
        enrichment=Enrichment(
            runbook_name="HighErrorRate",
            runbook_url="https://runbooks.example.org/high-error-rate",
            log_lines=LOG_LINES,
            log_summary="Loki · last 5 min · 3 of 42 matching lines",
            explore_url="https://grafana.example.org/explore?left=x&y=1",
        ),
    )
    return replace(note, **changes)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods so its deprecation warning is not an error here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def note_factory() -> Callable[..., Notification]:
    return make_note


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake
