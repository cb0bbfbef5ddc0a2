"""What every store-reading command shares: the config, and the database opened read-only."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hub.config.loader import ConfigError, LoadedConfig, load_config

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hub.config.models import DatabaseConfig

T = TypeVar("T")


class StoreReadError(Exception):
    """The database cannot be read; the message says why, for stderr."""


def load_or_exit(path: str) -> LoadedConfig:
    """The config, or every error with its YAML path on stderr and exit code 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        for error in exc.errors:
            print(f"alerthub: config error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def missing_sqlite_file(url: str) -> str | None:
    """Reports only read: they must not create an empty SQLite file where none was."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    return None if Path(path).exists() else path


def read_store(db: DatabaseConfig, read: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``read`` against the configured database; StoreReadError if it cannot be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.engine import build_engine

    if (missing := missing_sqlite_file(db.url)) is not None:
        raise StoreReadError(f"no database at {missing}")

    async def run() -> T:
        engine = build_engine(db)
        try:
            return await read(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (SQLAlchemyError, OSError) as exc:
        raise StoreReadError(f"cannot read the database: {exc}") from None
