"""Migrations on both stores: 0004 drops the columns that were only ever written empty, 0008
counts messages and suppressions onto the incidents from their timelines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config.models import DatabaseConfig
from hub.store.engine import build_engine
from hub.store.migrate import MIGRATIONS_DIR
from hub.store.schema import identity_state, incidents, metadata, notifications
from tests.conftest import _create_pg_database, _drop_pg_database

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An empty database of its own (migrations go down as well as up here)."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    else:
        name = await _create_pg_database()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    engine = build_engine(DatabaseConfig(url=url))
    yield engine
    await engine.dispose()
    if name is not None:
        await _drop_pg_database(name)


async def _to(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns(table)})


def _schema_drift(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_0004_drops_the_empty_columns_and_keeps_the_rows(fresh_engine: AsyncEngine) -> None:
    await _to(fresh_engine, "0003")
    async with fresh_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO identity_state (fingerprint, transitions, flapping, flap_episodes,"
                " updated_at) VALUES ('abc', '[]', 1, 2, :now)"
            ),
            {"now": NOW},
        )
        await conn.execute(
            text(
                "INSERT INTO notifications (group_hash, receiver, channel, incident_id,"
                " message_id, state, sent_at, updated_at)"
                " VALUES ('g', 'ops', 'slack', 1, 'm1', '{}', :now, :now)"
            ),
            {"now": NOW},
        )
    await _to(fresh_engine, "head")
    assert "transitions" not in await _columns(fresh_engine, "identity_state")
    assert "state" not in await _columns(fresh_engine, "notifications")
    async with fresh_engine.connect() as conn:
        flap = (await conn.execute(select(identity_state))).one()
        sent = (await conn.execute(select(notifications))).one()
        assert await conn.run_sync(_schema_drift) == []  # the migrations build schema.py
    assert (flap.fingerprint, flap.flapping, flap.flap_episodes) == ("abc", 1, 2)
    assert (sent.message_id, sent.channel) == ("m1", "slack")


async def test_0004_goes_back_down(fresh_engine: AsyncEngine) -> None:
    await _to(fresh_engine, "head")
    async with fresh_engine.begin() as conn:
        await conn.execute(
            insert(identity_state).values(fingerprint="abc", flapping=0, updated_at=NOW)
        )
    await _to(fresh_engine, "0003", down=True)
    assert "transitions" in await _columns(fresh_engine, "identity_state")
    assert "state" in await _columns(fresh_engine, "notifications")
    async with fresh_engine.connect() as conn:
        row = (await conn.execute(text("SELECT transitions FROM identity_state"))).one()
    assert row.transitions in ("[]", [])


INCIDENT = (
    "INSERT INTO incidents (id, fingerprint, alertname, status, labels, annotations, started_at,"
    " last_seen_at, created_at) VALUES (:id, :fp, 'A', 'firing', '{}', '{}', :now, :now, :now)"
)
EVENT = "INSERT INTO incident_events (incident_id, type, at, detail) VALUES (:iid, :t, :at, :d)"
SHARED = '{"channel": "telegram[0]", "message_id": "1"}'


async def test_0008_counts_the_timelines_onto_the_incidents(fresh_engine: AsyncEngine) -> None:
    await _to(fresh_engine, "0007")
    later = NOW.replace(minute=5)
    async with fresh_engine.begin() as conn:
        await conn.execute(
            text(INCIDENT), [{"id": i, "fp": f"f{i}", "now": NOW} for i in (1, 2, 3)]
        )
        await conn.execute(
            text(EVENT),
            [
                {"iid": 2, "t": "notified", "at": NOW, "d": SHARED},  # one message listing 2 and 1
                {"iid": 1, "t": "notified", "at": NOW, "d": SHARED},
                {"iid": 1, "t": "notified", "at": later, "d": SHARED},  # its edit: another one
                {"iid": 2, "t": "notified", "at": NOW, "d": '{"channel": "slack[0]"}'},
                {"iid": 2, "t": "suppressed", "at": NOW, "d": '{"reason": "duplicate"}'},
                {"iid": 2, "t": "suppressed", "at": later, "d": '{"reason": "silenced"}'},
                {"iid": 3, "t": "fired", "at": NOW, "d": "{}"},
            ],
        )
    await _to(fresh_engine, "head")
    async with fresh_engine.connect() as conn:
        rows = await conn.execute(
            select(incidents.c.id, incidents.c.messages_sent, incidents.c.suppressed_count)
        )
        assert sorted(tuple(r) for r in rows) == [(1, 2, 0), (2, 1, 2), (3, 0, 0)]
    await _to(fresh_engine, "0007", down=True)
    assert "messages_sent" not in await _columns(fresh_engine, "incidents")
