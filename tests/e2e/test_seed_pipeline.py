"""The whole seed pipeline: model service → Prometheus → Alertmanager → hub → Telegram and email.

Everything real except the chat API and Loki: a model service exporting prometheus-client
metrics with a high 5xx share, Debian's Prometheus scraping it every second and evaluating
a copy of ``config/prometheus/ml-alerts.yml`` with ``for: 1s``, Debian's Alertmanager,
``alerthub serve`` as a subprocess, aiosmtpd, and fakes for Telegram and Loki.
"""

from __future__ import annotations

import json
import re
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from markupsafe import escape

from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.e2e import FAST_DELIVERY, HOOK, SECRET_ENV, oncall_receiver, running_channels
from tests.fakes.loki_api import FakeLoki
from tests.support.alertmanager import run_alertmanager
from tests.support.hub_process import HubProcess, running_hub, write_hub_config
from tests.support.model_service import ModelService, sending_traffic
from tests.support.ports import free_port
from tests.support.prometheus import ScrapeJob, fast_rules, run_prometheus
from tests.support.smtp import html_part
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
NAMESPACE, SERVICE = "ml-prod", "model-api"
# Not ``model-api*``: ModelServiceDown's "< 1 request/s" half reads rate(...[5m]), which for a
# counter a few seconds old is a fraction of the real rate; with ``for: 1s`` it would page.
JOB = "seed-model-service"
LOG_LINES = [
    "ERROR predict failed: CUDA out of memory (tried to allocate 2.00 GiB)",
    'ERROR Traceback: File "serve.py", line 88, in predict',
    "ERROR upstream feature-store answered 503 <retry>",
]
NS = 1_000_000_000


def hub_yaml(tmp_path: Path, port: int, receiver: dict[str, Any], loki_url: str) -> Path:
    return write_hub_config(
        tmp_path / "hub.yaml",
        {
            "external_url": f"http://127.0.0.1:{port}",
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
            "route": {"receiver": receiver["name"]},
            "receivers": [receiver],
            "delivery": FAST_DELIVERY,
            "loki": {"url": loki_url, "timeout": "2s"},
            "runbooks_dir": str(REPO / "runbooks"),
        },
    )


def recent_lines() -> list[tuple[int, str]]:
    """Lines from the last half minute, oldest first: inside the alert's window."""
    now = int(datetime.now(UTC).timestamp())
    return [(now - 30 + 5 * i, line) for i, line in enumerate(LOG_LINES)]


async def test_model_service_errors_reach_telegram_and_email_with_runbook_and_logs(
    tmp_path: Path,
) -> None:
    port = free_port()
    runbook_link = f"http://127.0.0.1:{port}/runbooks/HighErrorRate"
    rules = fast_rules(REPO / "config/prometheus/ml-alerts.yml", tmp_path / "ml-alerts.yml")
    async with (
        running_channels() as ch,
        FakeLoki() as loki,
        ModelService(error_share=0.3) as model,
        sending_traffic(f"{model.base_url}/predict", per_second=20),
    ):
        loki.add_lines(
            {"namespace": NAMESPACE, "app": SERVICE},
            [(ts * NS, line) for ts, line in recent_lines()],
        )
        config = hub_yaml(tmp_path, port, oncall_receiver(ch), loki.url)
        async with (
            running_hub(config, tmp_path / "hub.log", port=port, env=SECRET_ENV) as hub,
            run_alertmanager(tmp_path, webhook_url=hub.url + HOOK, bearer_token=INTAKE_TOKEN) as am,
            run_prometheus(
                tmp_path,
                jobs=[
                    ScrapeJob(
                        JOB,
                        [model.base_url.removeprefix("http://")],
                        {"namespace": NAMESPACE, "service": SERVICE},
                    )
                ],
                rule_files=[rules],
                alertmanagers=[am.url],
            ) as prom,
        ):
            sent = await eventually(
                lambda: [
                    c for c in ch.tg.calls_to("sendMessage") if "HighErrorRate" in c.params["text"]
                ],
                25,
                what=f"a HighErrorRate message\n--- prometheus ---\n{prom.log_tail()}",
            )
            mails = await eventually(
                lambda: [m for m in ch.smtp.messages if "HighErrorRate" in m["Subject"]],
                25,
                what="a HighErrorRate email",
            )
            firing = {a["labels"]["alertname"] for a in await prom.alerts()}
            page = await fetch(runbook_link)
            hub_log = hub.log()

    text = sent[0].params["text"]
    assert f'<a href="{runbook_link}">Runbook: HighErrorRate</a>' in text, text
    excerpt = text.split("<pre>", 1)[1].split("</pre>", 1)[0]
    # oldest first, each with the time Loki stored it (HH:MM:SS, UTC)
    assert [line[9:] for line in excerpt.splitlines()] == [str(escape(x)) for x in LOG_LINES]
    assert all(re.match(r"\d\d:\d\d:\d\d $", line[:9]) for line in excerpt.splitlines())
    assert "answered 503 &lt;retry&gt;" in excerpt

    mail = html_part(mails[0])
    assert f'href="{runbook_link}"' in mail
    assert LOG_LINES[0] in mail.split("<pre", 1)[1]
    assert "answered 503 &lt;retry&gt;" in mail

    query = loki.queries[0].params["query"]
    assert (
        query == f'{{namespace="{NAMESPACE}", app="{SERVICE}"}} |~ "(?i)error|exception|traceback"'
    )
    assert firing == {"HighErrorRate"}  # real latencies are far below ModelLatencyHigh's 0.5 s
    assert "<h1>HighErrorRate</h1>" in page
    assert not [line for line in hub_log.splitlines() if '"level": "error"' in line], hub_log


async def fetch(url: str) -> str:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(url) as resp,
    ):
        assert resp.status == 200, url
        return await resp.text()


async def runbook_names(hub: HubProcess) -> set[str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(f"{hub.url}/runbooks/", headers={"Accept": "application/json"}) as resp,
    ):
        body = await resp.json()
        return {r["name"] for r in body["runbooks"]}


def log_events(hub: HubProcess, event: str) -> list[dict[str, Any]]:
    entries = []
    for line in hub.log().splitlines():
        if line.startswith("{") and f'"{event}"' in line:
            entry = json.loads(line)
            if entry.get("event") == event:
                entries.append(entry)
    return entries


async def test_sighup_reloads_runbooks_and_keeps_them_when_a_file_breaks(tmp_path: Path) -> None:
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    source = (REPO / "runbooks" / "HighErrorRate.md").read_text(encoding="utf-8")
    (runbooks / "HighErrorRate.md").write_text(source, encoding="utf-8")
    config = write_hub_config(
        tmp_path / "hub.yaml",
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
            "runbooks_dir": str(runbooks),
        },
    )
    async with running_hub(config, tmp_path / "hub.log") as hub:
        assert await runbook_names(hub) == {"HighErrorRate"}

        for name in ("DataDrift", "PodCrashLooping"):
            text = (REPO / "runbooks" / f"{name}.md").read_text(encoding="utf-8")
            (runbooks / f"{name}.md").write_text(text, encoding="utf-8")
        hub.process.send_signal(signal.SIGHUP)
        await eventually(lambda: log_events(hub, "runbooks_reloaded"), 10, "a reload")
        assert await runbook_names(hub) == {"HighErrorRate", "DataDrift", "PodCrashLooping"}
        assert log_events(hub, "runbooks_reloaded")[0]["runbooks"] == 3

        (runbooks / "DataDrift.md").write_text("---\nalert: DataDrift\n---\n", encoding="utf-8")
        hub.process.send_signal(signal.SIGHUP)
        (failed,) = await eventually(lambda: log_events(hub, "runbooks_reload_failed"), 10)
        details = [e["detail"] for e in log_events(hub, "runbook_invalid")]
        assert (failed["invalid"], failed["kept"]) == (len(details), 3)
        assert any("DataDrift.md: front matter.severity: Field required" in d for d in details)
        assert await runbook_names(hub) == {"HighErrorRate", "DataDrift", "PodCrashLooping"}
        assert hub.process.returncode is None
