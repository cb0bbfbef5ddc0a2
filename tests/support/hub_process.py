"""Run the real ``alerthub serve`` as a subprocess, to test signals, start-up and crashes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from .ports import free_port, wait_for_http


@dataclass
class HubProcess:
    """A running hub: its URL, process and log file."""

    url: str
    process: asyncio.subprocess.Process
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def incidents(self, api_token: str, **params: str) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {api_token}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(
                f"{self.url}/api/v1/incidents", params={"limit": "500", **params}, headers=headers
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            items: list[dict[str, Any]] = body["items"]
            return items


def write_hub_config(path: Path, raw: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(raw)), encoding="utf-8")
    return path


async def start_hub_process(
    config_path: Path,
    log_path: Path,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    wait: bool = True,
) -> HubProcess:
    """Start ``python -m hub serve`` on a loopback port and wait until it is ready."""
    port = port or free_port()
    full_env = {**os.environ, **(env or {}), "ALERTHUB_LISTEN": f"127.0.0.1:{port}"}
    log_file = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "serve", "--config", str(config_path),
        stdout=log_file, stderr=log_file, env=full_env, cwd=str(config_path.parent),
    )  # fmt: skip
    log_file.close()
    hub = HubProcess(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    if wait:
        try:
            await wait_for_http(
                f"{hub.url}/readyz", timeout=20, is_alive=lambda: process.returncode is None
            )
        except (TimeoutError, RuntimeError) as exc:
            await stop_hub(hub, signal.SIGKILL)
            raise RuntimeError(f"{exc}\n--- hub log ---\n{hub.log()[-3000:]}") from None
    return hub


async def stop_hub(hub: HubProcess, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    """Send ``sig`` and wait for the exit code."""
    if hub.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            hub.process.send_signal(sig)
    try:
        return await asyncio.wait_for(hub.process.wait(), timeout)
    except TimeoutError:
        hub.process.kill()
        await hub.process.wait()
        raise


@contextlib.asynccontextmanager
async def running_hub(
    config_path: Path, log_path: Path, **kwargs: Any
) -> AsyncIterator[HubProcess]:
    hub = await start_hub_process(config_path, log_path, **kwargs)
    try:
        yield hub
    finally:
        await stop_hub(hub, signal.SIGKILL)
