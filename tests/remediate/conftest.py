"""A fake Kubernetes API server on loopback HTTPS, with its CA, kubeconfig and executor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
