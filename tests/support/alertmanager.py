"""Run real Prometheus Alertmanager 0.25 processes (single or clustered) against a webhook.

Tests start Alertmanager from the Debian package on free loopback ports with a
generated ``alertmanager.yml``: one or more webhook receivers that all post to
``webhook_url`` with ``Authorization: Bearer <token>`` (read from a
``credentials_file``) and ``send_resolved: true``, and short grouping timers.
A missing binary is an error, never a skip: the suite must not pass vacuously.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from .ports import free_port, stop_process, wait_for_http

ALERTMANAGER_BIN = Path(os.environ.get("ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager"))
AMTOOL_BIN = Path(os.environ.get("AMTOOL_BIN", "/usr/bin/amtool"))
_LOG_TAIL_LINES = 40
_STOP_TIMEOUT = 5.0


class AlertmanagerError(RuntimeError):
    """Alertmanager could not be found, started or queried; the message carries its log tail."""


@dataclass(frozen=True)
class ClusterTimings:
    """Gossip timings cut down so a loopback cluster settles in about a second."""

    gossip_interval: str = "50ms"
    pushpull_interval: str = "1s"
    settle_timeout: str = "1s"
    peer_timeout: str = "500ms"
    reconnect_interval: str = "1s"

    def as_args(self) -> list[str]:
        return [
            f"--cluster.gossip-interval={self.gossip_interval}",
            f"--cluster.pushpull-interval={self.pushpull_interval}",
            f"--cluster.settle-timeout={self.settle_timeout}",
            f"--cluster.peer-timeout={self.peer_timeout}",
            f"--cluster.reconnect-interval={self.reconnect_interval}",
        ]


@dataclass(frozen=True)
class AlertmanagerConfig:
    """What goes into the generated alertmanager.yml (timers accept Go durations)."""

    webhook_url: str
    bearer_token: str
    route: Mapping[str, Any] = field(default_factory=dict)
    receivers: Sequence[str] = ("hub",)
    group_by: Sequence[str] = ("alertname", "namespace")
    group_wait: str = "0s"
    group_interval: str = "1s"
    repeat_interval: str = "1h"
    resolve_timeout: str = "5m"
    max_alerts: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)


def build_config(config: AlertmanagerConfig, credentials_file: Path) -> dict[str, Any]:
    """Return the alertmanager.yml document; ``route`` and ``extra`` override the defaults."""
    webhook: dict[str, Any] = {
        "url": config.webhook_url,
        "send_resolved": True,
        "max_alerts": config.max_alerts,
        "http_config": {
            "authorization": {"type": "Bearer", "credentials_file": str(credentials_file)}
        },
    }
    route: dict[str, Any] = {
        "receiver": config.receivers[0],
        "group_by": list(config.group_by),
        "group_wait": config.group_wait,
        "group_interval": config.group_interval,
        "repeat_interval": config.repeat_interval,
        **config.route,
    }
    return {
        "global": {"resolve_timeout": config.resolve_timeout},
        "route": route,
        "receivers": [{"name": name, "webhook_configs": [webhook]} for name in config.receivers],
        **config.extra,
    }


def rfc3339(moment: datetime) -> str:
    """Format an aware datetime the way Alertmanager's API expects it."""
    if moment.tzinfo is None:
        msg = "naive datetime; pass an aware one"
        raise ValueError(msg)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def postable_alert(
    labels: Mapping[str, str],
    *,
    annotations: Mapping[str, str] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    generator_url: str = "",
) -> dict[str, Any]:
    """Build one ``PostableAlert`` for POST /api/v2/alerts; an ``ends_at`` in the past resolves."""
    alert: dict[str, Any] = {
        "labels": dict(labels),
        "annotations": dict(annotations or {}),
        "generatorURL": generator_url,
    }
    if starts_at is not None:
        alert["startsAt"] = rfc3339(starts_at)
    if ends_at is not None:
        alert["endsAt"] = rfc3339(ends_at)
    return alert


class AlertmanagerApi:
    """A thin client for the parts of /api/v2 that tests use."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self._session = session

    async def _request(self, method: str, path: str, body: object = None) -> Any:
        url = f"{self.base_url}/api/v2{path}"
        async with self._session.request(method, url, json=body) as response:
            text = await response.text()
            if response.status >= 300:
                msg = f"{method} {url} -> HTTP {response.status}: {text[:500]}"
                raise AlertmanagerError(msg)
            return await response.json() if text else None

    async def push_alerts(self, alerts: Iterable[Mapping[str, Any]]) -> None:
        await self._request("POST", "/alerts", [dict(alert) for alert in alerts])

    async def alerts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._request("GET", "/alerts")
        return result

    async def alert_groups(self) -> list[dict[str, Any]]:
        """The dispatcher's aggregation groups, each with its receiver and alerts."""
        result: list[dict[str, Any]] = await self._request("GET", "/alerts/groups")
        return result

    async def silences(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._request("GET", "/silences")
        return result

    async def status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "/status")
        return result


@dataclass
class RunningAlertmanager:
    """One live Alertmanager process: its URL, API client, files and amtool runner."""

    url: str
    api_v2: AlertmanagerApi
    config_path: Path
    log_path: Path
    cluster_address: str | None
    process: asyncio.subprocess.Process

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        return _tail(self.log_path, lines)

    async def amtool(self, *args: str, timeout: float = 10.0) -> str:
        """Run ``amtool --alertmanager.url=<this AM> *args`` and return its stdout."""
        _require_binary(AMTOOL_BIN)
        proc = await asyncio.create_subprocess_exec(
            str(AMTOOL_BIN),
            f"--alertmanager.url={self.url}",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            await _stop(proc)
            raise
        if proc.returncode != 0:
            msg = f"amtool {' '.join(args)} exited {proc.returncode}: {err.decode().strip()}"
            raise AlertmanagerError(msg)
        return out.decode()


@contextlib.asynccontextmanager
async def run_alertmanager(
    tmp_path: Path,
    *,
    webhook_url: str,
    bearer_token: str,
    route: Mapping[str, Any] | None = None,
    peers: Sequence[str] = (),
    cluster_port: int | None = None,
    cluster_timings: ClusterTimings = ClusterTimings(),
    name: str = "am",
    startup_timeout: float = 15.0,
    extra_args: Sequence[str] = (),
    receivers: Sequence[str] = ("hub",),
    group_by: Sequence[str] = ("alertname", "namespace"),
    group_wait: str = "0s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
    resolve_timeout: str = "5m",
    max_alerts: int = 0,
    extra_config: Mapping[str, Any] | None = None,
) -> AsyncIterator[RunningAlertmanager]:
    """Start one Alertmanager posting to ``webhook_url``; clustered if given peers or a port.

    ``route`` entries override the generated top route (add ``routes`` for
    children using other names from ``receivers``; every receiver posts to
    ``webhook_url``); ``extra_config`` adds top-level keys (``inhibit_rules``).
    """
    settings = AlertmanagerConfig(
        webhook_url=webhook_url,
        bearer_token=bearer_token,
        route=route or {},
        receivers=receivers,
        group_by=group_by,
        group_wait=group_wait,
        group_interval=group_interval,
        repeat_interval=repeat_interval,
        resolve_timeout=resolve_timeout,
        max_alerts=max_alerts,
        extra=extra_config or {},
    )
    workdir = tmp_path / name
    config_path = write_config(workdir, settings)
    clustered = bool(peers) or cluster_port is not None
    cluster_address = f"127.0.0.1:{cluster_port or free_port()}" if clustered else None
    cluster_args = [f"--cluster.listen-address={cluster_address or ''}"]
    if clustered:
        cluster_args += [f"--cluster.peer={peer}" for peer in peers]
        cluster_args += cluster_timings.as_args()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        _alertmanager_process(
            workdir, config_path, [*cluster_args, *extra_args], startup_timeout
        ) as (url, process),
    ):
        yield RunningAlertmanager(
            url=url,
            api_v2=AlertmanagerApi(url, session),
            config_path=config_path,
            log_path=workdir / "alertmanager.log",
            cluster_address=cluster_address,
            process=process,
        )


@contextlib.asynccontextmanager
async def run_alertmanager_cluster(
    tmp_path: Path,
    n: int = 2,
    *,
    webhook_url: str,
    bearer_token: str,
    settle_timeout: float = 15.0,
    **options: Any,
) -> AsyncIterator[list[RunningAlertmanager]]:
    """Start ``n`` clustered Alertmanagers posting to the same webhook; wait until all see all.

    ``options`` are passed to ``run_alertmanager`` for every member.
    """
    ports = [free_port() for _ in range(n)]
    async with contextlib.AsyncExitStack() as stack:
        # Wait for every start (even failed ones) so the stack owns all that did start.
        started = await asyncio.gather(
            *(
                stack.enter_async_context(
                    run_alertmanager(
                        tmp_path,
                        webhook_url=webhook_url,
                        bearer_token=bearer_token,
                        peers=[f"127.0.0.1:{p}" for p in ports if p != port],
                        cluster_port=port,
                        name=f"am{index}",
                        **options,
                    )
                )
                for index, port in enumerate(ports)
            ),
            return_exceptions=True,
        )
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        members = [m for m in started if isinstance(m, RunningAlertmanager)]
        await _wait_for_cluster(members, settle_timeout)
        yield members


async def _wait_for_cluster(members: Sequence[RunningAlertmanager], timeout: float) -> None:
    """Wait until every member reports all peers and a settled (``ready``) cluster."""
    deadline = time.monotonic() + timeout
    while True:
        states = [(await m.api_v2.status())["cluster"] for m in members]
        if all(s["status"] == "ready" and len(s["peers"] or []) == len(members) for s in states):
            return
        if time.monotonic() >= deadline:
            tails = "\n".join(f"--- {m.url} ---\n{m.log_tail()}" for m in members)
            msg = f"cluster not formed after {timeout:.0f}s: {states}\n{tails}"
            raise AlertmanagerError(msg)
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def _alertmanager_process(
    workdir: Path, config_path: Path, args: Sequence[str], startup_timeout: float
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Run the binary on a free web port until the block exits; retry a port lost to a race."""
    _require_binary(ALERTMANAGER_BIN)
    log_path = workdir / "alertmanager.log"
    for attempt in range(3):
        url = f"http://127.0.0.1:{free_port()}"
        argv = [
            str(ALERTMANAGER_BIN),
            f"--config.file={config_path}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--log.level=warn",
            *args,
        ]
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
            )
        try:
            await wait_for_http(
                f"{url}/-/ready", startup_timeout, is_alive=functools.partial(_is_running, process)
            )
        except (TimeoutError, RuntimeError) as exc:
            await _stop(process)
            tail = _tail(log_path, _LOG_TAIL_LINES)
            if "address already in use" in tail and attempt < 2:
                continue
            msg = f"Alertmanager failed to start: {exc}\n--- {log_path} ---\n{tail}"
            raise AlertmanagerError(msg) from exc
        try:
            yield url, process
        finally:
            await _stop(process)
        return


def write_config(workdir: Path, settings: AlertmanagerConfig) -> Path:
    """Write alertmanager.yml and its bearer-token file into ``workdir``; return the yml path."""
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    token_file = workdir / "bearer_token"
    token_file.write_text(settings.bearer_token)
    token_file.chmod(0o600)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(build_config(settings, token_file), sort_keys=False))
    return config_path


def _is_running(process: asyncio.subprocess.Process) -> bool:
    return process.returncode is None


def _require_binary(path: Path) -> None:
    if not os.access(path, os.X_OK):
        msg = f"{path} not found or not executable; install it with `bash .ci/setup`"
        raise AlertmanagerError(msg)


async def _stop(process: asyncio.subprocess.Process) -> None:
    await stop_process(process, _STOP_TIMEOUT)


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class RecordedRequest:
    """One webhook delivery as the receiver saw it."""

    path: str
    headers: Mapping[str, str]
    payload: dict[str, Any]


@dataclass
class WebhookRecorder:
    """A loopback webhook receiver that keeps every JSON body it was sent."""

    url: str
    requests: list[RecordedRequest] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.requests.append(RecordedRequest(request.path, dict(request.headers), payload))
        self._arrived.set()
        return web.json_response({"status": "ok"})

    async def wait_for(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 10.0
    ) -> RecordedRequest:
        """Return the first recorded request matching ``predicate``, waiting for it if needed."""
        async with asyncio.timeout(timeout):
            while True:
                self._arrived.clear()
                for recorded in self.requests:
                    if predicate(recorded):
                        return recorded
                await self._arrived.wait()


@contextlib.asynccontextmanager
async def run_webhook_recorder(path: str = "/hook") -> AsyncIterator[WebhookRecorder]:
    """Serve a ``WebhookRecorder`` on a free loopback port; its ``url`` includes ``path``."""
    port = free_port()
    recorder = WebhookRecorder(url=f"http://127.0.0.1:{port}{path}")
    app = web.Application()
    app.router.add_post(path, recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield recorder
    finally:
        await runner.cleanup()
