"""What a batch of payloads does to the store, decided purely before anything is written.

``plan_batch`` places every alert of every payload in order (each sees what the earlier
ones did) against the incidents the store knew, and lists the row changes that follow:
incidents to open, duplicates to count, episodes to resolve, timeline events and the
payloads that need a flush. A single payload is a batch of one. Incidents the plan opens
get negative ids (``ref``) that the store swaps for real ones as its inserts return them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hub.intake.episodes import AlertOutcome, Decision, KnownIncident, decide
from hub.intake.models import NUL_REPLACEMENT, WebhookAlert, WebhookPayload

FIRED = "fired"
RESOLVED = "resolved"
NUL_REPLACED = "nul_replaced"


@dataclass(frozen=True)
class NewIncident:
    """An incident to insert for the alert that opened it."""

    ref: int
    fingerprint: str
    alert: WebhookAlert
    receiver: str
    group_key: str


@dataclass(frozen=True)
class Bump:
    """A repeat of an open episode: count it and keep its latest annotations."""

    fingerprint: str
    annotations: dict[str, str]


@dataclass(frozen=True)
class Resolve:
    """The end of an identity's open episode."""

    fingerprint: str
    ends: datetime


@dataclass(frozen=True)
class Round:
    """Row changes with at most one per fingerprint, so they commute within the round."""

    inserts: tuple[NewIncident, ...]
    bumps: tuple[Bump, ...]
    late: tuple[int, ...]  # refs of ended episodes that a late firing copy counts against
    resolves: tuple[Resolve, ...]


@dataclass(frozen=True)
class PlannedEvent:
    """A timeline row; ``ref`` may be an incident the plan opens."""

    ref: int
    type: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class PayloadPlan:
    """One payload's share of the plan: outcomes, incidents by ref, events."""

    payload: WebhookPayload
    outcomes: tuple[AlertOutcome, ...]
    opened: tuple[int, ...]
    resolved: tuple[int, ...]
    incidents: tuple[int, ...]  # every incident its alerts touched, once, in alert order
    events: tuple[PlannedEvent, ...]

    @property
    def needs_flush(self) -> bool:
        """Whether the pipeline has anything to look at for this payload's group."""
        return bool(self.incidents)


@dataclass(frozen=True)
class IngestPlan:
    """A batch decided: rounds of row changes run in order, then per-payload events/flushes.

    A fingerprint's changes land in increasing rounds (each sees the previous one) and
    inserts never go back a round, so incidents get the ids that applying the payloads
    one at a time gives.
    """

    now: datetime
    flush_due: datetime
    rounds: tuple[Round, ...]
    payloads: tuple[PayloadPlan, ...]


@dataclass(frozen=True)
class IngestResult:
    """What one payload did, with real incident ids; the intake turns it into metrics."""

    outcomes: Counter[AlertOutcome]
    opened_ids: tuple[int, ...]
    resolved_ids: tuple[int, ...]
    flush_enqueued: bool


def plan_batch(
    payloads: Sequence[WebhookPayload],
    known: Mapping[str, Sequence[KnownIncident]],
    now: datetime,
    flush_due: datetime,
) -> IngestPlan:
    """Decide ``payloads`` in order against ``known`` (per fingerprint, oldest first).

    ``known`` must hold every incident of the batch's fingerprints that is open or was
    resolved at or after the batch's oldest ``startsAt``.
    """
    planner = _Planner({fp: list(items) for fp, items in known.items()}, now)
    plans = tuple(planner.add(payload) for payload in payloads)
    return IngestPlan(now, flush_due, planner.rounds(), plans)


@dataclass
class _RoundDraft:
    inserts: list[NewIncident] = field(default_factory=list)
    bumps: list[Bump] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    resolves: list[Resolve] = field(default_factory=list)

    def freeze(self) -> Round:
        return Round(tuple(self.inserts), tuple(self.bumps), tuple(self.late), tuple(self.resolves))


@dataclass
class _PayloadDraft:
    outcomes: list[AlertOutcome] = field(default_factory=list)
    opened: dict[int, str] = field(default_factory=dict)  # ref -> fingerprint
    resolved: list[int] = field(default_factory=list)
    incidents: dict[int, None] = field(default_factory=dict)  # an ordered set
    nul_fields: dict[int, dict[str, None]] = field(default_factory=dict)


class _Planner:
    """The batch so far: each identity's incidents as the next payload would read them."""

    def __init__(self, known: dict[str, list[KnownIncident]], now: datetime) -> None:
        self._known = known
        self._now = now
        self._drafts: list[_RoundDraft] = []
        self._depth: Counter[str] = Counter()
        self._insert_round = 0
        self._refs: Iterator[int] = itertools.count(-1, -1)

    def rounds(self) -> tuple[Round, ...]:
        return tuple(draft.freeze() for draft in self._drafts)

    def add(self, payload: WebhookPayload) -> PayloadPlan:
        """Decide the payload's alerts in order, as a store read at this point would see."""
        draft = _PayloadDraft()
        if payload.alerts:
            oldest = min(a.starts_at for a in payload.alerts)
            views: dict[str, list[KnownIncident]] = {}
            notes = payload.nul_notes
            for index, alert in enumerate(payload.alerts):
                fingerprint = alert.identity()
                if (view := views.get(fingerprint)) is None:
                    view = views[fingerprint] = self._recent(fingerprint, oldest)
                ref = self._record(draft, payload, decide(alert, fingerprint, view), view)
                if ref is not None and index in notes:
                    draft.nul_fields.setdefault(ref, {}).update(dict.fromkeys(notes[index]))
        return _finish(payload, draft)

    def _recent(self, fingerprint: str, oldest: datetime) -> list[KnownIncident]:
        """What the store read gives one payload: open, or resolved since its oldest start."""
        return [
            i
            for i in self._known.get(fingerprint, ())
            if i.resolved_at is None or i.resolved_at >= oldest
        ]

    def _record(
        self,
        draft: _PayloadDraft,
        payload: WebhookPayload,
        d: Decision,
        view: list[KnownIncident],
    ) -> int | None:
        """Note one decision and its row changes; returns the incident it touched, if any."""
        draft.outcomes.append(d.outcome)
        ref = d.incident.id if d.incident is not None else None
        if d.outcome is AlertOutcome.OPENED:
            ref = self._open(payload, d, view)
            draft.opened[ref] = d.fingerprint
        elif d.outcome is AlertOutcome.DUPLICATE:
            self._round(d.fingerprint).bumps.append(Bump(d.fingerprint, d.alert.annotations))
        elif d.outcome is AlertOutcome.LATE_COPY and ref is not None:
            self._round(d.fingerprint).late.append(ref)
        elif d.outcome is AlertOutcome.RESOLVED and d.incident is not None:
            self._resolve(d, d.incident, view)
            draft.resolved.append(d.incident.id)
        if ref is not None:
            draft.incidents[ref] = None
        return ref

    def _round(self, fingerprint: str, *, insert: bool = False) -> _RoundDraft:
        """The round after the fingerprint's last change; inserts never go before the last one."""
        depth = max(self._depth[fingerprint], self._insert_round if insert else 0)
        self._depth[fingerprint] = depth + 1
        if insert:
            self._insert_round = depth
        while len(self._drafts) <= depth:
            self._drafts.append(_RoundDraft())
        return self._drafts[depth]

    def _open(self, payload: WebhookPayload, d: Decision, view: list[KnownIncident]) -> int:
        ref = next(self._refs)
        new = NewIncident(ref, d.fingerprint, d.alert, payload.receiver, payload.group_key)
        self._round(d.fingerprint, insert=True).inserts.append(new)
        incident = KnownIncident(ref, d.fingerprint, d.alert.starts_at, None)
        view.append(incident)
        self._known.setdefault(d.fingerprint, []).append(incident)
        return ref

    def _resolve(self, d: Decision, incident: KnownIncident, view: list[KnownIncident]) -> None:
        ends = d.alert.end_time() or self._now
        self._round(d.fingerprint).resolves.append(Resolve(d.fingerprint, ends))
        resolved = replace(incident, resolved_at=ends)
        for history in (view, self._known[d.fingerprint]):
            history[history.index(incident)] = resolved


def _finish(payload: WebhookPayload, draft: _PayloadDraft) -> PayloadPlan:
    """Freeze a payload's draft; its events: ``fired``, then ``resolved``, then NUL notes."""
    fired = {"receiver": payload.receiver, "group_key": payload.group_key}
    events = [
        PlannedEvent(ref, FIRED, {**fired, "fingerprint": fingerprint})
        for ref, fingerprint in draft.opened.items()
    ]
    events += [
        PlannedEvent(ref, RESOLVED, {"receiver": payload.receiver}) for ref in draft.resolved
    ]
    events += [
        PlannedEvent(ref, NUL_REPLACED, {"fields": list(fields), "replacement": NUL_REPLACEMENT})
        for ref, fields in draft.nul_fields.items()
    ]
    return PayloadPlan(
        payload,
        tuple(draft.outcomes),
        tuple(draft.opened),
        tuple(draft.resolved),
        tuple(draft.incidents),
        tuple(events),
    )
