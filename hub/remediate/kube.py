"""The Kubernetes executor: each action as ``kubectl`` does it, through the official client.

The client is synchronous, so every call runs in a thread (``asyncio.to_thread``); each
has a request timeout. Objects are read as the API's JSON, which the rollout judgement
and the patches are written against.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hub.remediate.config import KubernetesConfig
from hub.remediate.errors import KubeError, KubeFailureReason, from_exception
from hub.remediate.model import Target, TargetKind
from hub.remediate.rollout import RolloutState, rollout_status

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

# The kubernetes package imports thousands of generated models (seconds of start-up): it
# is imported where a client is made, so a hub without policies never pays for it.

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"
FIELD_MANAGER = "alerthub"
T = TypeVar("T")


def load_api_client(config: KubernetesConfig, env: Mapping[str, str] | None = None) -> ApiClient:
    """The client's standard loading: ``kubernetes.kubeconfig``/``context``, else
    ``KUBECONFIG`` or ``~/.kube/config``, else the pod's service account (in-cluster)."""
    env = os.environ if env is None else env
    path = config.kubeconfig or env.get("KUBECONFIG")
    if path is None:
        default = Path(env.get("HOME", "~")).expanduser() / ".kube" / "config"
        path = str(default) if default.is_file() else None
    if path is None and config.context is not None:
        raise KubeError(
            "kubernetes.context is set but no kubeconfig was found",
            reason=KubeFailureReason.CONFIG,
            retryable=False,
        )
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config import incluster_config, kube_config

    client_config = Configuration()
    try:
        if path is not None:
            kube_config.load_kube_config(
                config_file=path,
                context=config.context,
                client_configuration=client_config,
                persist_config=False,
            )
        else:
            incluster_config.load_incluster_config(client_configuration=client_config)
    except Exception as exc:  # ConfigException, OSError, YAML errors: all mean "no access"
        raise KubeError(
            f"cannot load cluster access: {exc}", reason=KubeFailureReason.CONFIG, retryable=False
        ) from None
    client_config.retries = False  # retrying is the outbox's job, not urllib3's
    return ApiClient(client_config)


def rfc3339(at: datetime) -> str:
    """``2026-03-01T03:16:00Z``: Go's ``time.RFC3339`` in UTC, as kubectl writes it."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def restart_patch(restarted_at: str) -> dict[str, Any]:
    """The strategic merge patch ``kubectl rollout restart`` sends."""
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: restarted_at}}}}}


def job_from_cronjob(cronjob: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The Job ``kubectl create job NAME --from=cronjob/...`` builds from a CronJob."""
    template = cronjob.get("spec", {}).get("jobTemplate", {})
    meta = template.get("metadata", {}) or {}
    annotations = {"cronjob.kubernetes.io/instantiate": "manual", **(meta.get("annotations") or {})}
    job_meta: dict[str, Any] = {
        "name": name,
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": cronjob["metadata"]["name"],
                "uid": cronjob["metadata"]["uid"],
                "controller": True,
            }
        ],
    }
    if meta.get("labels"):
        job_meta["labels"] = meta["labels"]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template["spec"]}


def job_name(cronjob: str, action_id: int) -> str:
    """A Job name per action (so a replayed create is ``AlreadyExists``, not a second Job)."""
    suffix = f"-hub-{action_id}"
    return cronjob[: 63 - len(suffix)].rstrip("-.") + suffix


@dataclass(frozen=True)
class CallResult:
    """What a call did: the object's new generation (to watch), and whether it was a no-op."""

    detail: str
    generation: int | None = None
    uid: str | None = None
    already_done: bool = False


def _body(response: Any) -> dict[str, Any]:
    data = json.loads(response.data or b"{}")
    return data if isinstance(data, dict) else {}


class KubeExecutor:
    """Runs actions against one cluster; every public method is a coroutine."""

    def __init__(self, api: ApiClient, timeout: float) -> None:
        from kubernetes.client import AppsV1Api, BatchV1Api, CoreV1Api

        self._api = api
        self._apps = AppsV1Api(api)
        self._core = CoreV1Api(api)
        self._batch = BatchV1Api(api)
        self._timeout = timeout

    def close(self) -> None:
        self._api.close()

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:
            raise from_exception(exc) from None

    def _opts(self) -> dict[str, Any]:
        return {"_request_timeout": self._timeout, "_preload_content": False}

    def _reader(self, kind: TargetKind | str) -> Callable[..., Any]:
        return {
            TargetKind.DEPLOYMENT: self._apps.read_namespaced_deployment,
            TargetKind.STATEFUL_SET: self._apps.read_namespaced_stateful_set,
            TargetKind.DAEMON_SET: self._apps.read_namespaced_daemon_set,
            TargetKind.POD: self._core.read_namespaced_pod,
            TargetKind.CRON_JOB: self._batch.read_namespaced_cron_job,
            "Job": self._batch.read_namespaced_job,
        }[kind]

    async def read(self, kind: TargetKind | str, namespace: str, name: str) -> dict[str, Any]:
        """The object as the API's JSON."""
        reader = self._reader(kind)
        return _body(await self._run(lambda: reader(name, namespace, **self._opts())))

    async def rollout_restart(self, target: Target, restarted_at: str) -> CallResult:
        """``kubectl rollout restart``; the same ``restarted_at`` twice changes nothing."""
        current = await self.read(target.kind, target.namespace, target.name)
        if target.kind is TargetKind.DEPLOYMENT and current.get("spec", {}).get("paused"):
            raise KubeError(
                "can't restart paused deployment (run rollout resume first)",
                reason=KubeFailureReason.TARGET_PAUSED,
                retryable=False,
            )
        patcher = {
            TargetKind.DEPLOYMENT: self._apps.patch_namespaced_deployment,
            TargetKind.STATEFUL_SET: self._apps.patch_namespaced_stateful_set,
            TargetKind.DAEMON_SET: self._apps.patch_namespaced_daemon_set,
        }[target.kind]
        patched = _body(
            await self._run(
                lambda: patcher(
                    target.name,
                    target.namespace,
                    restart_patch(restarted_at),
                    field_manager=FIELD_MANAGER,
                    _content_type=STRATEGIC_MERGE,
                    **self._opts(),
                )
            )
        )
        generation = int(patched.get("metadata", {}).get("generation") or 0)
        return CallResult(f"restartedAt {restarted_at}", generation=generation)

    async def pod_uid(self, target: Target) -> str:
        pod = await self.read(TargetKind.POD, target.namespace, target.name)
        return str(pod.get("metadata", {}).get("uid", ""))

    async def delete_pod(self, target: Target, uid: str) -> CallResult:
        """``kubectl delete pod``, only if the pod is still the one with ``uid``."""
        from kubernetes.client import V1DeleteOptions, V1Preconditions

        body = V1DeleteOptions(
            propagation_policy="Background", preconditions=V1Preconditions(uid=uid)
        )
        try:
            await self._run(
                lambda: self._core.delete_namespaced_pod(
                    target.name, target.namespace, body=body, **self._opts()
                )
            )
        except KubeError as exc:
            if exc.reason in (KubeFailureReason.NOT_FOUND, KubeFailureReason.CONFLICT):
                # Gone already, or replaced by a new pod of the same name: the one meant is gone.
                return CallResult(f"pod {uid} already gone", uid=uid, already_done=True)
            raise
        return CallResult(f"deleted pod {uid}", uid=uid)

    async def current_replicas(self, target: Target) -> int:
        scale = _body(
            await self._run(
                lambda: self._apps.read_namespaced_deployment_scale(
                    target.name, target.namespace, **self._opts()
                )
            )
        )
        return int(scale.get("spec", {}).get("replicas") or 0)

    async def scale(self, target: Target, replicas: int) -> CallResult:
        """``kubectl scale --replicas=N`` (a merge patch of the scale subresource)."""
        await self._run(
            lambda: self._apps.patch_namespaced_deployment_scale(
                target.name,
                target.namespace,
                {"spec": {"replicas": replicas}},
                field_manager=FIELD_MANAGER,
                _content_type=MERGE_PATCH,
                **self._opts(),
            )
        )
        deployment = await self.read(target.kind, target.namespace, target.name)
        generation = int(deployment.get("metadata", {}).get("generation") or 0)
        return CallResult(f"replicas {replicas}", generation=generation)

    async def create_job(self, target: Target, name: str) -> CallResult:
        """``kubectl create job NAME --from=cronjob/...``; a replay finds its Job there."""
        from kubernetes.client import V1Job

        cronjob = await self.read(TargetKind.CRON_JOB, target.namespace, target.name)
        job = V1Job.model_validate(job_from_cronjob(cronjob, name))
        try:
            await self._run(
                lambda: self._batch.create_namespaced_job(
                    target.namespace, job, field_manager=FIELD_MANAGER, **self._opts()
                )
            )
        except KubeError as exc:
            if exc.status == 409:
                return CallResult(f"job {name} exists", already_done=True)
            raise
        return CallResult(f"job {name}")

    async def rollout(self, kind: TargetKind | str, namespace: str, name: str) -> RolloutState:
        """One look at the rollout, judged as ``kubectl rollout status`` judges it."""
        return rollout_status(kind, await self.read(kind, namespace, name))
