"""The fake API server checked with the real kubectl, and the hub's calls checked against
kubectl's own: what works for kubectl here is what the hub would meet in a cluster."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hub.remediate.kube import KubeExecutor, rfc3339
from hub.remediate.model import Target, TargetKind
from tests.fakes import kube_objects as ko
from tests.fakes.kube_api import FakeKube, KubeRequest
from tests.remediate.conftest import Kubectl

_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _only(requests: list[KubeRequest]) -> KubeRequest:
    assert len(requests) == 1, requests
    return requests[0]


async def test_kubectl_rollout_restart_and_status(kube: FakeKube, kubectl: Kubectl) -> None:
    restarted = await kubectl("rollout", "restart", "deployment/model-api", "-n", "prod")
    assert (restarted.code, restarted.out.strip()) == (0, "deployment.apps/model-api restarted")
    status = await kubectl(
        "rollout", "status", "deployment/model-api", "-n", "prod", "--timeout=20s"
    )
    assert status.code == 0, status.err
    assert status.out.strip().endswith('deployment "model-api" successfully rolled out')
    obj = kube.get("deployments", "prod", "model-api")
    assert obj is not None
    assert obj["metadata"]["generation"] == obj["status"]["observedGeneration"] == 2


async def test_kubectl_sees_a_stuck_rollout(kube: FakeKube, kubectl: Kubectl) -> None:
    kube.stuck = True
    assert (await kubectl("rollout", "restart", "deployment/model-api", "-n", "prod")).code == 0
    status = await kubectl(
        "rollout", "status", "deployment/model-api", "-n", "prod", "--timeout=2s"
    )
    assert status.code != 0
    assert "1 out of 3 new replicas have been updated" in status.out
    assert "timed out" in status.err


async def test_kubectl_scale(kube: FakeKube, kubectl: Kubectl) -> None:
    scaled = await kubectl("scale", "deployment/model-api", "--replicas=5", "-n", "prod")
    assert (scaled.code, scaled.out.strip()) == (0, "deployment.apps/model-api scaled")
    obj = kube.get("deployments", "prod", "model-api")
    assert obj is not None
    assert obj["spec"]["replicas"] == 5


async def test_kubectl_delete_pod(kube: FakeKube, kubectl: Kubectl) -> None:
    deleted = await kubectl("delete", "pod", "model-api-7c9f8d-x1", "-n", "prod")
    assert (deleted.code, deleted.out.strip()) == (0, 'pod "model-api-7c9f8d-x1" deleted')
    assert kube.get("pods", "prod", "model-api-7c9f8d-x1") is None


def _compact(body: bytes) -> bytes:
    """The same JSON as Go's encoder writes it (the Python client puts a space after
    ``:`` and ``,``; key order and values are the client's own)."""
    return json.dumps(json.loads(body), separators=(",", ":")).encode()


async def test_hub_restart_patch_equals_kubectl(
    kube: FakeKube,
    kubectl: Kubectl,
    executor: KubeExecutor,
) -> None:
    assert (await kubectl("rollout", "restart", "deployment/model-api", "-n", "prod")).code == 0
    theirs = _only(kube.calls("PATCH"))
    kube.requests.clear()
    at = rfc3339(datetime(2030, 1, 1, tzinfo=UTC))
    await executor.rollout_restart(Target(TargetKind.DEPLOYMENT, "prod", "model-api"), at)
    ours = _only(kube.calls("PATCH"))
    assert ours.path == theirs.path
    assert ours.content_type == theirs.content_type == "application/strategic-merge-patch+json"
    assert _TIMESTAMP.sub(b"<t>", _compact(ours.body)) == _TIMESTAMP.sub(b"<t>", theirs.body)
    assert ours.json() == json.loads(
        theirs.body.replace(_TIMESTAMP.findall(theirs.body)[0], at.encode())
    )
    # kubectl names itself as field manager; the hub names itself.
    assert (theirs.query["fieldManager"], ours.query["fieldManager"]) == (
        "kubectl-rollout",
        "alerthub",
    )


async def test_hub_scale_patch_equals_kubectl(
    kube: FakeKube,
    kubectl: Kubectl,
    executor: KubeExecutor,
) -> None:
    assert (await kubectl("scale", "deployment/model-api", "--replicas=5", "-n", "prod")).code == 0
    theirs = _only(kube.calls("PATCH"))
    kube.requests.clear()
    await executor.scale(Target(TargetKind.DEPLOYMENT, "prod", "model-api"), 5)
    ours = _only(kube.calls("PATCH"))
    assert (ours.path, ours.content_type) == (theirs.path, theirs.content_type)
    assert _compact(ours.body) == theirs.body


async def test_kubectl_reads_what_the_hub_wrote(
    kube: FakeKube,
    kubectl: Kubectl,
    executor: KubeExecutor,
) -> None:
    kube.add(ko.statefulset("model-store", "prod"))
    at = rfc3339(datetime(2030, 1, 1, tzinfo=UTC))
    await executor.rollout_restart(Target(TargetKind.STATEFUL_SET, "prod", "model-store"), at)
    status = await kubectl(
        "rollout", "status", "statefulset/model-store", "-n", "prod", "--timeout=20s"
    )
    assert status.code == 0, status.err
    assert "rolling update complete 2 pods at revision model-store-2" in status.out
    got = await kubectl(
        "get", "statefulset", "model-store", "-n", "prod",
        "-o", "jsonpath={.spec.template.metadata.annotations}",
    )  # fmt: skip
    assert json.loads(got.out) == {"kubectl.kubernetes.io/restartedAt": at}
