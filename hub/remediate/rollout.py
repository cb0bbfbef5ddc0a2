"""Has a rollout finished? The same judgement as ``kubectl rollout status``.

Pure functions over the API's JSON objects, after kubectl's
``polymorphichelpers/rollout_status.go`` (Deployment, DaemonSet, StatefulSet), plus a
Job's completion for ``create_job``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.remediate.model import TargetKind

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class RolloutState:
    """``done`` with kubectl's message, or an ``error`` that no waiting will fix."""

    done: bool
    message: str
    error: str | None = None


def _get(obj: Obj, *path: str, default: Any = None) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def _int(obj: Obj, *path: str) -> int:
    return int(_get(obj, *path, default=0) or 0)


def deployment_status(obj: Obj) -> RolloutState:
    name = _get(obj, "metadata", "name", default="")
    if _int(obj, "metadata", "generation") > _int(obj, "status", "observedGeneration"):
        return RolloutState(False, "Waiting for deployment spec update to be observed...")
    for cond in _get(obj, "status", "conditions", default=[]) or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            msg = f'deployment "{name}" exceeded its progress deadline'
            return RolloutState(False, msg, error=msg)
    wanted = _get(obj, "spec", "replicas")
    updated = _int(obj, "status", "updatedReplicas")
    if wanted is not None and updated < int(wanted):
        return RolloutState(
            False,
            f'Waiting for deployment "{name}" rollout to finish: {updated} out of {wanted}'
            " new replicas have been updated...",
        )
    replicas = _int(obj, "status", "replicas")
    if replicas > updated:
        return RolloutState(
            False,
            f'Waiting for deployment "{name}" rollout to finish: {replicas - updated}'
            " old replicas are pending termination...",
        )
    available = _int(obj, "status", "availableReplicas")
    if available < updated:
        return RolloutState(
            False,
            f'Waiting for deployment "{name}" rollout to finish: {available} of {updated}'
            " updated replicas are available...",
        )
    return RolloutState(True, f'deployment "{name}" successfully rolled out')


def daemonset_status(obj: Obj) -> RolloutState:
    name = _get(obj, "metadata", "name", default="")
    if _get(obj, "spec", "updateStrategy", "type", default="RollingUpdate") != "RollingUpdate":
        msg = "rollout status is only available for RollingUpdate strategy type"
        return RolloutState(True, msg, error=msg)
    if _int(obj, "metadata", "generation") > _int(obj, "status", "observedGeneration"):
        return RolloutState(False, "Waiting for daemon set spec update to be observed...")
    desired = _int(obj, "status", "desiredNumberScheduled")
    updated = _int(obj, "status", "updatedNumberScheduled")
    if updated < desired:
        return RolloutState(
            False,
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired}'
            " new pods have been updated...",
        )
    available = _int(obj, "status", "numberAvailable")
    if available < desired:
        return RolloutState(
            False,
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired}'
            " updated pods are available...",
        )
    return RolloutState(True, f'daemon set "{name}" successfully rolled out')


def statefulset_status(obj: Obj) -> RolloutState:
    strategy = _get(obj, "spec", "updateStrategy", default={}) or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        msg = "rollout status is only available for RollingUpdate strategy type"
        return RolloutState(True, msg, error=msg)
    observed = _int(obj, "status", "observedGeneration")
    if observed == 0 or _int(obj, "metadata", "generation") > observed:
        return RolloutState(False, "Waiting for statefulset spec update to be observed...")
    wanted = _get(obj, "spec", "replicas")
    ready = _int(obj, "status", "readyReplicas")
    if wanted is not None and ready < int(wanted):
        return RolloutState(False, f"Waiting for {int(wanted) - ready} pods to be ready...")
    updated = _int(obj, "status", "updatedReplicas")
    partition = _get(strategy, "rollingUpdate", "partition")
    if strategy.get("rollingUpdate") is not None:
        if wanted is not None and partition is not None and updated < int(wanted) - partition:
            return RolloutState(
                False,
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {int(wanted) - partition} new pods have been updated...",
            )
        return RolloutState(
            True, f"partitioned roll out complete: {updated} new pods have been updated..."
        )
    update_rev = _get(obj, "status", "updateRevision", default="")
    current_rev = _get(obj, "status", "currentRevision", default="")
    if update_rev != current_rev:
        return RolloutState(
            False,
            f"waiting for statefulset rolling update to complete {updated} pods at revision"
            f" {update_rev}...",
        )
    current = _int(obj, "status", "currentReplicas")
    return RolloutState(
        True, f"statefulset rolling update complete {current} pods at revision {current_rev}..."
    )


def job_status(obj: Obj) -> RolloutState:
    name = _get(obj, "metadata", "name", default="")
    for cond in _get(obj, "status", "conditions", default=[]) or []:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return RolloutState(True, f'job "{name}" completed')
        if cond.get("type") == "Failed":
            msg = f'job "{name}" failed: {cond.get("reason", "")}'.rstrip(": ")
            return RolloutState(False, msg, error=msg)
    wanted = int(_get(obj, "spec", "completions", default=1) or 1)
    succeeded = _int(obj, "status", "succeeded")
    if succeeded >= wanted:
        return RolloutState(True, f'job "{name}" completed')
    return RolloutState(False, f'Waiting for job "{name}": {succeeded} of {wanted} completions...')


def rollout_status(kind: TargetKind | str, obj: Obj) -> RolloutState:
    """kubectl's verdict for the object; ``Job`` judges a job ``create_job`` started."""
    match kind:
        case TargetKind.DEPLOYMENT:
            return deployment_status(obj)
        case TargetKind.DAEMON_SET:
            return daemonset_status(obj)
        case TargetKind.STATEFUL_SET:
            return statefulset_status(obj)
        case "Job":
            return job_status(obj)
    raise ValueError(f"no rollout to watch for {kind}")
