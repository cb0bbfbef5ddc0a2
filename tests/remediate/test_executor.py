"""The executor through the official client against the fake API server over HTTPS."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from hub.remediate.config import KubernetesConfig
from hub.remediate.errors import KubeError, KubeFailureReason
from hub.remediate.kube import (
    RESTARTED_AT,
    KubeExecutor,
    job_name,
    load_api_client,
    rfc3339,
)
from hub.remediate.model import Target, TargetKind
from tests.fakes import kube_objects as ko
from tests.fakes.kube_api import FakeKube
from tests.support.waiting import eventually

DEPLOY = Target(TargetKind.DEPLOYMENT, "prod", "model-api")
AT = rfc3339(datetime(2026, 3, 1, 3, 16, 5, 123456, tzinfo=UTC))


def test_rfc3339_is_go_format() -> None:
    assert AT == "2026-03-01T03:16:05Z"


async def test_rollout_restart_patches_and_rolls_out(
    kube: FakeKube, executor: KubeExecutor
) -> None:
    result = await executor.rollout_restart(DEPLOY, AT)
    patch = kube.calls("PATCH")[0]
    assert patch.path == "/apis/apps/v1/namespaces/prod/deployments/model-api"
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert patch.json() == {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: AT}}}}}
    assert patch.query == {"fieldManager": "alerthub"}
    obj = kube.get("deployments", "prod", "model-api")
    assert obj is not None
    assert obj["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] == AT
    assert result.generation == obj["metadata"]["generation"] == 2
    first = await executor.rollout(TargetKind.DEPLOYMENT, "prod", "model-api")
    assert not first.done
    done = await eventually(
        lambda: executor.rollout(TargetKind.DEPLOYMENT, "prod", "model-api"),
        what="rollout complete",
        check=lambda s: s.done,
    )
    assert done.message == 'deployment "model-api" successfully rolled out'


async def test_same_restart_twice_changes_nothing(kube: FakeKube, executor: KubeExecutor) -> None:
    first = await executor.rollout_restart(DEPLOY, AT)
    again = await executor.rollout_restart(DEPLOY, AT)
    assert first.generation == again.generation == 2


@pytest.mark.parametrize("kind", [TargetKind.STATEFUL_SET, TargetKind.DAEMON_SET], ids=str)
async def test_restart_other_workloads(
    kube: FakeKube, executor: KubeExecutor, kind: TargetKind
) -> None:
    kube.add(
        ko.statefulset("db", "prod")
        if kind is TargetKind.STATEFUL_SET
        else ko.daemonset("db", "prod")
    )
    result = await executor.rollout_restart(Target(kind, "prod", "db"), AT)
    assert result.generation == 2
    await eventually(
        lambda: executor.rollout(kind, "prod", "db"), what="rollout", check=lambda s: s.done
    )


async def test_stuck_rollout_never_completes(kube: FakeKube, executor: KubeExecutor) -> None:
    kube.stuck = True
    await executor.rollout_restart(DEPLOY, AT)
    state = await eventually(
        lambda: executor.rollout(TargetKind.DEPLOYMENT, "prod", "model-api"),
        what="rollout started",
        check=lambda s: "1 out of 3" in s.message,
    )
    assert not state.done
    assert state.error is None


async def test_paused_deployment_is_not_restarted(kube: FakeKube, executor: KubeExecutor) -> None:
    kube.add(ko.deployment("model-paused", "prod", paused=True))
    with pytest.raises(KubeError) as caught:
        await executor.rollout_restart(Target(TargetKind.DEPLOYMENT, "prod", "model-paused"), AT)
    assert caught.value.reason is KubeFailureReason.TARGET_PAUSED
    assert not kube.calls("PATCH")


async def test_delete_pod_with_uid_precondition(kube: FakeKube, executor: KubeExecutor) -> None:
    target = Target(TargetKind.POD, "prod", "model-api-7c9f8d-x1")
    uid = await executor.pod_uid(target)
    result = await executor.delete_pod(target, uid)
    assert not result.already_done
    delete = kube.calls("DELETE")[0]
    assert delete.json() == {"preconditions": {"uid": uid}, "propagationPolicy": "Background"}
    assert kube.get("pods", "prod", "model-api-7c9f8d-x1") is None
    # A replay finds the pod gone: done, not an error.
    assert (await executor.delete_pod(target, uid)).already_done


async def test_delete_spares_a_new_pod_of_the_same_name(
    kube: FakeKube, executor: KubeExecutor
) -> None:
    target = Target(TargetKind.POD, "prod", "model-api-7c9f8d-x1")
    old_uid = await executor.pod_uid(target)
    kube.add(ko.pod("model-api-7c9f8d-x1", "prod", "model-api"))  # recreated, new uid
    assert (await executor.delete_pod(target, old_uid)).already_done
    assert kube.get("pods", "prod", "model-api-7c9f8d-x1") is not None


async def test_scale_through_the_subresource(kube: FakeKube, executor: KubeExecutor) -> None:
    assert await executor.current_replicas(DEPLOY) == 3
    result = await executor.scale(DEPLOY, 4)
    patch = kube.calls("PATCH")[0]
    assert patch.path == "/apis/apps/v1/namespaces/prod/deployments/model-api/scale"
    assert patch.content_type == "application/merge-patch+json"
    assert patch.json() == {"spec": {"replicas": 4}}
    assert result.generation == 2
    await eventually(
        lambda: executor.rollout(TargetKind.DEPLOYMENT, "prod", "model-api"),
        what="scaled",
        check=lambda s: s.done,
    )
    assert await executor.current_replicas(DEPLOY) == 4


async def test_create_job_from_the_cronjob_template(kube: FakeKube, executor: KubeExecutor) -> None:
    cron = kube.get("cronjobs", "prod", "retrain")
    assert cron is not None
    name = job_name("retrain", 42)
    result = await executor.create_job(Target(TargetKind.CRON_JOB, "prod", "retrain"), name)
    assert not result.already_done
    sent = kube.calls("POST")[0]
    assert sent.path == "/apis/batch/v1/namespaces/prod/jobs"
    job = sent.json()
    template = cron["spec"]["jobTemplate"]
    # What kubectl create job --from=cronjob/retrain builds: the template's spec and labels,
    # its annotations plus instantiate=manual, and the CronJob as controlling owner.
    assert job["spec"] == template["spec"]
    assert job["metadata"]["labels"] == template["metadata"]["labels"]
    assert job["metadata"]["annotations"] == {
        "cronjob.kubernetes.io/instantiate": "manual",
        **template["metadata"]["annotations"],
    }
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "retrain",
            "uid": cron["metadata"]["uid"],
            "controller": True,
        }
    ]
    assert job["metadata"]["name"] == "retrain-hub-42"
    assert (
        await executor.create_job(Target(TargetKind.CRON_JOB, "prod", "retrain"), name)
    ).already_done
    state = await eventually(
        lambda: executor.rollout("Job", "prod", name), what="job done", check=lambda s: s.done
    )
    assert state.message == f'job "{name}" completed'


def test_job_names_fit_the_label_limit() -> None:
    assert job_name("a" * 80, 123456) == "a" * 52 + "-hub-123456"
    assert len(job_name("a" * 80, 123456)) == 63


ERROR_CASES = [
    ("forbidden", 403, KubeFailureReason.FORBIDDEN, False),
    ("conflict", 409, KubeFailureReason.CONFLICT, True),
    ("rate-limited", 429, KubeFailureReason.RATE_LIMITED, True),
    ("server-error", 500, KubeFailureReason.SERVER_ERROR, True),
]


@pytest.mark.parametrize(
    ("status", "reason", "retryable"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
async def test_api_errors_are_mapped(
    kube: FakeKube, executor: KubeExecutor, status: int, reason: KubeFailureReason, retryable: bool
) -> None:
    kube.fail_with = [status]
    with pytest.raises(KubeError) as caught:
        await executor.rollout_restart(DEPLOY, AT)
    assert (caught.value.reason, caught.value.retryable, caught.value.status) == (
        reason,
        retryable,
        status,
    )
    assert str(caught.value) == f"injected {status}"


async def test_not_found(executor: KubeExecutor) -> None:
    with pytest.raises(KubeError) as caught:
        await executor.rollout_restart(Target(TargetKind.DEPLOYMENT, "prod", "model-gone"), AT)
    assert (caught.value.reason, caught.value.retryable) == (KubeFailureReason.NOT_FOUND, False)
    assert str(caught.value) == 'deployments.apps "model-gone" not found'


async def test_wrong_token_is_unauthorized(kube: FakeKube, tmp_path: Path) -> None:
    path = kube.write_kubeconfig(tmp_path / "kc")
    path.write_text(path.read_text().replace(kube.token, "wrong-token"))
    ex = KubeExecutor(load_api_client(KubernetesConfig(kubeconfig=str(path)), env={}), 5.0)
    with pytest.raises(KubeError) as caught:
        await ex.rollout(TargetKind.DEPLOYMENT, "prod", "model-api")
    ex.close()
    assert (caught.value.reason, caught.value.retryable) == (KubeFailureReason.UNAUTHORIZED, False)


async def test_server_down_is_a_retryable_connection_error(
    kube: FakeKube, executor: KubeExecutor
) -> None:
    await kube.close()
    with pytest.raises(KubeError) as caught:
        await executor.rollout(TargetKind.DEPLOYMENT, "prod", "model-api")
    assert (caught.value.reason, caught.value.retryable) == (KubeFailureReason.CONNECTION, True)


async def test_untrusted_certificate_is_refused(kube: FakeKube, tmp_path: Path) -> None:
    path = kube.write_kubeconfig(tmp_path / "kc")
    good = base64.b64encode(kube.ca.cert_pem.bytes()).decode()
    other = base64.b64encode(trustme.CA().cert_pem.bytes()).decode()
    path.write_text(path.read_text().replace(good, other))
    ex = KubeExecutor(load_api_client(KubernetesConfig(kubeconfig=str(path)), env={}), 5.0)
    with pytest.raises(KubeError) as caught:
        await ex.rollout(TargetKind.DEPLOYMENT, "prod", "model-api")
    ex.close()
    assert (caught.value.reason, caught.value.retryable) == (KubeFailureReason.TLS, False)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert not [r for r in kube.requests if r.path.startswith("/apis")]


LOAD_CASES = [
    ("config-path", True, {}, None),
    ("env-kubeconfig", False, {"KUBECONFIG": "<path>"}, None),
    ("home-default", False, {"HOME": "<home>"}, None),
    ("context-by-name", True, {}, "fake"),
]


@pytest.mark.parametrize(
    ("in_config", "env", "context"), [c[1:] for c in LOAD_CASES], ids=[c[0] for c in LOAD_CASES]
)
async def test_cluster_access_loading(
    kube: FakeKube,
    tmp_path: Path,
    in_config: bool,
    env: dict[str, str],
    context: str | None,
) -> None:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    path = kube.write_kubeconfig(home / ".kube" / "config")
    env = {k: v.replace("<path>", str(path)).replace("<home>", str(home)) for k, v in env.items()}
    config = KubernetesConfig(kubeconfig=str(path) if in_config else None, context=context)
    ex = KubeExecutor(load_api_client(config, env=env), 5.0)
    state = await ex.rollout(TargetKind.DEPLOYMENT, "prod", "model-api")
    ex.close()
    assert state.done
    assert kube.calls("GET")[-1].path == "/apis/apps/v1/namespaces/prod/deployments/model-api"


def test_unknown_context_is_a_config_error(kubeconfig: Path) -> None:
    with pytest.raises(KubeError) as caught:
        load_api_client(KubernetesConfig(kubeconfig=str(kubeconfig), context="nope"), env={})
    assert caught.value.reason is KubeFailureReason.CONFIG


def test_no_access_anywhere_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(KubeError) as caught:
        load_api_client(KubernetesConfig(), env={"HOME": str(tmp_path)})
    assert caught.value.reason is KubeFailureReason.CONFIG
    assert "cannot load cluster access" in str(caught.value)


def test_context_without_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(KubeError, match="no kubeconfig"):
        load_api_client(KubernetesConfig(context="prod"), env={"HOME": str(tmp_path)})
