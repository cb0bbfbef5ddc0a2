"""The noise report's numbers and advice, alert by alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hub.reports.noise import AdviceMinimum, AlertStats, advice, build_noise_report

QUIET = AlertStats(
    alertname="Quiet",
    notifications_received=20,
    incidents=10,
    messages_sent=12,
    suppressed={"duplicate": 8},
    resolve_seconds=[1800.0] * 10,
    self_resolve_seconds=[],
    flapping_episodes=0,
    acked_incidents=8,
    history=timedelta(days=14),
)
LATENCY = replace(
    QUIET,
    alertname="ModelLatencyHigh",
    incidents=25,
    messages_sent=25,
    resolve_seconds=[150.0] * 23 + [900.0, 1200.0],
    self_resolve_seconds=[150.0] * 23,
    acked_incidents=2 + 3,
)
DRIFT = replace(QUIET, alertname="DataDrift", acked_incidents=0)
LOW_ACK = replace(QUIET, alertname="Ignored", incidents=20, acked_incidents=1)
FLAPPY = replace(QUIET, alertname="Flappy", flapping_episodes=3)
CHATTY = replace(QUIET, alertname="Chatty", messages_sent=45)
RARE = replace(QUIET, alertname="Rare", incidents=4, acked_incidents=0, messages_sent=40)
QUICK_1M = replace(QUIET, alertname="Blip", self_resolve_seconds=[30.0] * 9)
HALF_DAY = replace(DRIFT, history=timedelta(hours=12))
JUST_STARTED = replace(DRIFT, incidents=3, history=timedelta(minutes=3))

ADVICE_CASES: list[tuple[str, AlertStats, list[str]]] = [
    ("healthy", QUIET, []),
    (
        "self-resolving",
        LATENCY,
        [
            "ModelLatencyHigh resolved on its own in 92 % of episodes within 3 min: "
            "raise its `for:` to 5m"
        ],
    ),
    (
        "self-resolving-1m",
        QUICK_1M,
        ["Blip resolved on its own in 90 % of episodes within 1 min: raise its `for:` to 2m"],
    ),
    (
        "never-acked",
        DRIFT,
        [
            "DataDrift was never acknowledged in 10 episodes over 14 d: "
            "lower its severity or route it to email"
        ],
    ),
    (
        "enough-episodes-too-little-history",
        HALF_DAY,
        [
            "no advice yet: 10 episodes over 12 h; advice needs 5 episodes over 7 d"
            " (6 d 12 h more history)"
        ],
    ),
    (
        "three-minutes-of-data",
        JUST_STARTED,
        [
            "no advice yet: 3 episodes over 3 min; advice needs 5 episodes over 7 d"
            " (2 more episodes and 6 d 23 h more history)"
        ],
    ),
    (
        "rarely-acked",
        LOW_ACK,
        [
            "Ignored was acknowledged in only 5 % of 20 episodes over 14 d: "
            "lower its severity or route it to email"
        ],
    ),
    (
        "flapping",
        FLAPPY,
        [
            "Flappy flapped 3 times in 10 episodes over 14 d: add `keep_firing_for:` to its rule "
            "or smooth its expression (e.g. avg_over_time)"
        ],
    ),
    (
        "chatty",
        CHATTY,
        [
            "Chatty sent 4.5 messages per incident: acknowledge it sooner "
            "or lengthen its reminder interval"
        ],
    ),
    (
        "too-few-incidents",
        RARE,
        ["no advice yet: 4 episodes over 14 d; advice needs 5 episodes over 7 d (1 more episode)"],
    ),
]


@pytest.mark.parametrize(
    ("stats", "expected"),
    [case[1:] for case in ADVICE_CASES],
    ids=[case[0] for case in ADVICE_CASES],
)
def test_advice(stats: AlertStats, expected: list[str]) -> None:
    assert advice(stats) == expected


def test_build_noise_report_rows() -> None:
    rows = build_noise_report(
        [
            QUIET,
            LATENCY,
            replace(
                QUIET,
                alertname="Never",
                incidents=0,
                messages_sent=0,
                resolve_seconds=[],
                acked_incidents=0,
                suppressed={},
            ),
        ]
    )
    assert [row["alertname"] for row in rows] == ["ModelLatencyHigh", "Quiet", "Never"]
    latency = rows[0]
    assert latency["median_resolve_seconds"] == 150.0
    assert latency["ack_rate"] == pytest.approx(0.2)
    assert latency["messages_per_incident"] == 1.0
    assert latency["suppressed"] == {"duplicate": 8}
    assert latency["suppressed_total"] == 8
    assert latency["advice"] == advice(LATENCY)
    never = rows[2]
    assert never["median_resolve_seconds"] is None
    assert never["ack_rate"] is None
    assert never["messages_per_incident"] is None
    assert never["advice"] == [
        "no advice yet: 0 episodes over 14 d; advice needs 5 episodes over 7 d (5 more episodes)"
    ]
    assert never["looked_at"] == "0 episodes over 14 d"


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [
        (AdviceMinimum(episodes=3, history=timedelta(hours=12)), 1),
        (AdviceMinimum(episodes=11, history=timedelta(hours=1)), 0),
        (AdviceMinimum(episodes=1, history=timedelta(days=1)), 0),
    ],
    ids=["met", "episodes-short", "history-short"],
)
def test_the_minimum_is_configurable(minimum: AdviceMinimum, expected: int) -> None:
    found = advice(HALF_DAY, minimum)
    assert sum(not text.startswith("no advice yet") for text in found) == expected


def test_build_noise_report_ties_by_suppressed_then_name() -> None:
    loud = replace(QUIET, alertname="Loud", suppressed={"duplicate": 50, "flapping": 5})
    rows = build_noise_report([replace(QUIET, alertname="B"), loud, replace(QUIET, alertname="A")])
    assert [row["alertname"] for row in rows] == ["Loud", "A", "B"]
    assert rows[0]["suppressed"] == {"duplicate": 50, "flapping": 5}
