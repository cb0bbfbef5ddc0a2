"""Which incident an alert belongs to (``decide``), case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from hub.intake.episodes import AlertOutcome, KnownIncident, decide
from hub.intake.models import WebhookAlert

T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
M = timedelta(minutes=1)
FP = "940ed3beff12c378"
ZERO = datetime(1, 1, 1, tzinfo=UTC)  # Alertmanager's "not ended"


def alert(
    status: Literal["firing", "resolved"], starts: datetime, ends: datetime | None = None
) -> WebhookAlert:
    return WebhookAlert(
        status=status,
        labels={"alertname": "HighErrorRate"},
        starts_at=starts,
        ends_at=ends,
        fingerprint=FP,
    )


def known(iid: int, started: datetime, resolved: datetime | None = None) -> KnownIncident:
    return KnownIncident(iid, FP, started, resolved)


OPEN = known(7, T0)
ENDED = known(3, T0 - 30 * M, T0 - 20 * M)
OLDER_ENDED = known(2, T0 - 60 * M, T0 - 50 * M)

# (id, alert, known incidents oldest first, outcome, id of the incident it touches)
CASES: list[tuple[str, WebhookAlert, list[KnownIncident], AlertOutcome, int | None]] = [
    ("first-firing-opens", alert("firing", T0), [], AlertOutcome.OPENED, None),
    ("repeat-of-open-is-duplicate", alert("firing", T0), [OPEN], AlertOutcome.DUPLICATE, 7),
    (
        "ha-copy-with-other-start-is-duplicate",
        alert("firing", T0 + 5 * M),
        [OPEN],
        AlertOutcome.DUPLICATE,
        7,
    ),
    (
        "open-wins-over-ended-episode",
        alert("firing", T0 - 25 * M),
        [ENDED, OPEN],
        AlertOutcome.DUPLICATE,
        7,
    ),
    (
        "firing-copy-started-before-end-is-late",
        alert("firing", T0 - 30 * M),
        [ENDED],
        AlertOutcome.LATE_COPY,
        3,
    ),
    (
        "firing-copy-started-at-the-end-is-late",
        alert("firing", T0 - 20 * M),
        [ENDED],
        AlertOutcome.LATE_COPY,
        3,
    ),
    (
        "late-copy-picks-newest-covering-episode",
        alert("firing", T0 - 55 * M),
        [OLDER_ENDED, ENDED],
        AlertOutcome.LATE_COPY,
        3,
    ),
    (
        "firing-after-end-opens-new-episode",
        alert("firing", T0 - 20 * M + timedelta(microseconds=1)),
        [ENDED],
        AlertOutcome.OPENED,
        None,
    ),
    ("resolve-closes-open", alert("resolved", T0, T0 + M), [OPEN], AlertOutcome.RESOLVED, 7),
    (
        "resolve-ending-at-start-closes-open",
        alert("resolved", T0, T0),
        [OPEN],
        AlertOutcome.RESOLVED,
        7,
    ),
    (
        "resolve-without-end-closes-open",
        alert("resolved", T0, None),
        [OPEN],
        AlertOutcome.RESOLVED,
        7,
    ),
    (
        "resolve-with-zero-end-closes-open",
        alert("resolved", T0, ZERO),
        [OPEN],
        AlertOutcome.RESOLVED,
        7,
    ),
    (
        "resolve-of-older-episode-leaves-open-alone",
        alert("resolved", T0 - 30 * M, T0 - 20 * M),
        [ENDED, OPEN],
        AlertOutcome.RESOLVE_REPEAT,
        7,
    ),
    (
        "replayed-resolve-is-repeat",
        alert("resolved", T0 - 30 * M, T0 - 20 * M),
        [ENDED],
        AlertOutcome.RESOLVE_REPEAT,
        3,
    ),
    (
        "repeat-names-newest-ended-episode",
        alert("resolved", T0 - 60 * M, T0 - 50 * M),
        [OLDER_ENDED, ENDED],
        AlertOutcome.RESOLVE_REPEAT,
        3,
    ),
    (
        "resolve-of-unknown-identity",
        alert("resolved", T0, T0 + M),
        [],
        AlertOutcome.RESOLVE_UNKNOWN,
        None,
    ),
]


@pytest.mark.parametrize(
    ("new", "history", "outcome", "incident_id"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decide(
    new: WebhookAlert,
    history: list[KnownIncident],
    outcome: AlertOutcome,
    incident_id: int | None,
) -> None:
    decision = decide(new, FP, history)
    assert decision.outcome is outcome
    assert (decision.incident.id if decision.incident else None) == incident_id
    assert decision.alert is new
    assert decision.fingerprint == FP


def test_every_outcome_has_a_case() -> None:
    assert {case[3] for case in CASES} == set(AlertOutcome)
