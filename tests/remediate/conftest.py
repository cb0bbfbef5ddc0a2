"""A fake Kubernetes API server on loopback HTTPS, with its CA, kubeconfig and executor."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from hub.remediate.config import KubernetesConfig
from hub.remediate.kube import KubeExecutor, load_api_client
from tests.fakes import kube_objects as ko
from tests.fakes.kube_api import FakeKube


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def kube(ca: trustme.CA) -> AsyncIterator[FakeKube]:
    """The fake with prod/model-api (3 replicas), a pod of it, and the retrain CronJob."""
    async with FakeKube(ca) as fake:
        fake.rollout_seconds = 0.5
        fake.add(ko.deployment("model-api", "prod", replicas=3))
        fake.add(ko.pod("model-api-7c9f8d-x1", "prod", "model-api"))
        fake.add(ko.cronjob("retrain", "prod"))
        yield fake


@pytest.fixture
def kubeconfig(kube: FakeKube, tmp_path: Path) -> Path:
    return kube.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def executor(kubeconfig: Path) -> Iterator[KubeExecutor]:
    api = load_api_client(KubernetesConfig(kubeconfig=str(kubeconfig)), env={})
    ex = KubeExecutor(api, timeout=5.0)
    yield ex
    ex.close()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Kubectl = Callable[..., Awaitable[Run]]


@pytest.fixture(scope="session")
def kubectl_bin() -> str:
    found = os.environ.get("ALERTHUB_KUBECTL") or shutil.which("kubectl")
    assert found, "kubectl not found: run .ci/setup (Debian package kubernetes-client)"
    return found


@pytest.fixture
def kubectl(kubectl_bin: str, kubeconfig: Path, tmp_path: Path) -> Kubectl:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}

    async def run(*args: str, timeout: float = 30) -> Run:
        proc = await asyncio.create_subprocess_exec(
            kubectl_bin,
            f"--cache-dir={tmp_path / 'cache'}",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        return Run(proc.returncode or 0, out.decode(), err.decode())

    return run
