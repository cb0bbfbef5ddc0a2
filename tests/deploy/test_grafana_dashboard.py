"""``deploy/grafana/alerthub.json``: a well-formed dashboard whose every query names metrics the
hub exports and parses in a real Prometheus scraping a real hub."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.prometheus import ScrapeJob, run_prometheus
from tests.support.waiting import eventually

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "alerthub.json"
METRIC = re.compile(r"\balerthub_[a-z0-9_]+")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}
Client = TestClient[Any, Any]


def load() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return dashboard


def queries() -> list[str]:
    return [t["expr"] for p in load()["panels"] for t in p.get("targets", [])]


def test_dashboard_is_well_formed() -> None:
    d = load()
    assert (d["title"], d["uid"]) == ("alerthub", "alerthub-hub")
    assert [v["name"] for v in d["templating"]["list"]] == ["datasource"]
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in d["panels"]:
        g = panel["gridPos"]
        assert 0 <= g["x"] < g["x"] + g["w"] <= 24, panel["title"]
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)) > 0, panel["title"]
    titles = " ".join(p["title"] for p in d["panels"]).lower()
    for topic in ("webhook", "rejected", "open incidents", "sent", "suppressed", "failures",
                  "outbox lag", "loki"):  # fmt: skip
        assert topic in titles


def exported_names(exposition: str) -> set[str]:
    """Every series name the exposition can carry, also for labelled metrics with no child yet."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(family.name + s for s in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_queried_metric_is_exported(hub: Client) -> None:
    exported = exported_names(await (await hub.get("/metrics")).text())
    queried = {name for expr in queries() for name in METRIC.findall(expr)}
    assert len(queried) >= 12
    assert queried - exported == set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_query_runs_in_prometheus(hub: Client, tmp_path: Path) -> None:
    target = f"{hub.server.host}:{hub.server.port}"
    async with run_prometheus(tmp_path, jobs=[ScrapeJob("alerthub", [target])]) as prom:
        await eventually(lambda: prom.query('up{job="alerthub"} == 1'), 20, "first scrape")
        for expr in queries():
            await prom.query(expr.replace("$__rate_interval", "1m"))  # raises on a parse error
        open_incidents = await prom.query("alerthub_outbox_depth")
    assert open_incidents  # the scrape really carried the hub's metrics
