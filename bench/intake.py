"""One run: the bare ceiling, the hub on SQLite and the hub on PostgreSQL, under the same load.

    .venv/bin/python bench/intake.py [--duration 10] [--connections 16] [--pg-url URL]

Each server is a subprocess on a free loopback port; ``wrk`` (with a Lua script cycling
the same realistic 10-alert bodies, repeats included) drives it after a short warm-up.
The script prints req/s, alerts/s (2xx only), p50/p99 latency and the hub/ceiling ratio,
then stops every process and removes the temp SQLite file and the PostgreSQL database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bodies import make_bodies
from load import wrk_script

ROOT = Path(__file__).resolve().parent.parent
HOOK = "/api/v1/alerts/alertmanager"
INTAKE_TOKEN = "bench-intake-token"
API_TOKEN = "bench-api-token"
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class WrkResult:
    """What ``wrk`` saw for one target; latencies are seconds."""

    requests: int
    non_2xx: int
    errors: int
    elapsed: float
    p50: float
    p99: float
    cpu: float = 0.0  # the server process's CPU seconds (all threads) over the run

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else 0.0

    @property
    def req_per_s(self) -> float:
        return self.requests / self.elapsed

    def alerts_per_s(self, alerts_per_body: float) -> float:
        return (self.requests - self.non_2xx) * alerts_per_body / self.elapsed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Read requests, non-2xx, socket errors and the 50/99 % latencies from ``wrk --latency``."""
    done = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (done and p50 and p99):
        raise RuntimeError(f"cannot read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(done.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        elapsed=_seconds(done.group(2)),
        p50=_seconds(p50.group(1)),
        p99=_seconds(p99.group(1)),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux ``/proc``), robust to a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, script: Path, connections: int, duration: float) -> WrkResult:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration:g}s", "--latency"]
    command += ["-s", str(script), url]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def wait_ready(
    port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 30.0
) -> None:
    """Poll until ``GET path`` answers 200, or with no path until the port accepts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            if not path:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            url = f"http://127.0.0.1:{port}{path}"
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} not ready after {timeout:.0f}s")


@contextlib.contextmanager
def server(
    command: Sequence[str], port: int, ready_path: str, log: Path, env: dict[str, str]
) -> Iterator[int]:
    """Run ``command`` until the block ends; yields its pid (for a profiler)."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env, cwd=ROOT)
    try:
        wait_ready(port, ready_path, process)
        yield process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def ceiling_command(port: int) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--port", str(port)]


def hub_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "hub", "serve", "--config", str(config)]


def write_hub_config(path: Path, database_url: str) -> Path:
    config = {
        "database": {"url": database_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
        "logging": {"level": "warning"},
        "runbooks_dir": str(path.parent / "runbooks"),
    }
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a throwaway database; yields its SQLAlchemy URL and drops it afterwards."""
    name = f"alerthub_bench_{uuid.uuid4().hex[:8]}"
    host = re.sub(r"^postgresql\+asyncpg://", "", admin_url).rstrip("/")
    psql = ["psql", f"postgresql://{host}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def metric_lines(base: str, prefix: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text: str = response.read().decode()
    return [line for line in text.splitlines() if line.startswith(prefix)]


def batch_summary(base: str) -> str:
    lines = metric_lines(base, "alerthub_intake_commit_batch_size")
    values = {line.split("{")[0].split(" ")[0]: float(line.rsplit(" ", 1)[1]) for line in lines}
    count = values.get("alerthub_intake_commit_batch_size_count", 0.0)
    total = values.get("alerthub_intake_commit_batch_size_sum", 0.0)
    return f"{count:.0f} commits, mean batch {total / count:.1f}" if count else "no commits"


@dataclass(frozen=True)
class Target:
    name: str
    command: list[str]
    port: int
    ready_path: str
    is_hub: bool


def measure(target: Target, script: Path, args: argparse.Namespace, work: Path) -> WrkResult:
    base = f"http://127.0.0.1:{target.port}"
    env = {**os.environ, "ALERTHUB_LISTEN": f"127.0.0.1:{target.port}"}
    log = work / f"{target.name}.log"
    try:
        with server(target.command, target.port, target.ready_path, log, env) as pid:
            if args.warmup > 0:
                run_wrk(base + HOOK, script, args.connections, args.warmup)
            if args.profile and target.is_hub:
                _start_profiler(pid, work / f"{target.name}.folded", args.duration)
            cpu_before = cpu_seconds(pid)
            result = run_wrk(base + HOOK, script, args.connections, args.duration)
            result = replace(result, cpu=cpu_seconds(pid) - cpu_before)
            if target.is_hub:
                print(f"  {target.name}: {batch_summary(base)}", file=sys.stderr)
    except Exception:
        print(
            f"--- {target.name} log ---\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr
        )
        raise
    return result


def _start_profiler(pid: int, out: Path, duration: float) -> None:
    """py-spy for the measured window (``--profile``, needs py-spy in the venv)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    command = [str(py_spy), "record", "-p", str(pid), "-o", str(out), "-d", f"{duration:.0f}"]
    command += ["--format", "raw", "--nonblocking", "--gil", "-r", "200"]
    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"  profiling pid {pid} into {out}", file=sys.stderr)


def report(results: dict[str, WrkResult], alerts_per_body: float, args: argparse.Namespace) -> None:
    ceiling = results.get("ceiling")
    print(
        f"\n{args.connections} connections, {args.duration:g}s each, "
        f"{alerts_per_body:.0f} alerts/body"
    )
    print(
        f"{'target':<10}{'req/s':>10}{'alerts/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}{'ratio':>8}{'cpu/req':>10}"
    )
    for name, r in results.items():
        ratio = f"{r.req_per_s / ceiling.req_per_s:.0%}" if ceiling else "-"
        print(
            f"{name:<10}{r.req_per_s:>10,.0f}{r.alerts_per_s(alerts_per_body):>11,.0f}"
            f"{r.p50 * 1000:>9.2f}{r.p99 * 1000:>9.2f}{r.non_2xx + r.errors:>9}{ratio:>8}"
            f"{r.cpu_per_request * 1e6:>8.0f}us"
        )
    print("cpu/req: the server process's own CPU (all threads); PostgreSQL's is not in it.")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load not counted")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--groups", type=int, default=500, help="distinct bodies cycled")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--only", nargs="*", choices=("ceiling", "sqlite", "postgres"))
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the hub (folded stacks in --keep)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep logs/profiles here")
    args = parser.parse_args()
    bodies = make_bodies(args.groups)
    alerts_per_body = sum(len(json.loads(b)["alerts"]) for b in bodies) / len(bodies)
    wanted = args.only or ("ceiling", "sqlite", "postgres")
    results: dict[str, WrkResult] = {}
    with tempfile.TemporaryDirectory(prefix="alerthub-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        script = work / "bodies.lua"
        script.write_text(wrk_script(bodies, INTAKE_TOKEN), encoding="utf-8")
        if "ceiling" in wanted:
            port = free_port()
            target = Target("ceiling", ceiling_command(port), port, "", is_hub=False)
            results["ceiling"] = measure(target, script, args, work)
        if "sqlite" in wanted:
            db = Path(tmp) / "bench.db"
            config = write_hub_config(work / "sqlite.json", f"sqlite+aiosqlite:///{db}")
            port = free_port()
            target = Target("sqlite", hub_command(config), port, "/readyz", is_hub=True)
            results["sqlite"] = measure(target, script, args, work)
        if "postgres" in wanted:
            with postgres_database(args.pg_url) as url:
                config = write_hub_config(work / "postgres.json", url)
                port = free_port()
                target = Target("postgres", hub_command(config), port, "/readyz", is_hub=True)
                results["postgres"] = measure(target, script, args, work)
    report(results, alerts_per_body, args)


if __name__ == "__main__":
    main()
