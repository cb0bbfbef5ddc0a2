"""History speed on PostgreSQL: incident list with filters and cursor, stats, incident page.

    python bench/history.py [--incidents 1000000] [--days 365] [--queries 300] [--keep]
    python bench/history.py --reuse alerthub_bench_history_XXXX   # measure a kept database again

Seeds ``--incidents`` incidents (with timelines: fired, notified, suppressed, acknowledged,
resolved) spread over ``--days`` into a fresh PostgreSQL database with COPY, then measures:

(a) ``GET /api/v1/incidents`` with filters, first page and cursor pages (store call
    and HTTP through a real ``alerthub serve``); target p99 ≤ 50 ms;
(b) ``GET /api/v1/stats`` over 30 days, per ``by``; target ≤ 500 ms;
(c) the incident page ``GET /incidents/{id}`` signed in; target ≤ 100 ms.

Prints numbers, asserts nothing. The database is dropped at the end unless ``--keep``.
Seeding a million incidents takes a few minutes (indexes are rebuilt after the COPY).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.api.incidents import parse_incident_query  # noqa: E402
from hub.api.stats import load_stats  # noqa: E402
from hub.config.models import DatabaseConfig  # noqa: E402
from hub.reports.stats import StatsBy  # noqa: E402
from hub.store import migrate  # noqa: E402
from hub.store.engine import build_engine  # noqa: E402
from hub.store.queries import list_incidents  # noqa: E402
from tests.support.hub_process import start_hub_process, stop_hub  # noqa: E402

PG_ADMIN_DSN = os.environ.get("ALERTHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
INTAKE_TOKEN = "bench-intake-token"
API_TOKEN = "bench-api-token"
ALERTS = [f"BenchAlert{i:02d}" for i in range(50)]
SERVICES = [f"svc-{i:02d}" for i in range(20)]
NAMESPACES = ["prod", "staging", "dev", "ml", "data"]
SEVERITIES = ["critical"] * 1 + ["warning"] * 7 + ["info"] * 2
CHUNK = 50_000
OPEN_SHARE = 0.00003  # ~30 long-open incidents among a million, anywhere in time
INCIDENT_COLUMNS = (
    "id", "fingerprint", "alertname", "severity", "status", "labels", "annotations",
    "started_at", "resolved_at", "last_seen_at", "created_at", "duplicate_count",
    "generator_url", "receiver", "group_key", "acked_by", "acked_at", "reminders_sent",
    "messages_sent", "suppressed_count",
)  # fmt: skip
EVENT_COLUMNS = ("incident_id", "type", "at", "detail")


RECEIVER_JSON = json.dumps({"receiver": "oncall"})
DUPLICATE_JSON = json.dumps({"reason": "duplicate", "receiver": "oncall"})
ACK_JSON = json.dumps({"by": "ayse", "comment": ""})
SENT_JSON = (
    '{"channel": "telegram[0]", "receiver": "oncall", "message_id": "%d",'
    ' "kind": "firing", "reason": "first_notification"}'
)


def incident_rows(
    rng: random.Random, first_id: int, count: int, now: datetime, days: int
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """One incident row and its timeline rows at a time, newest ids latest in time.

    JSON is formatted once per label combination: generating rows must not be the bench.
    """
    span, last = days * 86400.0, first_id + count
    labels_json: dict[tuple[str, ...], tuple[str, str, str]] = {}
    for iid in range(first_id, last):
        started = now - timedelta(seconds=span * (1 - iid / last) + 60)
        combo = (rng.choice(ALERTS), rng.choice(SERVICES), rng.choice(NAMESPACES),
                 rng.choice(SEVERITIES))  # fmt: skip
        if combo not in labels_json:
            alert, service, ns, sev = combo
            labels = {"alertname": alert, "severity": sev, "namespace": ns, "service": service}
            labels_json[combo] = (
                json.dumps(labels), json.dumps({"summary": f"{alert} on {service}"}),
                f'{{}}:{{alertname="{alert}",namespace="{ns}"}}',
            )  # fmt: skip
        labels_text, annotations, group = labels_json[combo]
        acked = (
            started + timedelta(seconds=rng.expovariate(1 / 300)) if rng.random() < 0.6 else None
        )
        resolved = (
            None
            if iid > last - 20 or rng.random() < OPEN_SHARE  # a few old ones still fire too
            else started + timedelta(seconds=rng.expovariate(1 / 1500) + 30)
        )
        status = "resolved" if resolved else ("acknowledged" if acked else "firing")
        timeline = _timeline(rng, iid, started, acked, resolved)
        # Counters as delivery and suppression keep them: each message lists this one incident.
        sent, held = (sum(e[1] == kind for e in timeline) for kind in ("notified", "suppressed"))
        yield (
            (
                iid, f"{iid:016x}", combo[0], combo[3], status, labels_text, annotations, started,
                resolved, resolved or started, started, 0, "http://prometheus/graph", "oncall",
                group, "ayse" if acked else None, acked, 0, sent, held,
            ),
            timeline,
        )  # fmt: skip


def _timeline(
    rng: random.Random,
    iid: int,
    started: datetime,
    acked: datetime | None,
    resolved: datetime | None,
) -> list[tuple[Any, ...]]:
    events = [
        (iid, "fired", started + timedelta(seconds=1), RECEIVER_JSON),
        (iid, "notified", started + timedelta(seconds=2), SENT_JSON % iid),
    ]
    if rng.random() < 0.2:
        events.append((iid, "suppressed", started + timedelta(seconds=60), DUPLICATE_JSON))
    if acked is not None:
        events.append((iid, "acknowledged", acked, ACK_JSON))
    if resolved is not None:
        events.append((iid, "resolved", resolved, RECEIVER_JSON))
    return events


SECONDARY = """
SELECT 'index', indexname, indexdef FROM pg_indexes
 WHERE tablename IN ('incidents', 'incident_events') AND indexname NOT LIKE '%pkey'
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'incident_events'::regclass AND contype = 'f'
"""


def take(rows: Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]) -> list[Any]:
    return [r for _, r in zip(range(CHUNK), rows, strict=False)]


async def seed(dsn: str, count: int, days: int, now: datetime) -> tuple[float, int]:
    """COPY the incidents and their timelines in chunks; returns seconds and event rows.

    Secondary indexes and the foreign key are dropped for the load and rebuilt after it
    (one sort per index instead of a million inserts), and the next chunk is generated in a
    thread while PostgreSQL takes the current one.
    """
    rng = random.Random(12)
    conn = await asyncpg.connect(dsn)
    started, events_total = time.perf_counter(), 0
    try:
        extras = await conn.fetch(SECONDARY)
        for kind, name, _ in extras:
            table = "incident_events" if "event" in name else "incidents"
            drop = (
                f"ALTER TABLE {table} DROP CONSTRAINT {name}"
                if kind == "constraint"
                else (f"DROP INDEX {name}")
            )
            await conn.execute(drop)
        rows = incident_rows(rng, 1, count, now, days)
        upcoming = asyncio.create_task(asyncio.to_thread(take, rows))
        while batch := await upcoming:
            upcoming = asyncio.create_task(asyncio.to_thread(take, rows))
            await conn.copy_records_to_table(
                "incidents", records=[i for i, _ in batch], columns=INCIDENT_COLUMNS
            )
            events = [e for _, evs in batch for e in evs]
            await conn.copy_records_to_table(
                "incident_events", records=events, columns=EVENT_COLUMNS
            )
            events_total += len(events)
            print(f"  seeded {batch[-1][0][0]:,} incidents, {events_total:,} events", end="\r")
        print(f"\n  rebuilding {len(extras)} indexes and constraints")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for kind, name, definition in extras:
            add = (
                f"ALTER TABLE incident_events ADD CONSTRAINT {name} {definition}"
                if kind == "constraint"
                else definition
            )
            await conn.execute(add)
        await conn.execute("SELECT setval(pg_get_serial_sequence('incidents', 'id'), $1)", count)
        await conn.execute("ANALYZE incidents; ANALYZE incident_events")
    finally:
        await conn.close()
    return time.perf_counter() - started, events_total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, millis: list[float], target: float | None = None) -> None:
    goal = f"  (target p99 ≤ {target:g} ms)" if target else ""
    print(
        f"  {name:<46} n={len(millis):>4}  p50 {statistics.median(millis):7.1f} ms"
        f"  p99 {pct(millis, 0.99):7.1f} ms  max {max(millis):7.1f} ms{goal}"
    )


async def timed(call: Callable[..., Awaitable[Any]], *args: Any) -> tuple[float, Any]:
    """Milliseconds ``call(*args)`` took, and what it returned."""
    started = time.perf_counter()
    result = await call(*args)
    return (time.perf_counter() - started) * 1000, result


LIST_FILTERS: list[list[tuple[str, str]]] = [
    [],
    [("status", "resolved")],
    [("status", "firing"), ("status", "acknowledged")],
    [("since", "7d")],
    [("severity", "critical"), ("since", "30d")],
    [("label", 'namespace="prod"')],
    [("label", 'service=~"svc-0[0-4]"'), ("status", "resolved")],
]


def list_params(rng: random.Random) -> list[tuple[str, str]]:
    params = list(rng.choice(LIST_FILTERS))
    if rng.random() < 0.5:
        params.append(("alertname", rng.choice(ALERTS)))
    return [*params, ("limit", "50")]


async def bench_store(url: str, queries: int, now: datetime) -> None:
    """The store calls behind the API, with the hub's own query code."""
    from multidict import MultiDict

    rng = random.Random(7)
    engine = build_engine(DatabaseConfig(url=url, pool_size=4))
    first, cursor_pages = [], []
    by_filter: dict[str, list[float]] = {}
    try:
        async with engine.connect() as conn:
            for _ in range(queries):
                params = list_params(rng)
                query = parse_incident_query(MultiDict(params), now)
                ms, (_, position) = await timed(list_incidents, conn, query)
                first.append(ms)
                name = "&".join(sorted({k for k, _ in params if k != "limit"})) or "(none)"
                by_filter.setdefault(name, []).append(ms)
                for _ in range(3):
                    if position is None:
                        break
                    q2 = type(query)(**{**query.__dict__, "after": position})
                    ms, (_, position) = await timed(list_incidents, conn, q2)
                    cursor_pages.append(ms)
            print("(a) list with filters (store)")
            report("first page", first, 50)
            report("next pages by cursor", cursor_pages, 50)
            for name, millis in sorted(by_filter.items()):
                report(f"  {name}", millis)
            print("(b) stats over 30 days (store)")
            for by in StatsBy:
                runs = []
                for _ in range(3):
                    ms, _ = await timed(load_stats, conn, by, now - timedelta(days=30), now)
                    runs.append(ms)
                print(f"  by={by.value:<10} best {min(runs):7.1f} ms  worst {max(runs):7.1f} ms"
                      "  (target ≤ 500 ms)")  # fmt: skip
    finally:
        await engine.dispose()


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/login") as resp:
        html = await resp.text()
    csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = {"csrf": csrf, "name": "bench", "token": API_TOKEN, "next": "/incidents"}
    async with session.post(f"{base}/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()


async def bench_http(url: str, count: int, queries: int, tmp: Path) -> None:
    """Through a real ``alerthub serve``: the API list, stats, and the incident page."""
    config = tmp / "hub.yaml"
    raw = {"database": {"url": url}, "intake": {"token": INTAKE_TOKEN},
           "api": {"token": API_TOKEN}, "runbooks_dir": str(ROOT / "runbooks")}  # fmt: skip
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    hub = await start_hub_process(config, tmp / "hub.log", env={"PYTHONPATH": str(ROOT)})
    rng = random.Random(9)
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    jar = aiohttp.CookieJar(unsafe=True)
    try:
        async with aiohttp.ClientSession(cookie_jar=jar) as s:
            await sign_in(s, hub.url)

            async def get(path: str, params: Any = None, h: Any = None) -> Any:
                async with s.get(f"{hub.url}{path}", params=params, headers=h) as resp:
                    assert resp.status == 200, (path, resp.status, await resp.text())
                    return await resp.read()

            api, pages, page_list = [], [], []
            for _ in range(queries):
                params = list_params(rng)
                api.append((await timed(get, "/api/v1/incidents", params, headers))[0])
            for _ in range(queries):
                iid = rng.randrange(1, count + 1)
                pages.append((await timed(get, f"/incidents/{iid}"))[0])
            for _ in range(max(queries // 5, 20)):
                page_list.append((await timed(get, "/incidents"))[0])
            stats = [
                (await timed(get, "/api/v1/stats", {"since": "30d"}, headers))[0] for _ in range(5)
            ]
            print("(a') list over HTTP")
            report("GET /api/v1/incidents (filters, first page)", api, 50)
            print("(b') stats over HTTP")
            report("GET /api/v1/stats?since=30d", stats)
            print("(c) pages over HTTP")
            report("GET /incidents/{id} (signed in)", pages, 100)
            report("GET /incidents (open + last 7 days)", page_list)
    finally:
        await stop_hub(hub)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", metavar="DB", help="measure a database a --keep run seeded")
    args = parser.parse_args()
    name = args.reuse or f"alerthub_bench_history_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    now = datetime.now(UTC)
    try:
        if not args.reuse:
            await admin.execute(f'CREATE DATABASE "{name}"')
            engine = build_engine(DatabaseConfig(url=url))
            await migrate.upgrade(engine)
            await engine.dispose()
            print(f"seeding {args.incidents:,} incidents over {args.days} days into {name}")
            dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
            seconds, events = await seed(dsn, args.incidents, args.days, now)
            rate = args.incidents / seconds
            print(f"  {seconds:.1f} s ({rate:,.0f} incidents/s, {events:,} events)")
        await bench_store(url, args.queries, now)
        with tempfile.TemporaryDirectory(prefix="alerthub-bench-") as tmp:
            await bench_http(url, args.incidents, args.queries, Path(tmp))
    finally:
        if not (args.keep or args.reuse):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
