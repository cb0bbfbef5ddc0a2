"""The ingest plan, without a store: rounds, refs and events for a few telling batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.intake.episodes import AlertOutcome, KnownIncident
from hub.intake.models import WebhookPayload
from hub.intake.plan import Bump, Resolve, plan_batch

T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
M = timedelta(minutes=1)
A, B = "a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2"


def payload(*alerts: dict[str, Any]) -> WebhookPayload:
    body = {"version": "4", "receiver": "hub", "status": "firing", "alerts": list(alerts)}
    return WebhookPayload.model_validate(body)


def firing(fingerprint: str, starts: datetime, **extra: Any) -> dict[str, Any]:
    labels = {"alertname": "Flappy", "id": fingerprint}
    alert = {"status": "firing", "labels": labels, "startsAt": starts, "fingerprint": fingerprint}
    return {**alert, **extra}


def resolved(fingerprint: str, starts: datetime, ends: datetime) -> dict[str, Any]:
    return {**firing(fingerprint, starts), "status": "resolved", "endsAt": ends}


def test_open_then_resolve_in_one_payload_runs_in_two_rounds() -> None:
    plan = plan_batch([payload(firing(A, T0), resolved(A, T0, T0 + M))], {}, NOW, NOW)
    first, second = plan.rounds
    assert [new.ref for new in first.inserts] == [-1]
    assert second.resolves == (Resolve(A, T0 + M),)
    (item,) = plan.payloads
    assert item.outcomes == (AlertOutcome.OPENED, AlertOutcome.RESOLVED)
    assert (item.opened, item.resolved, item.incidents) == ((-1,), (-1,), (-1,))
    assert [(e.ref, e.type) for e in item.events] == [(-1, "fired"), (-1, "resolved")]


def test_late_copy_counts_against_the_episode_the_batch_opened() -> None:
    batch = [
        payload(firing(A, T0)),
        payload(resolved(A, T0, T0 + 5 * M)),
        payload(firing(A, T0 + 2 * M)),  # the HA peer's copy, sent after the resolve
    ]
    plan = plan_batch(batch, {}, NOW, NOW)
    assert [r.late for r in plan.rounds] == [(), (), (-1,)]
    assert [p.outcomes for p in plan.payloads][-1] == (AlertOutcome.LATE_COPY,)
    assert plan.payloads[-1].incidents == (-1,)


def test_repeats_of_stored_incidents_bump_once_per_round() -> None:
    known = {A: [KnownIncident(7, A, T0, None)]}
    batch = [payload(firing(A, T0, annotations={"n": "1"})), payload(firing(A, T0))]
    plan = plan_batch(batch, known, NOW, NOW)
    assert [r.bumps for r in plan.rounds] == [(Bump(A, {"n": "1"}),), (Bump(A, {}),)]
    assert [p.incidents for p in plan.payloads] == [(7,), (7,)]
    assert all(not p.events for p in plan.payloads)


def test_nul_replacements_are_one_event_per_incident_naming_the_fields() -> None:
    nul = payload(
        firing(A, T0, annotations={"summary": "\x00"}),
        firing(A, T0, generatorURL="http://x/\x00"),
        firing(B, T0),
    )
    plan = plan_batch([nul], {}, NOW, NOW)
    notes = [(e.ref, e.detail["fields"]) for e in plan.payloads[0].events if e.type != "fired"]
    assert notes == [(-1, ["annotations.summary", "generatorURL"])]
