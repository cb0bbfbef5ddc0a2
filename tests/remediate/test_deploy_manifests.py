"""deploy/kubernetes: schema-valid objects, a locked-down pod, and RBAC that grants exactly
the calls the hub's actions make, in exactly the namespaces its policies allow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from hub.config.loader import parse_config
from hub.remediate.kube import KubeExecutor, job_name, rfc3339
from hub.remediate.model import Target, TargetKind
from tests.fakes import kube_objects as ko
from tests.fakes.kube_api import FakeKube
from tests.remediate.conftest import Kubectl
from tests.support.waiting import eventually

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
MODELS: dict[str, Any] = {
    "Deployment": k8s.V1Deployment,
    "Service": k8s.V1Service,
    "ServiceAccount": k8s.V1ServiceAccount,
    "ConfigMap": k8s.V1ConfigMap,
    "Role": k8s.V1Role,
    "RoleBinding": k8s.V1RoleBinding,
}
_VERBS = {"GET": "get", "PATCH": "patch", "DELETE": "delete", "POST": "create"}


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(DEPLOY_DIR.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


@pytest.mark.parametrize(
    "doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['namespace']}"
)
def test_schema(doc: dict[str, Any]) -> None:
    """Each object validates against the client's models of the API (unknown fields fail)."""
    model = MODELS[doc["kind"]].model_validate(doc)
    assert model.metadata.name


def test_pod_is_locked_down() -> None:
    (deployment,) = of_kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    sec = container["securityContext"]
    assert sec["readOnlyRootFilesystem"] is True
    assert sec["allowPrivilegeEscalation"] is False
    assert sec["capabilities"]["drop"] == ["ALL"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert ports == {"http": 9880}
    (service,) = of_kind("Service")
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert pod["serviceAccountName"] == of_kind("ServiceAccount")[0]["metadata"]["name"]


def _shipped_config() -> Any:
    (configmap,) = of_kind("ConfigMap")
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_ID": "-100", "ALERTHUB_API_TOKEN": "a",
           "ALERTHUB_INTAKE_TOKEN": "i"}  # fmt: skip
    return parse_config(configmap["data"]["config.yaml"], env=env).config


def test_one_role_per_allowed_namespace() -> None:
    config = _shipped_config()
    allowed = {ns for p in config.remediation.policies for ns in p.allowed_namespaces}
    roles = {r["metadata"]["namespace"] for r in of_kind("Role")}
    bindings = of_kind("RoleBinding")
    assert roles == allowed == {b["metadata"]["namespace"] for b in bindings}
    account = of_kind("ServiceAccount")[0]["metadata"]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "alerthub-remediation"
        }  # fmt: skip
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}
        ]
    assert config.kubernetes.kubeconfig is None  # in-cluster: the pod's service account


def _granted(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _needed(kube: FakeKube) -> set[tuple[str, str, str]]:
    """(apiGroup, resource[/subresource], verb) of every call the fake saw."""
    needed = set()
    for r in kube.requests:
        parts = r.path.strip("/").split("/")
        group = "" if parts[0] == "api" else parts[1]
        rest = parts[2:] if parts[0] == "api" else parts[3:]
        resource = rest[2] + (f"/{rest[4]}" if len(rest) > 4 else "")
        needed.add((group, resource, _VERBS[r.method]))
    return needed


async def test_role_grants_exactly_the_calls_actions_make(
    kube: FakeKube, executor: KubeExecutor
) -> None:
    kube.add(ko.statefulset("model-store", "prod"))
    kube.add(ko.daemonset("model-agent", "prod"))
    at = rfc3339(datetime(2030, 1, 1, tzinfo=UTC))
    for kind, name in [
        (TargetKind.DEPLOYMENT, "model-api"),
        (TargetKind.STATEFUL_SET, "model-store"),
        (TargetKind.DAEMON_SET, "model-agent"),
    ]:
        await executor.rollout_restart(Target(kind, "prod", name), at)
        await eventually(
            lambda k=kind, n=name: executor.rollout(k, "prod", n),  # type: ignore[misc]
            check=lambda s: s.done,
        )
    deploy = Target(TargetKind.DEPLOYMENT, "prod", "model-api")
    await executor.scale(deploy, await executor.current_replicas(deploy) + 1)
    pod = Target(TargetKind.POD, "prod", "model-api-7c9f8d-x1")
    await executor.delete_pod(pod, await executor.pod_uid(pod))
    name = job_name("retrain", 1)
    await executor.create_job(Target(TargetKind.CRON_JOB, "prod", "retrain"), name)
    await executor.rollout("Job", "prod", name)
    for role in of_kind("Role"):
        assert _granted(role) == _needed(kube)


async def test_kubectl_apply_dry_run(kube: FakeKube, kubectl: Kubectl) -> None:
    # The fake serves no OpenAPI document; the schema check is test_schema's.
    applied = await kubectl("apply", "--dry-run=client", "--validate=false", "-f", str(DEPLOY_DIR))
    assert applied.code == 0, applied.err
    lines = sorted(applied.out.strip().splitlines())
    assert lines == sorted(
        [
            "configmap/alerthub-config created (dry run)",
            "deployment.apps/alerthub created (dry run)",
            "service/alerthub created (dry run)",
            "serviceaccount/alerthub created (dry run)",
        ]
        + ["role.rbac.authorization.k8s.io/alerthub-remediation created (dry run)"] * 2
        + ["rolebinding.rbac.authorization.k8s.io/alerthub-remediation created (dry run)"] * 2
    )
    assert not kube.calls(mutating=True)
