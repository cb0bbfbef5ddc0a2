"""What the bot's remediation commands call: the same service functions as the actions API.

A person names a workload (``/restart deployment/model-api``); only a remediation policy
that covers that workload for an open incident can act on it, through its own mode
(``approval`` waits for ``/approve``, ``auto`` runs), with every policy rule still applied.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from hub.bot.args import TargetArgs
from hub.bot.services import BotServices, NotFoundError, Remediation
from hub.remediate import service
from hub.remediate.config import PolicyConfig
from hub.remediate.model import ActionKind
from hub.remediate.store import ActionRow, list_actions
from hub.remediate.target import render_target
from hub.routing.matchers import all_match
from hub.store.queries import open_incident_labels

RECENT = 10


class Decide(Protocol):
    """``approve`` or ``reject``."""

    def __call__(
        self, svc: BotServices, rem: Remediation, action_id: int, *, by: str
    ) -> Awaitable[ActionRow]: ...


@dataclass(frozen=True)
class Covered:
    """An open incident a restart policy covers the asked-for workload for."""

    incident_id: int
    policy: str
    namespace: str


def _covers(policy: PolicyConfig, target: TargetArgs, labels: dict[str, str]) -> str | None:
    """The namespace if ``policy`` would restart ``target`` for an alert with ``labels``."""
    if policy.action is not ActionKind.ROLLOUT_RESTART or policy.target.kind is not target.kind:
        return None
    if not all_match(policy.matchers, labels):
        return None
    rendered = render_target(policy.target_template, labels).target
    if rendered is None or rendered.name != target.name:
        return None
    if target.namespace is not None and rendered.namespace != target.namespace:
        return None
    return rendered.namespace


def covered(
    policies: list[PolicyConfig], target: TargetArgs, open_: list[tuple[int, dict[str, str]]]
) -> list[Covered]:
    """Every (incident, policy) pair that would restart the target, newest incident first."""
    found = []
    for incident_id, labels in open_:
        for policy in policies:
            if (namespace := _covers(policy, target, labels)) is not None:
                found.append(Covered(incident_id, policy.name, namespace))
    return found


def _what(target: TargetArgs) -> str:
    where = f" -n {target.namespace}" if target.namespace else ""
    return f"{target.kind.value.lower()}/{target.name}{where}"


async def recent(svc: BotServices) -> list[ActionRow]:
    async with svc.engine.connect() as conn:
        return await list_actions(conn, limit=RECENT)


async def request_restart(
    svc: BotServices, rem: Remediation, target: TargetArgs, *, by: str
) -> ActionRow:
    """Ask the covering policy for a rollout restart (raises NotFoundError, ActionError)."""
    async with svc.engine.begin() as conn:
        found = covered(rem.config.policies, target, await open_incident_labels(conn))
        if not found:
            raise NotFoundError(
                f"no remediation policy restarts {_what(target)} for an open incident;"
                " nothing asked"
            )
        namespaces = sorted({c.namespace for c in found})
        if len(namespaces) > 1:
            raise NotFoundError(f"{_what(target)} is in {', '.join(namespaces)}: add -n NAMESPACE")
        proposal = await service.request(
            conn, rem.config, incident_id=found[0].incident_id, policy_name=found[0].policy,
            by=by, now=svc.clock(), metrics=rem.metrics, edits=rem.edits,
        )  # fmt: skip
    svc.wake()
    assert proposal.action is not None  # a request by hand is never only a suggestion
    return proposal.action


async def approve(svc: BotServices, rem: Remediation, action_id: int, *, by: str) -> ActionRow:
    async with svc.engine.begin() as conn:
        row = await service.approve(
            conn, rem.config, action_id=action_id, by=by, now=svc.clock(),
            metrics=rem.metrics, edits=rem.edits,
        )  # fmt: skip
    svc.wake()
    return row


async def reject(svc: BotServices, rem: Remediation, action_id: int, *, by: str) -> ActionRow:
    async with svc.engine.begin() as conn:
        row = await service.reject(
            conn, action_id=action_id, by=by, now=svc.clock(), metrics=rem.metrics,
            edits=rem.edits,
        )  # fmt: skip
    svc.wake()
    return row


async def pause(svc: BotServices, paused: bool, *, by: str) -> None:
    async with svc.engine.begin() as conn:
        await service.pause(conn, paused, by, svc.clock())


async def reset_circuit(svc: BotServices, target: TargetArgs, *, by: str) -> str:
    """Close the target's circuit; without ``-n`` the namespace its actions ran in."""
    async with svc.engine.begin() as conn:
        namespace = target.namespace
        if namespace is None:
            seen = {
                a.target_namespace
                for a in await list_actions(conn, limit=500)
                if a.target_name == target.name and a.target_kind == target.kind.value
            }
            if len(seen) != 1:
                raise NotFoundError(f"which namespace? /circuit_reset {_what(target)} -n prod")
            namespace = seen.pop()
        await service.close_circuit(conn, namespace, target.name, by, svc.clock())
    return f"{namespace}/{target.name}"
