"""``alerthub incidents list|show``, ``stats``, ``postmortem`` against the configured store."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.history import NOW, Seed, notified, seed

ROOT = Path(__file__).resolve().parents[2]
MIN = timedelta(minutes=1)
# The CLI reads the real clock: seed relative to it so look-backs like 2d mean something.
SEEDS = [
    Seed("HighErrorRate", NOW, 2 * MIN, 20 * MIN, {"namespace": "prod", "service": "model-api"},
         "critical", events=[("notified", MIN, notified("telegram[0]", "m1"))]),
    Seed("DataDrift", NOW + timedelta(minutes=5), labels={"namespace": "staging"}),
    Seed("DataDrift", NOW - timedelta(days=40), MIN, 5 * MIN, {"namespace": "staging"}),
]  # fmt: skip


async def run_cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def config(engine: AsyncEngine, db_url: str, tmp_path: Path) -> str:
    await seed(engine, SEEDS)
    path = tmp_path / "alerthub.yml"
    raw = {
        "external_url": "https://hub.example.org",
        "database": {"url": db_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
        "runbooks_dir": str(ROOT / "runbooks"),
    }
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return str(path)


def since_now(days: int) -> str:
    """An RFC 3339 time relative to the seeded NOW (the CLI's clock is the real one)."""
    return (NOW - timedelta(days=days)).isoformat().replace("+00:00", "Z")


async def test_incidents_list_filters_like_the_api(config: str) -> None:
    code, out, err = await run_cli(
        "incidents", "list", "--config", config, "--since", since_now(1), "--json"
    )
    assert code == 0, err
    assert [i["alertname"] for i in json.loads(out)] == ["DataDrift", "HighErrorRate"]
    code, out, err = await run_cli(
        "incidents", "list", "--config", config, "--status", "resolved", 'namespace=~"stag.*"'
    )
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["ID", "STATUS", "SEVERITY", "STARTED", "(UTC)", "ALERTNAME", "WHERE"]
    assert row.split()[1:] == ["resolved", "warning", *since_now(40)[:19].split("T"), "DataDrift",
                               "staging"]  # fmt: skip


async def test_incidents_list_relative_since(config: str) -> None:
    # Seeds sit at a fixed date; a look-back from the real clock long enough covers them all.
    code, out, err = await run_cli("incidents", "list", "--config", config, "--since", "36500d")
    assert code == 0, err
    assert len(out.splitlines()) == 4


async def test_incidents_show_prints_the_timeline(config: str) -> None:
    code, out, err = await run_cli("incidents", "show", "--config", config, "1")
    assert code == 0, err
    assert out.splitlines()[0] == "#1 HighErrorRate · resolved · critical"
    assert "  oncall / telegram[0]: 1 message(s)" in out
    assert "Acknowledged by ayse" in out
    code, out, err = await run_cli("incidents", "show", "--config", config, "--json", "1")
    assert code == 0, err
    assert [e["type"] for e in json.loads(out)["timeline"]] == [
        "fired", "notified", "acknowledged", "resolved",
    ]  # fmt: skip


async def test_stats_table_and_json(config: str) -> None:
    window = ["--since", since_now(30), "--until", since_now(-1)]
    code, out, err = await run_cli("stats", "--config", config, *window, "--json")
    assert code == 0, err
    items = {i["key"]: i for i in json.loads(out)["items"]}
    assert items["HighErrorRate"]["mtta_seconds"] == {"p50": 120.0, "p90": 120.0}
    assert items["DataDrift"]["incidents"] == 1
    code, out, err = await run_cli("stats", "--config", config, *window, "--by", "namespace")
    assert code == 0, err
    rows = [line.split()[:3] for line in out.splitlines()[3:]]
    assert rows == [["prod", "1", "1"], ["staging", "1", "0"]]


async def test_postmortem_prints_markdown(config: str) -> None:
    code, out, err = await run_cli("postmortem", "--config", config, "1")
    assert code == 0, err
    assert out.startswith("# Post-mortem: HighErrorRate — prod / model-api (#1)\n")
    assert "[incident #1](https://hub.example.org/incidents/1)" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["stats", "--since", "soon"], 2, "alerthub: since: 'soon' is neither"),
        (["incidents", "list", "namespace"], 2, "alerthub: label:"),
        (["incidents", "show", "999"], 1, "alerthub: incident 999 not found"),
        (["postmortem", "999"], 1, "alerthub: incident 999 not found"),
    ],
    ids=["bad-since", "bad-matcher", "missing-incident", "missing-postmortem"],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # parsing, not the store
async def test_errors_name_the_problem(
    config: str, args: list[str], code: int, message: str
) -> None:
    split = 2 if args[0] == "incidents" else 1
    got, _, err = await run_cli(*args[:split], "--config", config, *args[split:])
    assert got == code
    assert message in err


def test_cli_choices_are_the_api_names() -> None:
    from hub.api.incidents import STATUSES
    from hub.cli_history import BY_CHOICES, STATUS_CHOICES
    from hub.reports.stats import StatsBy

    assert STATUS_CHOICES == STATUSES
    assert tuple(b.value for b in StatsBy) == BY_CHOICES
