"""The ``alerthub`` command: serve, check-config, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.cli_history import add_history_commands
from hub.cli_store import load_or_exit as _load
from hub.cli_store import missing_sqlite_file as _missing_sqlite_file
from hub.config.loader import ConfigError, check_config
from hub.config.types import format_duration
from hub.logs import configure_logging

if TYPE_CHECKING:
    from hub.api.reports import NoiseReport
    from hub.config.models import HubConfig


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        checked = check_config(args.path, allow_unset_env=args.allow_unset_env)
    except ConfigError as exc:
        for error in exc.errors:
            print(f"alerthub: config error: {error}", file=sys.stderr)
        return 2
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    cfg = checked.config
    count = f"{len(checked.warnings)} warning(s)"
    if cfg is None:
        print(f"{args.path}: OK as far as it can be checked without its unset variables · {count}")
        return 0
    backend = cfg.database.url.split(":", 1)[0]
    print(f"{args.path}: OK · listen {cfg.server.listen} · database {backend} · {count}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from hub.serve import StartupError, serve

    loaded = _load(args.config)
    configure_logging(loaded.config.logging.level)
    try:
        asyncio.run(serve(loaded, config_path=args.config))
    except StartupError as exc:
        print(f"alerthub: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from hub.serve import StartupError, upgrade_database

    loaded = _load(args.config)
    try:
        revision = asyncio.run(upgrade_database(loaded.config.database))
    except StartupError as exc:
        print(f"alerthub: {exc}", file=sys.stderr)
        return 1
    print(f"database at revision {revision}")
    return 0


def cmd_routes_test(args: argparse.Namespace) -> int:
    from hub.routing.tree import build_route_tree, format_routes_test, match_receivers

    cfg = _load(args.config).config
    if cfg.route is None:
        print("alerthub: the config has no route:", file=sys.stderr)
        return 1
    labels: dict[str, str] = {}
    for pair in args.labels:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"alerthub: {pair!r} is not label=value", file=sys.stderr)
            return 2
        labels[name] = value.strip('"')
    print(format_routes_test(match_receivers(build_route_tree(cfg.route), labels)))
    return 0


def cmd_check_runbooks(args: argparse.Namespace) -> int:
    from hub.enrich.runbooks import RunbookIndex

    index = RunbookIndex.load(args.dir)
    for error in index.errors:
        print(error, file=sys.stderr)
    if index.errors:
        return 1
    print(f"{args.dir}: OK · {len(index.runbooks)} runbook(s)")
    return 0


def cmd_report_noise(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from hub.api.reports import parse_since
    from hub.clock import utc_now
    from hub.timeframe import TimeParamError

    cfg = _load(args.config).config
    now = utc_now()
    try:
        since = parse_since(args.since, now)
    except TimeParamError as exc:
        print(f"alerthub: {exc}", file=sys.stderr)
        return 2
    if (missing := _missing_sqlite_file(cfg.database.url)) is not None:
        print(f"alerthub: no database at {missing}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_noise_report(cfg, since, now))
    except (SQLAlchemyError, OSError) as exc:
        print(f"alerthub: cannot read the database: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else format_noise_table(report))
    return 0


async def _noise_report(cfg: HubConfig, since: datetime, now: datetime) -> NoiseReport:
    from hub.api.reports import load_noise_report
    from hub.store.engine import build_engine

    engine = build_engine(cfg.database)
    try:
        async with engine.connect() as conn:
            return await load_noise_report(conn, since, now, cfg.reports)
    finally:
        await engine.dispose()


def format_noise_table(report: NoiseReport) -> str:
    """The report as an aligned table, each alertname's advice indented under its row."""
    header = "ALERTNAME RECEIVED INCIDENTS SENT SUPPRESSED MEDIAN_RESOLVE FLAPPING ACK_RATE"
    rows: list[tuple[str, ...]] = [tuple(header.split())]
    for r in report["alerts"]:
        suppressed = " ".join(f"{k}={v}" for k, v in r["suppressed"].items()) or "-"
        median = r["median_resolve_seconds"]
        ack = r["ack_rate"]
        rows.append(
            (
                r["alertname"], str(r["notifications_received"]), str(r["incidents"]),
                str(r["messages_sent"]), suppressed,
                "-" if median is None else format_duration(timedelta(seconds=round(median))),
                str(r["flapping_episodes"]), "-" if ack is None else f"{round(ack * 100)} %",
            )
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"Noise report since {report['since']}", ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index:
            alert = report["alerts"][index - 1]
            lines.append(f"    evidence: {alert['looked_at']}")
            lines.extend(f"    -> {text}" for text in alert["advice"])
    if not report["alerts"]:
        lines.append("(no incidents in this window)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alerthub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the webhook hub")
    serve.add_argument("--config", required=True, help="path to the YAML config")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("path")
    check.add_argument(
        "--allow-unset-env",
        action="store_true",
        help="an unset ${VAR} is a warning, not an error (lint configs in CI without secrets)",
    )
    check.set_defaults(func=cmd_check_config)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply Alembic migrations to head")
    upgrade.add_argument("--config", required=True)
    upgrade.set_defaults(func=cmd_db_upgrade)

    routes = sub.add_parser("routes", help="the route tree")
    routes_sub = routes.add_subparsers(dest="routes_command", required=True)
    routes_test = routes_sub.add_parser("test", help="which receivers a label set reaches")
    routes_test.add_argument("--config", required=True)
    routes_test.add_argument("labels", nargs="*", metavar="label=value")
    routes_test.set_defaults(func=cmd_routes_test)

    runbooks = sub.add_parser("check-runbooks", help="validate runbooks/*.md")
    runbooks.add_argument("dir", nargs="?", default="runbooks")
    runbooks.set_defaults(func=cmd_check_runbooks)

    report = sub.add_parser("report", help="reports from the store")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    noise = report_sub.add_parser("noise", help="per alertname: how noisy, and what to change")
    noise.add_argument("--config", required=True)
    noise.add_argument("--since", default="14d", help="RFC 3339 time or look-back like 14d")
    noise.add_argument("--json", action="store_true", help="print the API's JSON instead")
    noise.set_defaults(func=cmd_report_noise)
    add_history_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
