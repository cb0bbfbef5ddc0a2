"""Run a real Prometheus (Debian's ``/usr/bin/prometheus``) scraping loopback targets.

Tests start it on a free port with its TSDB in a temp dir, one-second scrape and rule
intervals, a copy of the alert rules whose ``for:`` is cut to seconds (``fast_rules``), and
Alertmanagers to notify. A missing binary is an error, never a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from .ports import free_port, stop_process, wait_for_http

PROMETHEUS_BIN = Path(os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus"))
_STOP_TIMEOUT = 5.0
_LOG_TAIL_LINES = 40


class PrometheusError(RuntimeError):
    """Prometheus could not be found, started or queried; the message carries its log tail."""


@dataclass(frozen=True)
class ScrapeJob:
    """One ``scrape_configs`` entry: ``targets`` are ``host:port``; ``labels`` are target labels."""

    name: str
    targets: Sequence[str]
    labels: Mapping[str, str] = field(default_factory=dict)


def fast_rules(source: Path, dest: Path, for_: str = "1s") -> Path:
    """Copy a rule file with every alert's ``for:`` set to ``for_`` (the expressions unchanged)."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = for_
    dest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return dest


def build_config(
    jobs: Sequence[ScrapeJob],
    rule_files: Sequence[Path],
    alertmanagers: Sequence[str],
    *,
    scrape_interval: str,
    evaluation_interval: str,
) -> dict[str, Any]:
    """The prometheus.yml document; ``alertmanagers`` are ``http://host:port`` URLs."""
    targets = [url.removeprefix("http://") for url in alertmanagers]
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": job.name,
                "static_configs": [{"targets": list(job.targets), "labels": dict(job.labels)}],
            }
            for job in jobs
        ],
    }
    if targets:
        config["alerting"] = {
            "alertmanagers": [{"api_version": "v2", "static_configs": [{"targets": targets}]}]
        }
    return config


@dataclass
class RunningPrometheus:
    """A live Prometheus: its URL, a session for its HTTP API, and its log."""

    url: str
    log_path: Path
    session: aiohttp.ClientSession

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def _get(self, path: str, **params: str) -> Any:
        async with self.session.get(f"{self.url}{path}", params=params) as resp:
            body = await resp.json()
            if resp.status != 200 or body.get("status") != "success":
                msg = f"GET {path} -> HTTP {resp.status}: {body}\n{self.log_tail()}"
                raise PrometheusError(msg)
            return body["data"]

    async def alerts(self) -> list[dict[str, Any]]:
        """``/api/v1/alerts``: pending and firing alerts with their labels and state."""
        data = await self._get("/api/v1/alerts")
        alerts: list[dict[str, Any]] = data["alerts"]
        return alerts

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's vector result."""
        data = await self._get("/api/v1/query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result


@contextlib.asynccontextmanager
async def run_prometheus(
    tmp_path: Path,
    *,
    jobs: Sequence[ScrapeJob],
    rule_files: Sequence[Path] = (),
    alertmanagers: Sequence[str] = (),
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
    startup_timeout: float = 15.0,
) -> AsyncIterator[RunningPrometheus]:
    """Start Prometheus until the block exits; it must stop cleanly or is killed."""
    if not os.access(PROMETHEUS_BIN, os.X_OK):
        msg = f"{PROMETHEUS_BIN} not found or not executable; install Debian's prometheus"
        raise PrometheusError(msg)
    workdir = tmp_path / "prometheus"
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "prometheus.yml"
    config = build_config(
        jobs,
        rule_files,
        alertmanagers,
        scrape_interval=scrape_interval,
        evaluation_interval=evaluation_interval,
    )
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    log_path = workdir / "prometheus.log"
    listen = f"127.0.0.1:{free_port()}"
    argv = [
        str(PROMETHEUS_BIN),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address={listen}",
        "--log.level=warn",
    ]
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{listen.rsplit(':', 1)[1]}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            running = RunningPrometheus(url=url, log_path=log_path, session=session)
            try:
                await wait_for_http(
                    f"{url}/-/ready", startup_timeout, is_alive=lambda: process.returncode is None
                )
            except (TimeoutError, RuntimeError) as exc:
                msg = f"Prometheus failed to start: {exc}\n--- {log_path} ---\n{running.log_tail()}"
                raise PrometheusError(msg) from exc
            yield running
    finally:
        await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    await stop_process(process, _STOP_TIMEOUT)
