"""History commands against the configured database: incidents, stats, postmortem.

They parse their options exactly as the HTTP API parses its query string (same messages,
same time syntax), then read the store directly. Imports are local so that ``alerthub``
starts fast for every other command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multidict import MultiDict
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hub.config.models import HubConfig
    from hub.history.model import IncidentRecord
    from hub.reports.stats import Percentiles
    from hub.store.queries import IncidentQuery

# The API's names (hub.api.incidents.STATUSES, hub.reports.stats.StatsBy); a test keeps them equal.
STATUS_CHOICES = ("firing", "acknowledged", "resolved")
BY_CHOICES = ("alertname", "service", "namespace", "severity")
TIME_HELP = "RFC 3339 time or look-back like 7d, 12h, 90m"


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _fail(message: str, code: int) -> int:
    print(f"alerthub: {message}", file=sys.stderr)
    return code


def _read(cfg: HubConfig, read: Any) -> Any:
    from hub.cli_store import StoreReadError, read_store

    try:
        return read_store(cfg.database, read)
    except StoreReadError as exc:
        raise SystemExit(_fail(str(exc), 1)) from None


def _params(pairs: list[tuple[str, str | None]]) -> MultiDict[str]:
    from multidict import MultiDict

    return MultiDict([(k, v) for k, v in pairs if v is not None])


def cmd_incidents_list(args: argparse.Namespace) -> int:
    from hub.api.incidents import QueryError, parse_incident_query
    from hub.cli_store import load_or_exit
    from hub.clock import utc_now
    from hub.store.queries import list_incidents

    cfg = load_or_exit(args.config).config
    pairs: list[tuple[str, str | None]] = [("status", s) for s in args.status or ()]
    pairs += [("label", m) for m in args.matchers]
    pairs += [("since", args.since), ("until", args.until), ("limit", str(args.limit))]
    try:
        query = parse_incident_query(_params(pairs), utc_now())
    except QueryError as exc:
        return _fail(str(exc), 2)

    async def read(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            items, _ = await list_incidents(conn, query)
        return items

    items = _read(cfg, read)
    for item in items:
        item.pop("_started", None)
    print(json.dumps(items, indent=2) if args.json else format_incident_table(items, query))
    return 0


def format_incident_table(items: list[dict[str, Any]], query: IncidentQuery) -> str:
    if not items:
        return "(no incidents match)"
    rows = [("ID", "STATUS", "SEVERITY", "STARTED (UTC)", "ALERTNAME", "WHERE")]
    for i in items:
        where = " / ".join(
            p for p in (i["labels"].get("namespace"), i["labels"].get("service")) if p
        )
        rows.append(
            (
                str(i["id"]), i["status"], i["severity"] or "-",
                i["started_at"][:19].replace("T", " "), i["alertname"], where or "-",
            )
        )  # fmt: skip
    more = (
        [f"(first {query.limit}; narrow with --since or matchers)"]
        if len(items) == query.limit
        else []
    )
    return "\n".join(aligned(rows) + more)


def cmd_incidents_show(args: argparse.Namespace) -> int:
    from hub.cli_store import load_or_exit
    from hub.store.history import load_incident_record
    from hub.store.queries import get_incident

    cfg = load_or_exit(args.config).config

    async def read(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            if args.json:
                return await get_incident(conn, args.id)
            return await load_incident_record(conn, args.id)

    found = _read(cfg, read)
    if found is None:
        return _fail(f"incident {args.id} not found", 1)
    print(json.dumps(found, indent=2) if args.json else format_incident(found))
    return 0


def format_incident(record: IncidentRecord) -> str:
    from hub.history.timeline import deliveries, timeline_lines

    r = record
    end = r.resolved_at.strftime("%Y-%m-%d %H:%M:%S") if r.resolved_at else "still open"
    lines = [
        f"#{r.id} {r.alertname} · {r.status} · {r.severity or 'no severity'}",
        f"started {r.started_at:%Y-%m-%d %H:%M:%S} UTC · resolved {end}",
    ]
    if r.acked_by:
        lines.append(f"acknowledged by {r.acked_by} at {r.acked_at:%Y-%m-%d %H:%M:%S} UTC")
    lines += ["", "labels:", *(f"  {k}={v}" for k, v in sorted(r.labels.items()))]
    lines += ["annotations:", *(f"  {k}: {v}" for k, v in sorted(r.annotations.items()))]
    sent = [
        f"  {d.receiver} / {d.channel}: {d.messages} message(s)" for d in deliveries(r.timeline)
    ]
    lines += ["sent:", *(sent or ["  nothing"]), "", "timeline (UTC):"]
    lines += aligned([(f"  {e.at:%Y-%m-%d %H:%M:%S}", e.what, e.detail) for e in timeline_lines(r)])
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    from hub.api.stats import StatsQueryError, load_stats, parse_stats_query
    from hub.cli_store import load_or_exit
    from hub.clock import utc_now

    cfg = load_or_exit(args.config).config
    params = _params([("since", args.since), ("until", args.until), ("by", args.by)])
    try:
        by, since, until = parse_stats_query(params, utc_now())
    except StatsQueryError as exc:
        return _fail(str(exc), 2)

    async def read(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            return await load_stats(conn, by, since, until)

    stats = _read(cfg, read)
    if args.json:
        print(stats.model_dump_json(indent=2))
        return 0
    rows = [(by.value.upper(), "INCIDENTS", "ACKED", "MTTA p50/p90", "MTTR p50/p90", "MESSAGES",
             "SUPPRESSED")]  # fmt: skip
    for i in stats.items:
        rows.append(
            (
                i.key or "(none)", str(i.incidents), str(i.acknowledged), _pair(i.mtta_seconds),
                _pair(i.mttr_seconds), str(i.messages), str(i.suppressed),
            )
        )  # fmt: skip
    print(f"Stats from {stats.since} to {stats.until}\n")
    print("\n".join(aligned(rows)) if stats.items else "(no incidents in this window)")
    return 0


def _pair(p: Percentiles) -> str:
    from hub.channels.render import format_duration_human

    def one(v: float | None) -> str:
        return "-" if v is None else format_duration_human(timedelta(seconds=v))

    return f"{one(p.p50)} / {one(p.p90)}"


def cmd_postmortem(args: argparse.Namespace) -> int:
    import aiohttp

    from hub.api.postmortem import load_postmortem
    from hub.cli_store import load_or_exit
    from hub.clock import utc_now
    from hub.enrich.runbooks import RunbookIndexHolder
    from hub.pipeline.enrichment import HubEnricher

    cfg = load_or_exit(args.config).config
    now = utc_now()

    async def read(engine: AsyncEngine) -> str | None:
        runbooks = await RunbookIndexHolder.load(cfg.runbooks_dir)
        async with aiohttp.ClientSession() as session:
            enricher = HubEnricher(cfg, runbooks, session)
            return await load_postmortem(
                engine, args.id, enricher=enricher, external_url=cfg.external_url, now=now
            )

    text = _read(cfg, read)
    if text is None:
        return _fail(f"incident {args.id} not found", 1)
    sys.stdout.write(text)
    return 0


def add_history_commands(sub: Any) -> None:
    """``incidents list|show``, ``stats`` and ``postmortem``."""
    incidents = sub.add_parser("incidents", help="incident history")
    inc_sub = incidents.add_subparsers(dest="incidents_command", required=True)
    listing = inc_sub.add_parser("list", help="incidents newest first")
    listing.add_argument("--config", required=True)
    listing.add_argument(
        "--status", action="append", choices=("firing", "acknowledged", "resolved")
    )
    listing.add_argument("--since", help=f"started at or after: {TIME_HELP}")
    listing.add_argument("--until", help=f"started at or before: {TIME_HELP}")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (1-500)")
    listing.add_argument("--json", action="store_true", help="print the API's JSON items")
    listing.add_argument("matchers", nargs="*", metavar="MATCHER", help='e.g. namespace="prod"')
    listing.set_defaults(func=cmd_incidents_list)
    show = inc_sub.add_parser("show", help="one incident with its timeline")
    show.add_argument("--config", required=True)
    show.add_argument("--json", action="store_true", help="print the API's JSON")
    show.add_argument("id", type=int)
    show.set_defaults(func=cmd_incidents_show)

    stats = sub.add_parser("stats", help="MTTA, MTTR, messages and suppressions per group")
    stats.add_argument("--config", required=True)
    stats.add_argument("--since", default="7d", help=TIME_HELP)
    stats.add_argument("--until", help=f"default now; {TIME_HELP}")
    stats.add_argument("--by", default="alertname", choices=BY_CHOICES)
    stats.add_argument("--json", action="store_true", help="print the API's JSON")
    stats.set_defaults(func=cmd_stats)

    postmortem = sub.add_parser("postmortem", help="a Markdown post-mortem draft of an incident")
    postmortem.add_argument("--config", required=True)
    postmortem.add_argument("id", type=int)
    postmortem.set_defaults(func=cmd_postmortem)
