"""Outbox bodies: rows written before the typed bodies still parse; every kind has a handler."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hub.metrics import HubMetrics
from hub.model.notify import NotifyKind
from hub.model.outbox import (
    DeliverBody,
    DigestBody,
    EscalationBody,
    FlushBody,
    OutboxBody,
    OutboxKind,
    ReminderBody,
    SilenceStepBody,
    SilenceStepKind,
)
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.build import build_handlers
from hub.pipeline.stage import FlushContext, StageOrderError
from hub.routing.tree import Route
from hub.store.engine import build_engine
from tests.conftest import make_config

GROUP = {
    "status": "firing",
    "group_labels": {"alertname": "HighErrorRate"},
    "common_labels": {"alertname": "HighErrorRate", "severity": "critical"},
    "common_annotations": {"summary": "5xx above 5%"},
    "truncated_alerts": 0,
}
# Payloads as earlier versions wrote them by hand, key for key.
LEGACY: list[tuple[str, type[OutboxBody], dict[str, Any]]] = [
    (
        "flush",
        FlushBody,
        {"receiver": "hub", "group_key": "{}:{}", **GROUP, "incident_ids": [1, 2],
         "opened_ids": [2], "resolved_ids": []},
    ),
    (
        "deliver",
        DeliverBody,
        {**GROUP, "group_key": "{}:{}", "receiver": "oncall", "incident_ids": [1],
         "reason": "first_notification", "kind": "firing", "in_place": False,
         "channel": "telegram[0]"},
    ),
    (
        "deliver-from-reminder",
        DeliverBody,
        {**GROUP, "group_key": "{}:{}", "receiver": "oncall", "incident_ids": [1],
         "reason": "reminder_due", "kind": "reminder", "in_place": False, "sent": 2,
         "started_at": "2026-03-01T12:00:00+00:00", "channel": "slack[0]"},
    ),
    (
        "deliver-digest",
        DeliverBody,
        {"receiver": "oncall", "group_key": "digest:oncall:rate_limited", "incident_ids": [3],
         "reason": "digest", "kind": "digest", "in_place": False, "reason_text": "2 held",
         "digest_lines": ["• 1 x A"], "footer_text": None, "truncated_alerts": 0,
         "channel": "telegram[0]"},
    ),
    (
        "reminder",
        ReminderBody,
        {**GROUP, "group_key": "{}:{}", "receiver": "oncall", "incident_ids": [1],
         "reason": "first_notification", "kind": "firing", "in_place": False, "sent": 0,
         "started_at": "2026-03-01T12:00:00+00:00"},
    ),
    (
        "escalation",
        EscalationBody,
        {**GROUP, "group_key": "{}:{}", "receiver": "oncall", "incident_ids": [1],
         "reason": "first_notification", "kind": "firing", "in_place": False},
    ),
    ("digest", DigestBody, {"receiver": "oncall", "reason": "quiet_hours"}),
    (
        "silence",
        SilenceStepBody,
        {"silence_id": 4, "step": "expired", "at": "2026-03-01T13:00:00+00:00"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("model", "payload"), [c[1:] for c in LEGACY], ids=[c[0] for c in LEGACY])
def test_rows_of_earlier_versions_parse_and_round_trip(
    model: type[OutboxBody], payload: dict[str, Any]
) -> None:
    body = model.parse(payload)
    dumped = body.to_payload()
    assert model.parse(dumped) == body
    for key, value in payload.items():
        if key in model.model_fields and value is not None and key not in {"at", "started_at"}:
            assert dumped[key] == value, key  # the JSON shape is kept, key for key


def test_parsed_fields_are_typed() -> None:
    deliver = DeliverBody.parse(LEGACY[2][2])
    assert deliver.kind is NotifyKind.REMINDER
    assert deliver.reason is NotifyReason.REMINDER_DUE
    assert deliver.incident_ids == (1,)
    reminder = ReminderBody.parse(LEGACY[4][2])
    assert reminder.started_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert DigestBody.parse(LEGACY[6][2]).reason is SuppressReason.QUIET_HOURS
    assert SilenceStepBody.parse(LEGACY[7][2]).step is SilenceStepKind.EXPIRED


def test_a_misspelt_key_fails_where_the_body_is_built() -> None:
    with pytest.raises(ValidationError, match="recevier"):
        DigestBody(receiver="oncall", reason=SuppressReason.QUIET_HOURS, recevier="x")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="reason"):
        DigestBody.parse({"receiver": "oncall"})


def test_message_bodies_convert_keeping_the_message() -> None:
    reminder = ReminderBody.parse(LEGACY[4][2])
    deliver = reminder.to_channel("email[0]")
    assert deliver.channel == "email[0]"
    assert deliver.common_annotations == GROUP["common_annotations"]
    assert "sent" not in deliver.to_payload()
    assert reminder.replaced(sent=3).sent == 3


async def test_every_kind_has_a_handler(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    config = make_config(url, route={"receiver": "oncall"}, receivers=[{"name": "oncall"}])
    engine = build_engine(config.database)
    try:
        handlers = build_handlers(config, engine, HubMetrics(), {}, None)
    finally:
        await engine.dispose()
    assert set(handlers) == set(OutboxKind)


def test_a_stage_out_of_order_fails_naming_the_missing_stage() -> None:
    flush = FlushBody(receiver="hub", group_key="g", incident_ids=())
    route = Route(receiver="oncall", matchers=(), continue_=False, routes=())
    ctx = FlushContext(conn=None, now=datetime.now(UTC), row_id=1, row_key="", flush=flush)  # type: ignore[arg-type]
    with pytest.raises(StageOrderError, match="FlappingStage"):
        _ = ctx.flap_started
    branch = ctx.for_receiver("oncall", route)
    with pytest.raises(StageOrderError, match="DedupStage"):
        _ = branch.notice
