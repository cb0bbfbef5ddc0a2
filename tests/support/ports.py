"""Loopback ports and readiness polling for servers that tests start as subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable

import aiohttp

_POLL_INTERVAL = 0.05


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_http(
    url: str,
    timeout: float = 10.0,
    *,
    expect_status: int = 200,
    is_alive: Callable[[], bool] | None = None,
) -> None:
    """Poll ``url`` with GET until it answers ``expect_status``; fail early if the server died.

    Raises ``TimeoutError`` naming the last answer or connection error, and
    ``RuntimeError`` as soon as ``is_alive()`` turns false.
    """
    deadline = time.monotonic() + timeout
    last = "no attempt"
    request_timeout = aiohttp.ClientTimeout(total=1.0)
    async with aiohttp.ClientSession(timeout=request_timeout) as session:
        while True:
            if is_alive is not None and not is_alive():
                msg = f"server behind {url} exited before it was ready (last: {last})"
                raise RuntimeError(msg)
            try:
                async with session.get(url) as response:
                    if response.status == expect_status:
                        return
                    last = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                msg = f"{url} not answering {expect_status} after {timeout:.1f}s (last: {last})"
                raise TimeoutError(msg)
            await asyncio.sleep(_POLL_INTERVAL)


async def stop_process(process: asyncio.subprocess.Process, timeout: float = 5.0) -> None:
    """Terminate, wait, then kill: a test must never leave a server behind."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    await process.wait()
