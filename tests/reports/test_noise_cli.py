"""``alerthub report noise``: the API's numbers, as a table or JSON, from a SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.cli import main
from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.reports import (
    CRAFTED,
    DEFAULT_SINCE,
    Client,
    noise,
    seed_fixture_replay,
    seed_self_resolving,
)

ROOT = Path(__file__).resolve().parents[2]
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def write_config(tmp_path: Path, db_url: str, **extra: Any) -> Path:
    path = tmp_path / "alerthub.yml"
    raw = {
        "external_url": "http://hub.test",
        "database": {"url": db_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
        **extra,
    }
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


async def run_cli(*args: str) -> tuple[int, str, str]:
    """``python -m hub report noise ...`` as its own process, as an operator runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "report", "noise", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def seeded(hub: Client, engine: AsyncEngine, db_url: str, tmp_path: Path) -> Path:
    """The fixture replay and the crafted self-resolving alert; returns the config path."""
    await seed_fixture_replay(hub, engine)
    await seed_self_resolving(hub, ack_last=True)
    return write_config(tmp_path, db_url)


@sqlite_only
async def test_json_matches_the_api(hub: Client, seeded: Path) -> None:
    code, out, err = await run_cli("--config", str(seeded), "--since", DEFAULT_SINCE, "--json")
    assert code == 0, err
    cli: dict[str, Any] = json.loads(out)
    api = await noise(hub, since=DEFAULT_SINCE)

    def timeless(report: dict[str, Any]) -> list[dict[str, Any]]:
        """The CLI reads the real clock, the API the test's: the evidence's span differs."""
        return [
            {k: v for k, v in r.items() if k not in ("looked_at", "advice")}
            for r in report["alerts"]
        ]

    assert cli["since"] == api["since"]
    assert timeless(cli) == timeless(api)
    assert all(row["advice"][0].startswith("no advice yet: ") for row in cli["alerts"][:3])
    assert [row["alertname"] for row in cli["alerts"]] == [
        "ModelLatencyHigh",
        "HighErrorRate",
        "DataDrift",
        CRAFTED,
    ]


@sqlite_only
async def test_table_prints_the_numbers_and_advice(
    seeded: Path, db_url: str, tmp_path: Path
) -> None:
    # The CLI reads the real clock: ask for no minimum history so the advice is certain.
    config = write_config(tmp_path, db_url, reports={"advice_min_history": "0s"})
    code, out, err = await run_cli("--config", str(config), "--since", DEFAULT_SINCE)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Noise report since {DEFAULT_SINCE}"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if not line.startswith(" ")}
    assert rows == {
        "ALERTNAME": [
            "RECEIVED",
            "INCIDENTS",
            "SENT",
            "SUPPRESSED",
            "MEDIAN_RESOLVE",
            "FLAPPING",
            "ACK_RATE",
        ],
        "ModelLatencyHigh": ["9", "3", "2", "duplicate=6", "-", "0", "0", "%"],
        "HighErrorRate": ["3", "1", "2", "-", "6s", "0", "100", "%"],
        "DataDrift": ["3", "1", "1", "duplicate=1", "silenced=2", "-", "2", "0", "%"],
        CRAFTED: ["13", "6", "0", "-", "2m30s", "0", "17", "%"],
    }
    row = lines.index(next(x for x in lines if x.startswith(CRAFTED)))
    assert re.fullmatch(r"    evidence: 6 episodes over \d.*", lines[row + 1]), lines[row + 1]
    assert lines[row + 2] == (
        f"    -> {CRAFTED} resolved on its own in 83 % of episodes within 3 min: "
        "raise its `for:` to 5m"
    )


@sqlite_only
async def test_default_window_on_an_empty_store(db_url: str, tmp_path: Path) -> None:
    code, out, err = await run_cli("--config", str(write_config(tmp_path, db_url)), "--json")
    assert code == 0, err
    assert json.loads(out)["alerts"] == []


def test_refuses_a_missing_sqlite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "hub.db"
    config = write_config(tmp_path, f"sqlite+aiosqlite:///{missing}")
    assert main(["report", "noise", "--config", str(config)]) == 1
    assert f"no database at {missing}" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_refuses_a_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    assert main(["report", "noise", "--config", str(config), "--since", "soon"]) == 2
    assert "since: 'soon' is neither" in capsys.readouterr().err
