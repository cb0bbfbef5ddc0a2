"""End to end: a real ``alerthub serve`` process delivering to fakes and a real SMTP server.

The helpers live here (this directory may not have a conftest of its own yet): a
``Channels`` bundle of FakeTelegram, FakeSlack and aiosmtpd, and the hub YAML that
routes to them. Secrets reach the hub through ``${ENV}`` so the tests can check that no
log line ever contains one.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import API_TOKEN, INTAKE_TOKEN, fixture_bytes
from tests.fakes.slack_api import DEFAULT_TOKEN as SLACK_TOKEN
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import DEFAULT_TOKEN as TG_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.support.hub_process import write_hub_config
from tests.support.smtp import RecordingHandler, run_smtp

HOOK = "/api/v1/alerts/alertmanager"
SECRET_ENV = {"E2E_TG_TOKEN": TG_TOKEN, "E2E_SLACK_TOKEN": SLACK_TOKEN}

# Delivery timers cut from seconds to tens of milliseconds so an outage of a few seconds
# sees several retries. ``lease`` must outlive ``send_timeout`` (a row is never claimed
# twice while its send is in flight) and is what a restart waits for on rows a killed
# process had claimed.
FAST_DELIVERY: dict[str, Any] = {
    "poll_interval": "50ms",
    "backoff_base": "100ms",
    "backoff_max": "500ms",
    "max_attempts": 40,
    "send_timeout": "1s",
    "lease": "2s",
}


@dataclass
class Channels:
    """The three outside systems a hub process talks to, all observable from the test."""

    tg: FakeTelegram
    slack: FakeSlack
    smtp: RecordingHandler
    smtp_port: int

    def counts(self) -> dict[str, int]:
        """Top-level messages per channel (sends, not edits or thread replies)."""
        posts = self.slack.calls_to("chat.postMessage")
        return {
            "telegram": len(self.tg.calls_to("sendMessage")),
            "slack": sum(1 for c in posts if not c.params.get("thread_ts")),
            "email": sum(1 for m in self.smtp.messages if not m["In-Reply-To"]),
        }


@contextlib.asynccontextmanager
async def running_channels() -> AsyncIterator[Channels]:
    handler = RecordingHandler()
    with contextlib.contextmanager(run_smtp)(handler) as controller:
        async with FakeTelegram() as tg, FakeSlack() as slack:
            yield Channels(tg, slack, handler, controller.port)


def oncall_receiver(ch: Channels, name: str = "oncall") -> dict[str, Any]:
    """A receiver with one Telegram chat, one Slack channel and one mailbox."""
    return {
        "name": name,
        "telegram_configs": [
            {"bot_token": "${E2E_TG_TOKEN}", "chat_id": -1001, "api_url": ch.tg.base_url}
        ],
        "slack_configs": [
            {"token": "${E2E_SLACK_TOKEN}", "channel": "#alerts", "api_url": ch.slack.api_url}
        ],
        "email_configs": [
            {
                "to": "oncall@example.org",
                "from": "hub@example.org",
                "smarthost": f"127.0.0.1:{ch.smtp_port}",
                "require_tls": False,
            }
        ],
    }


def write_routed_config(
    tmp_path: Path, db_url: str, ch: Channels, delivery: Mapping[str, Any] = FAST_DELIVERY
) -> Path:
    """Critical alerts page ``oncall`` on all three channels; the rest go to Slack #team."""
    return write_hub_config(
        tmp_path / "hub.yaml",
        {
            "external_url": "http://hub.test",
            "database": {"url": db_url},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
            "route": {
                "receiver": "team",
                "routes": [{"matchers": ['severity="critical"'], "receiver": "oncall"}],
            },
            "receivers": [
                oncall_receiver(ch),
                {
                    "name": "team",
                    "slack_configs": [
                        {
                            "token": "${E2E_SLACK_TOKEN}",
                            "channel": "#team",
                            "api_url": ch.slack.api_url,
                        }
                    ],
                },
            ],
            "delivery": dict(delivery),
        },
    )


def assert_no_secret_in(log: str) -> None:
    for name, secret in SECRET_ENV.items():
        assert secret not in log, f"the hub log contains the value of {name}"


_TEMPLATE = json.loads(fixture_bytes("01-critical-firing.json"))


def group_body(index: int, prefix: str = "Group") -> bytes:
    """A critical one-alert group, distinct per ``index`` (its own group key and fingerprint)."""
    body: dict[str, Any] = copy.deepcopy(_TEMPLATE)
    name = f"{prefix}{index:02d}"
    for labels in (body["alerts"][0]["labels"], body["groupLabels"], body["commonLabels"]):
        labels["alertname"] = name
    body["alerts"][0]["fingerprint"] = f"c0ffee{index:010x}"
    body["groupKey"] = f'{{}}/{{severity="critical"}}:{{alertname="{name}", namespace="prod"}}'
    return json.dumps(body).encode()
