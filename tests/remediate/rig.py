"""A hub in-process with remediation policies, a fake Telegram and the fake Kubernetes API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from tests.conftest import api_headers, intake_headers, make_config
from tests.fakes.kube_api import FakeKube
from tests.fakes.telegram_api import FakeTelegram
from tests.support.waiting import eventually

Client = TestClient[Any, Any]
ZERO = "0001-01-01T00:00:00Z"
LABELS = {
    "alertname": "ModelServiceDown",
    "severity": "critical",
    "namespace": "prod",
    "deployment": "model-api",
    "pod": "model-api-7c9f8d-x1",
}


def policy(**changes: Any) -> dict[str, Any]:
    """The issue's example policy, with short timers."""
    base: dict[str, Any] = {
        "name": "restart-model-api",
        "matchers": ['alertname="ModelServiceDown"'],
        "action": "rollout_restart",
        "target": {
            "kind": "Deployment",
            "namespace": "{{ labels.namespace }}",
            "name": "{{ labels.deployment }}",
        },
        "allowed_namespaces": ["prod", "staging"],
        "allowed_names": ["model-.*"],
        "mode": "approval",
        "cooldown": "0s",
        "approval_timeout": "1m",
        "rollout_timeout": "5s",
        "verify_window": "5s",
        "max_failures": 2,
    }
    return {**base, **changes}


def payload(labels: dict[str, str], *, resolved: bool = False, group: str = "g1") -> bytes:
    """An Alertmanager webhook (version 4) with one alert."""
    fp = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alert = {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": {"summary": "model-api is down"},
        "startsAt": "2026-01-01T03:12:00Z",
        "endsAt": now if resolved else ZERO,
        "generatorURL": "",
        "fingerprint": fp,
    }
    body = {
        "version": "4",
        "receiver": "oncall",
        "status": alert["status"],
        "alerts": [alert],
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "groupKey": f'{{}}:{{alertname="{labels["alertname"]}",group="{group}"}}',
        "truncatedAlerts": 0,
    }
    return json.dumps(body).encode()


@dataclass
class Rig:
    hub: Client
    kube: FakeKube
    tg: FakeTelegram

    async def fire(self, resolved: bool = False, group: str = "g1", **labels: str) -> None:
        await self.fire_with(labels, resolved=resolved, group=group)

    async def fire_with(
        self, labels: dict[str, str], *, resolved: bool = False, group: str = "g1"
    ) -> None:
        body = payload({**LABELS, **labels}, resolved=resolved, group=group)
        resp = await self.hub.post(
            "/api/v1/alerts/alertmanager", data=body, headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()

    async def actions(self, **params: str) -> list[dict[str, Any]]:
        resp = await self.hub.get("/api/v1/actions", params=params, headers=api_headers())
        assert resp.status == 200, await resp.text()
        items: list[dict[str, Any]] = (await resp.json())["items"]
        return items

    async def action(self, status: str | None = None, timeout: float = 15) -> dict[str, Any]:
        """The newest action, once it has ``status``."""

        async def newest() -> dict[str, Any] | None:
            items = await self.actions()
            return items[0] if items else None

        found: dict[str, Any] = await eventually(
            newest,
            timeout=timeout,
            what=f"an action in status {status}",
            check=lambda a: a is not None and (status is None or a["status"] == status),
        )
        return found

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        resp = await self.hub.post(path, json=body, headers=api_headers())
        return resp.status, await resp.json()

    def text(self) -> str:
        """The group's latest Telegram message as it reads now (new alerts post anew)."""
        return self.tg.messages[max(self.tg.messages)].text if self.tg.messages else ""

    async def message_has(self, words: str, timeout: float = 15) -> str:
        text: str = await eventually(
            self.text, timeout=timeout, what=f"message with {words!r}", check=lambda t: words in t
        )
        return text

    def patches(self) -> int:
        return len(self.kube.calls(mutating=True))


RigFactory = Callable[..., AbstractAsyncContextManager[Rig]]


def rig_factory(db_url: str, kube: FakeKube, kubeconfig: Path) -> RigFactory:
    @asynccontextmanager
    async def factory(*policies: dict[str, Any], **remediation: Any) -> AsyncIterator[Rig]:
        async with FakeTelegram() as tg:
            config = make_config(
                db_url,
                route={"receiver": "oncall"},
                receivers=[
                    {
                        "name": "oncall",
                        "telegram_configs": [
                            {"bot_token": tg.token, "chat_id": -1001, "api_url": tg.base_url}
                        ],
                    }
                ],
                delivery={"poll_interval": "50ms", "backoff_base": "100ms", "max_attempts": 3},
                kubernetes={"kubeconfig": str(kubeconfig)},
                remediation={"policies": list(policies) or [policy()], **remediation},
            )
            async with TestClient(TestServer(create_app(config))) as client:
                yield Rig(client, kube, tg)

    return factory
