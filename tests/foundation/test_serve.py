"""``alerthub serve`` as a process: graceful stop, start-up failures, secrets kept out of logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from hub.store.migrate import head_revisions
from tests.conftest import API_TOKEN, INTAKE_TOKEN, fixture_bytes
from tests.support.hub_process import start_hub_process, stop_hub, write_hub_config
from tests.support.ports import free_port
from tests.support.waiting import eventually

HOOK = "/api/v1/alerts/alertmanager"


def config_file(tmp_path: Path, **database: object) -> Path:
    return write_hub_config(
        tmp_path / "hub.yaml",
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", **database},
            "intake": {"token": "${HUB_INTAKE}"},
            "api": {"token": "${HUB_API}"},
        },
    )


SECRET_ENV = {"HUB_INTAKE": INTAKE_TOKEN, "HUB_API": API_TOKEN}


def run_serve(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, **env, "ALERTHUB_LISTEN": f"127.0.0.1:{free_port()}"},
    )  # fmt: skip


async def test_sigterm_finishes_in_flight_requests_then_exits(tmp_path: Path) -> None:
    hub = await start_hub_process(config_file(tmp_path), tmp_path / "hub.log", env=SECRET_ENV)
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    # Hold SQLite's write lock so the request is in flight, waiting for its commit.
    blocker = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    async with aiohttp.ClientSession() as session:
        request = asyncio.create_task(
            session.post(
                hub.url + HOOK, data=fixture_bytes("01-critical-firing.json"), headers=headers
            )
        )
        await eventually(
            lambda: _metric(session, hub.url, "alerthub_intake_payloads_waiting"),
            check=lambda value: value == 1.0,
            what="the request waiting for its commit",
        )
        hub.process.send_signal(signal.SIGTERM)
        await eventually(lambda: '"event": "stopping"' in hub.log(), what="the hub stopping")
        assert not request.done()
        blocker.execute("ROLLBACK")
        response = await request
        assert response.status == 200
        response.release()
    assert await stop_hub(hub) == 0
    stored = blocker.execute("SELECT count(*) FROM incidents").fetchone()
    blocker.close()
    assert stored == (1,)
    log = hub.log()
    assert '"event": "stopped"' in log
    # Nothing the hub logged carries a token, not even the config it read.
    assert INTAKE_TOKEN not in log
    assert API_TOKEN not in log


async def test_secrets_stay_out_of_logs_on_errors(tmp_path: Path) -> None:
    hub = await start_hub_process(config_file(tmp_path), tmp_path / "hub.log", env=SECRET_ENV)
    async with aiohttp.ClientSession() as session:
        for token in (INTAKE_TOKEN, "wrong"):
            async with session.post(
                hub.url + HOOK,
                data=b"{broken",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            ) as resp:
                assert resp.status in (400, 401)
    await stop_hub(hub)
    assert INTAKE_TOKEN not in hub.log()


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres:pw-s3cret@127.0.0.1:{free_port()}/nothing"
    result = run_serve(config_file(tmp_path), {**SECRET_ENV, "ALERTHUB_DATABASE_URL": url})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("alerthub:")]
    assert len(lines) == 1
    assert "database unreachable" in lines[0]
    assert "pw-s3cret" not in result.stderr


def test_pending_migrations_without_auto_migrate_stop_start_up(tmp_path: Path) -> None:
    result = run_serve(config_file(tmp_path, auto_migrate=False), SECRET_ENV)
    assert result.returncode != 0
    assert "alerthub db upgrade" in result.stderr
    upgrade = subprocess.run(
        [sys.executable, "-m", "hub", "db", "upgrade", "--config", str(tmp_path / "hub.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, **SECRET_ENV},
    )  # fmt: skip
    assert upgrade.returncode == 0, upgrade.stderr
    assert ",".join(sorted(head_revisions())) in upgrade.stdout


def test_bad_config_stops_start_up_naming_the_path(tmp_path: Path) -> None:
    result = run_serve(config_file(tmp_path), {})
    assert result.returncode != 0
    assert "intake.token: environment variable HUB_INTAKE is not set" in result.stderr


async def _metric(session: aiohttp.ClientSession, url: str, name: str) -> float | None:
    """One unlabelled sample from the hub's ``/metrics``."""
    async with session.get(url + "/metrics") as resp:
        for line in (await resp.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None
