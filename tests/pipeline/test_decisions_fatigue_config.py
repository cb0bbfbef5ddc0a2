"""The fatigue config: defaults, durations, and errors that name the field path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from hub.config.fatigue import FatigueConfig
from hub.model.policies import FlapConfig, ReminderPolicy

M = timedelta(minutes=1)


def test_defaults() -> None:
    cfg = FatigueConfig()
    assert cfg.group_window == timedelta(0)
    assert cfg.reminder_policy("critical") == ReminderPolicy(30 * M, 2.0, 24 * 60 * M)
    assert cfg.reminder_policy("warning") == ReminderPolicy(4 * 60 * M, 2.0, 24 * 60 * M)
    assert cfg.reminder_policy("info").first is None
    assert cfg.escalation is None
    assert cfg.flapping.to_flap_config() == FlapConfig(4, 30 * M, 15 * M)
    assert cfg.rate_limit is None
    assert cfg.silence_expiry_warning == 10 * M


POLICY_CASES: list[tuple[str, dict[str, Any], str | None, ReminderPolicy]] = [
    (
        "custom",
        {"critical": {"every": "15m", "backoff": 1.5, "max_interval": "2h"}},
        "critical",
        ReminderPolicy(15 * M, 1.5, 120 * M),
    ),
    ("never-keyword", {"info": {"every": "never"}}, "info", ReminderPolicy(None)),
    ("null-is-never", {"info": {"every": None}}, "info", ReminderPolicy(None)),
    ("unlisted-severity", {"critical": {"every": "15m"}}, "warning", ReminderPolicy(None)),
    ("no-severity", {"critical": {"every": "15m"}}, None, ReminderPolicy(None)),
    ("keys-case-insensitive", {"Critical": {"every": "15m"}}, "CRITICAL", ReminderPolicy(15 * M)),
]


@pytest.mark.parametrize(
    ("reminders", "severity", "policy"),
    [case[1:] for case in POLICY_CASES],
    ids=[case[0] for case in POLICY_CASES],
)
def test_reminder_policy(
    reminders: dict[str, Any], severity: str | None, policy: ReminderPolicy
) -> None:
    cfg = FatigueConfig.model_validate({"reminders": reminders})
    assert cfg.reminder_policy(severity) == policy


def test_full_config() -> None:
    cfg = FatigueConfig.model_validate(
        {
            "group_window": "30s",
            "escalation": {"after": "15m", "escalate_to": "oncall-lead"},
            "flapping": {"threshold": 5, "window": "1h", "stable_for": "20m"},
            "rate_limit": {"capacity": 10, "per": "1m", "digest_interval": "2m"},
            "silence_expiry_warning": "5m",
        }
    )
    assert cfg.group_window == timedelta(seconds=30)
    assert cfg.escalation is not None
    assert (cfg.escalation.after, cfg.escalation.severities) == (15 * M, ["critical"])
    assert cfg.rate_limit is not None
    assert (cfg.rate_limit.capacity, cfg.rate_limit.per) == (10, M)
    assert cfg.model_dump(mode="json")["flapping"] == {
        "threshold": 5,
        "window": "1h",
        "stable_for": "20m",
    }


ERROR_CASES: list[tuple[str, dict[str, Any], tuple[str | int, ...], str]] = [
    ("unknown-key", {"bogus": 1}, ("bogus",), "Extra inputs"),
    ("bad-duration", {"group_window": "5 minutes"}, ("group_window",), "invalid duration"),
    ("unitless-duration", {"group_window": 30}, ("group_window",), "with a unit"),
    (
        "zero-reminder",
        {"reminders": {"critical": {"every": "0s"}}},
        ("reminders", "critical", "every"),
        "longer than 0s",
    ),
    (
        "reminder-every-required",
        {"reminders": {"critical": {}}},
        ("reminders", "critical", "every"),
        "Field required",
    ),
    (
        "shrinking-backoff",
        {"reminders": {"critical": {"every": "5m", "backoff": 0.5}}},
        ("reminders", "critical", "backoff"),
        "greater than or equal to 1",
    ),
    (
        "escalation-without-receiver",
        {"escalation": {"after": "15m"}},
        ("escalation", "escalate_to"),
        "Field required",
    ),
    (
        "escalation-no-severities",
        {"escalation": {"after": "15m", "escalate_to": "lead", "severities": []}},
        ("escalation", "severities"),
        "at least 1",
    ),
    (
        "flap-threshold-1",
        {"flapping": {"threshold": 1}},
        ("flapping", "threshold"),
        "greater than or equal to 2",
    ),
    (
        "rate-limit-capacity-0",
        {"rate_limit": {"capacity": 0}},
        ("rate_limit", "capacity"),
        "greater than or equal to 1",
    ),
    ("rate-limit-per-0", {"rate_limit": {"per": "0"}}, ("rate_limit", "per"), "longer than 0s"),
]


@pytest.mark.parametrize(
    ("data", "loc", "message"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_errors_name_the_field(
    data: dict[str, Any], loc: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        FatigueConfig.model_validate(data)
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [loc]
    assert message in errors[0]["msg"]
