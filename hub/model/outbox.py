"""Every outbox kind and the typed body of each: one constructor, one parser per body.

Rows outlive upgrades, so a body keeps the JSON shape it always had, and ``parse`` reads
rows an older version wrote: keys it does not know are ignored, missing optional keys
take their defaults. Bodies are built only through their constructors (``extra`` is
forbidden there), so a misspelt key fails where it is written, not where it is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from hub.model.labels import common_labels
from hub.model.notify import NotifyKind
from hub.model.reasons import NotifyReason, SuppressReason


class OutboxKind(StrEnum):
    """Every kind of outbox row; ``hub.pipeline.build.build_handlers`` maps each to its handler."""

    FLUSH = "flush"
    DELIVER = "deliver"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    SILENCE_EXPIRY = "silence_expiry"
    ACTION = "action"


class SilenceStepKind(StrEnum):
    """The two moments of a silence's life the hub acts on."""

    WARN_OWNER = "warn_owner"
    EXPIRED = "expired"


class ActionStep(StrEnum):
    """What a remediation action's outbox row does when it comes due."""

    CALL = "call"  # make the call to the cluster
    WATCH = "watch"  # look at the rollout until it completes or times out
    VERIFY = "verify"  # wait for the incident to resolve within the verify window
    EXPIRE = "expire"  # an approval that never came


class OutboxBody(BaseModel):
    """A row's payload; ``OUTBOX_KIND`` says which handler reads it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    OUTBOX_KIND: ClassVar[OutboxKind]

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> Self:
        """The one way to read a stored body, including bodies older versions wrote."""
        fields = cls.model_fields
        return cls.model_validate(
            {k: v for k, v in payload.items() if k in fields and v is not None}
        )

    def to_payload(self) -> dict[str, Any]:
        """The JSON the row stores."""
        return self.model_dump(mode="json")

    def replaced(self, **changes: Any) -> Self:
        """The same body with some fields changed, validated like a new one."""
        return type(self).model_validate({**dict(self), **changes})


class GroupBody(OutboxBody):
    """One Alertmanager group as a notification carries it."""

    receiver: str
    group_key: str
    incident_ids: tuple[int, ...]
    status: str = "firing"
    group_labels: dict[str, str] = {}
    common_labels: dict[str, str] = {}
    common_annotations: dict[str, str] = {}
    truncated_alerts: int = 0


GroupMember = tuple[int, Mapping[str, str], Mapping[str, str]]


class FlushBody(GroupBody):
    """Run the pipeline for a group: after a webhook, an ack, a silence's end, or a wait.

    ``only_receiver`` narrows a deferred re-run (group wait / group interval) to the hub
    receiver that waited; ``flap_started`` carries the incidents the first run found to
    start flapping, so the notice survives the wait.
    """

    OUTBOX_KIND = OutboxKind.FLUSH

    opened_ids: tuple[int, ...] = ()
    resolved_ids: tuple[int, ...] = ()
    only_receiver: str | None = None
    flap_started: tuple[int, ...] = ()

    @classmethod
    def for_open_group(
        cls, receiver: str, group_key: str, members: Sequence[GroupMember]
    ) -> FlushBody:
        """A flush of a whole open group, shaped like the intake's (ack, silence expiry)."""
        return cls(
            receiver=receiver,
            group_key=group_key,
            incident_ids=tuple(iid for iid, _, _ in members),
            common_labels=common_labels([labels for _, labels, _ in members]),
            common_annotations=common_labels([ann for _, _, ann in members]),
        )

    def covers(self, receiver: str | None) -> bool:
        """Whether running this flush re-decides for ``receiver`` (None: every receiver)."""
        return self.only_receiver is None or self.only_receiver == receiver


class MessageBody(GroupBody):
    """What one message says: the group, why it goes out and in which layout."""

    reason: NotifyReason
    kind: NotifyKind
    in_place: bool = False
    # An edit that only brings a sent message up to date (remediation lines): dropped
    # where no message was ever sent on the channel.
    edit_only: bool = False
    reason_text: str | None = None
    digest_lines: tuple[str, ...] = ()
    footer_text: str | None = None
    # An escalated message says who was told first, and when.
    escalated_from: str | None = None
    first_sent_at: datetime | None = None

    def _message_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in MessageBody.model_fields}

    def to_channel(self, channel: str) -> DeliverBody:
        return DeliverBody(**self._message_fields(), channel=channel)

    def to_reminder(self, sent: int, started_at: datetime) -> ReminderBody:
        return ReminderBody(**self._message_fields(), sent=sent, started_at=started_at)

    def to_escalation(self, first_sent_at: datetime) -> EscalationBody:
        return EscalationBody(**{**self._message_fields(), "first_sent_at": first_sent_at})


class DeliverBody(MessageBody):
    """Send (or edit, or reply with) one message on one channel of the receiver."""

    OUTBOX_KIND = OutboxKind.DELIVER

    channel: str


class ReminderBody(MessageBody):
    """The next reminder of a group episode; ``sent`` counts those already sent."""

    OUTBOX_KIND = OutboxKind.REMINDER

    started_at: datetime
    sent: int = 0


class EscalationBody(MessageBody):
    """Escalate the incidents if still unacknowledged when due."""

    OUTBOX_KIND = OutboxKind.ESCALATION


class DigestBody(OutboxBody):
    """Release everything held for a receiver for one reason, as one message."""

    OUTBOX_KIND = OutboxKind.DIGEST

    receiver: str
    reason: SuppressReason


class SilenceStepBody(OutboxBody):
    """One step of a silence's lifecycle, due at ``at``."""

    OUTBOX_KIND = OutboxKind.SILENCE_EXPIRY

    silence_id: int
    step: SilenceStepKind
    at: datetime


class ActionStepBody(OutboxBody):
    """One step of a remediation action (call, watch, verify, expire)."""

    OUTBOX_KIND = OutboxKind.ACTION

    action_id: int
    step: ActionStep
