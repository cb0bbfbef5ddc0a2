"""The ``alerthub`` command: serve, check-config, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from hub.config.loader import ConfigError, LoadedConfig, load_config
from hub.logs import configure_logging


def _load(path: str) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        for error in exc.errors:
            print(f"alerthub: config error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    loaded = _load(args.path)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    cfg = loaded.config
    backend = cfg.database.url.split(":", 1)[0]
    print(
        f"{args.path}: OK · listen {cfg.server.listen} · database {backend}"
        f" · {len(loaded.warnings)} warning(s)"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from hub.serve import StartupError, serve

    loaded = _load(args.config)
    configure_logging(loaded.config.logging.level)
    try:
        asyncio.run(serve(loaded))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alerthub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the webhook hub")
    serve.add_argument("--config", required=True, help="path to the YAML config")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("path")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
