"""Drive a webhook endpoint with Alertmanager bodies and print req/s, alerts/s and latency.

    python bench/load.py http://127.0.0.1:18081/hook -c 16 -d 5 [--token T] [-n M] [--wrk]

``drive()`` is importable from other bench scripts (``from load import drive``).
``--wrk`` runs ``wrk`` with a generated Lua script that cycles the same bodies,
which measures the server without the Python client's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from bodies import make_bodies


@dataclass(frozen=True)
class LoadResult:
    """What one load run saw; latencies are seconds, sorted ascending."""

    requests: int
    alerts: int
    elapsed: float
    latencies: tuple[float, ...]
    statuses: dict[str, int]

    @property
    def req_per_s(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def alerts_per_s(self) -> float:
        return self.alerts / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, ``q`` in [0, 100]."""
        if not self.latencies:
            return math.nan
        rank = max(1, math.ceil(q / 100 * len(self.latencies)))
        return self.latencies[rank - 1]

    def summary(self) -> str:
        return (
            f"{self.requests} requests in {self.elapsed:.2f}s: "
            f"{self.req_per_s:,.0f} req/s, {self.alerts_per_s:,.0f} alerts/s (2xx only), "
            f"p50 {self.percentile(50) * 1000:.2f} ms, p99 {self.percentile(99) * 1000:.2f} ms, "
            f"statuses {dict(sorted(self.statuses.items()))}"
        )


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    alerts: int = 0


async def _post(session: aiohttp.ClientSession, url: str, body: bytes) -> str:
    try:
        async with session.post(url, data=body) as response:
            await response.read()
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"error:{type(exc).__name__}"


async def drive(
    url: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int = 16,
    duration: float | None = None,
    requests: int | None = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> LoadResult:
    """POST ``bodies`` round-robin from ``concurrency`` connections until time or count runs out."""
    if duration is None and requests is None:
        msg = "give a duration, a request count, or both"
        raise ValueError(msg)
    alert_counts = [len(json.loads(body)["alerts"]) for body in bodies]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    tally = _Tally()
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + duration if duration is not None else math.inf

    async def worker(session: aiohttp.ClientSession) -> None:
        while (i := next(counter)) < (requests or math.inf) and time.perf_counter() < deadline:
            index = i % len(bodies)
            sent = time.perf_counter()
            status = await _post(session, url, bodies[index])
            tally.latencies.append(time.perf_counter() - sent)
            tally.statuses[status] += 1
            if status.startswith("2"):
                tally.alerts += alert_counts[index]

    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=client_timeout, headers=headers
    ) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return LoadResult(
        requests=len(tally.latencies),
        alerts=tally.alerts,
        elapsed=time.perf_counter() - start,
        latencies=tuple(sorted(tally.latencies)),
        statuses=dict(tally.statuses),
    )


def wrk_script(bodies: Sequence[bytes], token: str | None) -> str:
    """Return a wrk Lua script that POSTs ``bodies`` round-robin."""
    quoted = []
    for body in bodies:
        text = body.decode()
        level = next(n for n in itertools.count() if f"]{'=' * n}]" not in text)
        quoted.append(f"[{'=' * level}[{text}]{'=' * level}]")
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
    return (
        "local bodies = {\n" + ",\n".join(quoted) + "\n}\nlocal i = 0\n"
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        + auth
        + (
            "request = function()\n  i = i % #bodies + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[i])\nend\n"
        )
    )


def run_wrk(url: str, bodies: Sequence[bytes], args: argparse.Namespace) -> None:
    mean_alerts = sum(len(json.loads(b)["alerts"]) for b in bodies) / len(bodies)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bodies.lua"
        script.write_text(wrk_script(bodies, args.token))
        threads = str(min(args.concurrency, 4))
        command = ["wrk", "-t", threads, "-c", str(args.concurrency), "-d", f"{args.duration:g}s"]
        command += ["--latency", "-s", str(script), url]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    output = done.stdout
    print(output)
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            rate = float(line.split()[1])
            print(f"~{rate * mean_alerts:,.0f} alerts/s ({mean_alerts:.1f} alerts per body)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=5.0)
    parser.add_argument("-n", "--requests", type=int, default=None)
    parser.add_argument("--token", default=None)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--alerts-per-group", type=int, default=10)
    parser.add_argument("--resolved-share", type=float, default=0.2)
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds, not counted")
    parser.add_argument("--wrk", action="store_true", help="use wrk instead of aiohttp")
    args = parser.parse_args()
    bodies = make_bodies(args.groups, args.alerts_per_group, args.resolved_share)
    if args.wrk:
        run_wrk(args.url, bodies, args)
        return
    if args.warmup > 0:
        asyncio.run(drive(args.url, bodies, concurrency=args.concurrency, duration=args.warmup))
    result = asyncio.run(
        drive(
            args.url,
            bodies,
            concurrency=args.concurrency,
            duration=args.duration if args.requests is None else None,
            requests=args.requests,
            token=args.token,
        )
    )
    print(result.summary())


if __name__ == "__main__":
    main()
