"""Waiting for something a server does in its own time, with a bound and a clear failure."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(
    probe: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "condition",
    *,
    check: Callable[[Any], bool] = bool,
    interval: float = 0.05,
) -> Any:
    """Poll ``probe`` (sync or async) until ``check`` holds for its value; return the value.

    Fails with the last value seen, never hangs past ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        value = await result if inspect.isawaitable(result) else result
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s; last: {value!r}")
        await asyncio.sleep(interval)
