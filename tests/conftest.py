"""Shared fixtures: a store on SQLite and on PostgreSQL, configs, and a hub under test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.app import create_app
from hub.config.loader import parse_config
from hub.config.models import DatabaseConfig, HubConfig
from hub.store import migrate
from hub.store.engine import build_engine
from hub.store.schema import metadata

# python-telegram-bot warns unless its timedelta periods are opted into; we handle both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alertmanager"
PG_ADMIN_DSN = os.environ.get("ALERTHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
INTAKE_TOKEN = "test-intake-token-3f9a"
API_TOKEN = "test-api-token-77c1"
T = TypeVar("T")


def fixture_bytes(name: str) -> bytes:
    """A captured Alertmanager payload from tests/fixtures/alertmanager."""
    return (FIXTURES / name).read_bytes()


def fixture_names() -> list[str]:
    names = sorted(p.name for p in FIXTURES.glob("[0-9]*.json"))
    assert names, f"no fixtures found in {FIXTURES}"
    return names


class ManualClock:
    """An injectable clock that moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 22, 8, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _create_pg_database() -> str:
    name = f"alerthub_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    engine = build_engine(DatabaseConfig(url=url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh loop, even from inside a running one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One PostgreSQL database for the whole run, migrated once, dropped at the end."""
    name = run_in_thread(_create_pg_database())
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    run_in_thread(_migrate(url))
    yield url
    run_in_thread(_drop_pg_database(name))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        await _migrate(url)
        yield url
        return
    url = request.getfixturevalue("pg_url")
    await _truncate(url)
    yield url


async def _truncate(url: str) -> None:
    engine = build_engine(DatabaseConfig(url=url))
    try:
        async with engine.begin() as conn:
            names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = build_engine(DatabaseConfig(url=db_url))
    yield eng
    await eng.dispose()


def make_config(db_url: str, **overrides: Any) -> HubConfig:
    """A hub config for tests: both tokens set, the given store, extra sections merged in."""
    raw: dict[str, Any] = {
        "external_url": "http://hub.test",
        "database": {"url": db_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return parse_config(yaml.safe_dump(raw), env={}).config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def hub(db_url: str, clock: ManualClock) -> AsyncIterator[TestClient[Any, Any]]:
    """The hub app on a loopback test server, on each store."""
    app = create_app(make_config(db_url), clock=clock)
    async with TestClient(TestServer(app)) as client:
        yield client


def intake_headers(token: str = INTAKE_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def api_headers(token: str = API_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PostFixture = Callable[[str], Any]
