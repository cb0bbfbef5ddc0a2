"""Every outbox and notification-log key, built from one hash.

Keys are idempotency keys (the same transition for the same target is one row) and their
prefixes order the rows of one target, so their shapes are stable across versions.
"""

from __future__ import annotations

import hashlib
import uuid

from hub.model.outbox import OutboxKind

TOKEN_LENGTH = 32
WHOLE_GROUP_SUFFIX = 32  # a uuid4 in hex


def stable_hash(*parts: object) -> str:
    """sha256 of the parts joined by ``|``: the one hash behind every key."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def group_hash(group_key: str) -> str:
    """Group keys can be long; log and message rows are keyed by their hash."""
    return stable_hash(group_key)


def group_flush_prefix(receiver: str, group_key: str) -> str:
    """The key prefix every flush of one Alertmanager group shares (newer ones supersede)."""
    return f"{OutboxKind.FLUSH}:{stable_hash(receiver, group_key)[:TOKEN_LENGTH]}:"


def group_flush_key(receiver: str, group_key: str, only_receiver: str | None = None) -> str:
    """A flush of its own under the group's prefix: one per webhook, one per deferred re-run
    (whose key names the hub receiver it re-runs for, see ``receiver_flush_prefix``)."""
    if only_receiver is None:
        return group_flush_prefix(receiver, group_key) + uuid.uuid4().hex
    return receiver_flush_prefix(receiver, group_key, only_receiver) + uuid.uuid4().hex


def receiver_flush_prefix(receiver: str, group_key: str, only_receiver: str) -> str:
    """The key prefix of a group's re-runs deferred for one hub receiver."""
    return f"{group_flush_prefix(receiver, group_key)}{stable_hash(only_receiver)[:16]}-"


def rerun_flush_key(receiver: str, group_key: str, cause: str) -> str:
    """A re-run of a group for a cause (an ack, a silence's end): once per cause, and
    outside the group's prefix, so it is never superseded."""
    return f"{OutboxKind.FLUSH}:{cause}:{stable_hash(receiver, group_key, cause)[:TOKEN_LENGTH]}"


def delivery_prefix(ghash: str, receiver: str, channel: str) -> str:
    """The key prefix of every delivery to one channel for one group, so a later change
    (resolve, ack) can wait for the earlier message it edits."""
    return f"{OutboxKind.DELIVER}:{stable_hash(ghash, receiver, channel)[:TOKEN_LENGTH]}:"


def delivery_key(ghash: str, receiver: str, channel: str, transition: str) -> str:
    """One delivery per channel and transition, however often it is decided."""
    return delivery_prefix(ghash, receiver, channel) + stable_hash(
        ghash, receiver, channel, transition
    )


def reminder_key(ghash: str, receiver: str, started: object, sent: int) -> str:
    """One reminder row per group episode and count: a replay never doubles a reminder."""
    return f"{OutboxKind.REMINDER}:{stable_hash(ghash, receiver, started, sent)}"


def escalation_key(ghash: str, receiver: str, first_id: int) -> str:
    """One escalation per group episode and receiver."""
    return f"{OutboxKind.ESCALATION}:{stable_hash(ghash, receiver, first_id)}"


def digest_key(held_id: int) -> str:
    """A digest row per held message (each sweeps everything held so far)."""
    return f"{OutboxKind.DIGEST}:{held_id}"


def silence_step_key(silence_id: int, step: str, at: str) -> str:
    """One row per silence, lifecycle step and due time."""
    return f"{OutboxKind.SILENCE_EXPIRY}:{silence_id}:{step}:{at}"


def action_step_key(action_id: int, step: str, attempt: str = "") -> str:
    """One row per action, step and attempt: the same step decided twice is one row."""
    return f"{OutboxKind.ACTION}:{action_id}:{stable_hash(action_id, step, attempt)[:TOKEN_LENGTH]}"
