"""The fake Kubernetes API's objects: real apps/v1, core/v1, batch/v1 JSON and their status.

Resources, discovery documents, patches (strategic merge and JSON merge, as far as these
objects need) and how a workload's status moves through a rollout.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """One REST resource as discovery lists it."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    verbs: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group_version}" if self.group else "/api/v1"


RESOURCES = (
    Resource("", "v1", "pods", "Pod", ("po",)),
    Resource("", "v1", "services", "Service", ("svc",)),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", ("sa",)),
    Resource("", "v1", "configmaps", "ConfigMap", ("cm",)),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "namespaces", "Namespace", ("ns",), namespaced=False),
    Resource("apps", "v1", "deployments", "Deployment", ("deploy",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", ("sts",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", ("ds",)),
    Resource("batch", "v1", "jobs", "Job"),
    Resource("batch", "v1", "cronjobs", "CronJob", ("cj",)),
    # kubectl 1.20 knows CronJobs only as batch/v1beta1; same objects, older address.
    Resource("batch", "v1beta1", "cronjobs", "CronJob", ("cj",)),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
)
SCALABLE = frozenset({"deployments", "statefulsets"})
WORKLOADS = frozenset({"deployments", "statefulsets", "daemonsets"})


def find_resource(group: str, version: str, plural: str) -> Resource | None:
    return next(
        (r for r in RESOURCES if (r.group, r.version, r.plural) == (group, version, plural)), None
    )


def api_versions(host: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
    }


def api_group_list() -> Obj:
    groups: dict[str, list[str]] = {}
    for r in RESOURCES:
        if r.group and r.version not in groups.setdefault(r.group, []):
            groups[r.group].append(r.version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": name,
                "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
                "preferredVersion": {
                    "groupVersion": f"{name}/{versions[0]}",
                    "version": versions[0],
                },
            }
            for name, versions in groups.items()
        ],
    }


def api_resource_list(group: str, version: str) -> Obj | None:
    found = [r for r in RESOURCES if (r.group, r.version) == (group, version)]
    if not found:
        return None
    items: list[Obj] = []
    for r in found:
        items.append(
            {
                "name": r.plural,
                "singularName": r.kind.lower(),
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
                "shortNames": list(r.short_names),
            }
        )
        if r.plural in SCALABLE:
            items.append(
                {
                    "name": f"{r.plural}/scale",
                    "singularName": "",
                    "namespaced": True,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if r.plural in WORKLOADS:
            items.append(
                {
                    "name": f"{r.plural}/status",
                    "singularName": "",
                    "namespaced": True,
                    "kind": r.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": found[0].group_version,
        "resources": items,
    }


def status_error(code: int, reason: str, message: str, **details: Any) -> Obj:
    """A ``Status`` failure body, as the API server answers errors."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }


def timestamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(name: str, namespace: str, labels: dict[str, str] | None = None) -> Obj:
    return {
        "name": name,
        "namespace": namespace,
        "uid": str(uuid.uuid4()),
        "resourceVersion": "1",
        "generation": 1,
        "creationTimestamp": timestamp(),
        "labels": labels or {"app": name},
    }


def _pod_template(app: str) -> Obj:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": app, "image": f"registry.local/{app}:1.0"}]},
    }


def deployment(name: str, namespace: str, replicas: int = 3, *, paused: bool = False) -> Obj:
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template(name),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "progressDeadlineSeconds": 600,
        },
    }
    if paused:
        obj["spec"]["paused"] = True
    settle(obj)
    return obj


def statefulset(name: str, namespace: str, replicas: int = 2) -> Obj:
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(name, namespace),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template(name),
            "updateStrategy": {"type": "RollingUpdate"},
        },
    }
    settle(obj)
    return obj


def daemonset(name: str, namespace: str, nodes: int = 2) -> Obj:
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(name, namespace),
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template(name),
            "updateStrategy": {"type": "RollingUpdate"},
        },
        "status": {"desiredNumberScheduled": nodes},
    }
    settle(obj)
    return obj


def pod(name: str, namespace: str, app: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace, {"app": app}),
        "spec": _pod_template(app)["spec"],
        "status": {"phase": "Running"},
    }


def cronjob(name: str, namespace: str, schedule: str = "0 3 * * *") -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(name, namespace),
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": {"labels": {"app": name}, "annotations": {"team": "ml"}},
                "spec": {
                    "backoffLimit": 2,
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "train",
                                    "image": "registry.local/train:2.1",
                                    "args": ["--full"],
                                }
                            ],
                        },
                    },
                },
            },
        },
    }


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, ``null`` deletes, anything else replaces.

    For the fields these objects are patched on (annotations, replicas), a strategic
    merge patch behaves the same way.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def bump(obj: Obj, spec_changed: bool) -> None:
    """A write: new resourceVersion; a changed spec is a new generation."""
    meta = obj["metadata"]
    meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1)
    if spec_changed:
        meta["generation"] = int(meta.get("generation", 1)) + 1


def wanted_replicas(obj: Obj) -> int:
    if obj["kind"] == "DaemonSet":
        return int(obj["status"].get("desiredNumberScheduled", 1))
    return int(obj["spec"].get("replicas", 1))


def settle(obj: Obj) -> None:
    """The workload fully rolled out at its current generation."""
    n = wanted_replicas(obj)
    gen = obj["metadata"]["generation"]
    if obj["kind"] == "DaemonSet":
        obj["status"] = {
            "observedGeneration": gen,
            "desiredNumberScheduled": n,
            "currentNumberScheduled": n,
            "updatedNumberScheduled": n,
            "numberReady": n,
            "numberAvailable": n,
        }
    elif obj["kind"] == "StatefulSet":
        rev = f"{obj['metadata']['name']}-{gen}"
        obj["status"] = {
            "observedGeneration": gen,
            "replicas": n,
            "readyReplicas": n,
            "currentReplicas": n,
            "updatedReplicas": n,
            "availableReplicas": n,
            "currentRevision": rev,
            "updateRevision": rev,
        }
    else:
        obj["status"] = {
            "observedGeneration": gen,
            "replicas": n,
            "updatedReplicas": n,
            "readyReplicas": n,
            "availableReplicas": n,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }


def rollout_step(obj: Obj, updated: int) -> None:
    """Mid-rollout at the current generation: ``updated`` new pods, one surge pod, old ones
    still running (what a stuck rollout shows forever)."""
    n = wanted_replicas(obj)
    gen = obj["metadata"]["generation"]
    status = obj["status"]
    status["observedGeneration"] = gen
    if obj["kind"] == "DaemonSet":
        status.update(updatedNumberScheduled=updated, numberAvailable=max(updated - 1, 0))
    elif obj["kind"] == "StatefulSet":
        status.update(
            updatedReplicas=updated,
            readyReplicas=min(n - 1, n),
            updateRevision=f"{obj['metadata']['name']}-{gen}",
        )
    else:
        status.update(
            replicas=n + 1 if updated < n else n,
            updatedReplicas=updated,
            readyReplicas=n,
            availableReplicas=n,
        )
        status["conditions"] = [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
        ]


def job_status(obj: Obj, *, done: bool) -> None:
    if done:
        obj["status"] = {
            "succeeded": 1,
            "startTime": timestamp(),
            "completionTime": timestamp(),
            "conditions": [{"type": "Complete", "status": "True"}],
        }
    else:
        obj["status"] = {"active": 1, "startTime": timestamp()}


def scale_of(obj: Obj) -> Obj:
    """The ``autoscaling/v1`` Scale of a Deployment or StatefulSet."""
    meta = obj["metadata"]
    selector = ",".join(f"{k}={v}" for k, v in obj["spec"]["selector"]["matchLabels"].items())
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {"replicas": obj["status"].get("replicas", 0), "selector": selector},
    }
