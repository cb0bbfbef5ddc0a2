"""What a responder reads, per channel and per state, asserted as exact text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.channels.model import Escalation, Notification
from hub.channels.render import email_subject, render_email, render_telegram
from hub.channels.slack import build_blocks
from hub.channels.wording import format_duration_human
from hub.model.notify import NotifyKind
from tests.channels.conftest import ACK, COMMON, NOW, make_alert, make_note

GROUP_URL = "https://hub.example.org/incidents?label=alertname%3DHighErrorRate"
INCIDENT_URL = "https://hub.example.org/incidents/1042"
TELEGRAM_LINKS = (
    '<a href="https://runbooks.example.org/high-error-rate">Runbook: HighErrorRate</a>'
    ' · <a href="https://prom.example.org/graph?g0.expr=x&amp;g0.tab=1">Prometheus</a>'
    ' · <a href="https://grafana.example.org/explore?left=x&amp;y=1">Explore logs</a>'
)
SLACK_LINKS = (
    "<https://runbooks.example.org/high-error-rate|Runbook: HighErrorRate>"
    " · <https://prom.example.org/graph?g0.expr=x&amp;g0.tab=1|Prometheus>"
    " · <https://grafana.example.org/explore?left=x&amp;y=1|Explore logs>"
    f" · <{INCIDENT_URL}|#1042>"
)
TELEGRAM_LOGS = (
    "Logs · Loki · last 5 min · 3 of 42 matching lines\n"
    "<pre>03:11:58 ERROR inference failed: CUDA out of memory (request r-81f2)\n"
    "03:11:59 ERROR inference failed: CUDA out of memory (request r-81f7)\n"
    "03:12:03 WARN  queue depth 412 &gt; 256</pre>"
)


def _telegram_body(first: str, *, resolved_second: bool = False) -> str:
    second = "• model-api-7c9f8d-x2 — 5xx share 6.8 %" + (" (resolved)" if resolved_second else "")
    return "\n".join(
        [
            first,
            "prod / model-api — 5xx share 7.3 % (threshold 5 %)",
            "since 03:12 UTC (6 min) · 3 alerts in this group"
            + (" · 1 of 3 resolved" if resolved_second else ""),
            "",
            "• model-api-7c9f8d-x1 — 5xx share 7.9 %",
            second,
            f'• … and 1 more (<a href="{GROUP_URL}">full list</a>)',
            "",
            TELEGRAM_LOGS,
            "",
            TELEGRAM_LINKS,
            f'<a href="{INCIDENT_URL}">#1042</a>',
        ]
    )


def _partial() -> Notification:
    first, second = make_note().alerts
    return make_note(alerts=(first, replace(second, status="resolved", ends_at=NOW)))


def _resolved(after: timedelta = timedelta(minutes=18), **changes: Any) -> Notification:
    alerts = tuple(
        replace(a, status="resolved", ends_at=a.starts_at + after) for a in make_note().alerts
    )
    return make_note(NotifyKind.RESOLVED, alerts=alerts, ack=ACK, **changes)


def _escalated() -> Notification:
    first_sent = datetime(2025, 3, 4, 3, 12, tzinfo=UTC)
    return make_note(
        receiver="lead",
        escalation=Escalation("oncall", first_sent),
        now=first_sent + timedelta(minutes=30),
    )


# Telegram ---------------------------------------------------------------------------------


def test_telegram_firing() -> None:
    assert render_telegram(make_note()) == _telegram_body(
        "<b>🔴 FIRING · critical · HighErrorRate</b>"
    )


def test_telegram_ack_names_the_telegram_handle_keeps_links_and_drops_nothing_else() -> None:
    assert render_telegram(make_note(NotifyKind.ACKNOWLEDGED, ack=ACK)) == _telegram_body(
        "<b>🟠 ACKED by @ayse at 03:15 · critical · HighErrorRate</b>"
    )


def test_telegram_partial_resolve_keeps_links_and_marks_the_resolved_alert() -> None:
    assert render_telegram(_partial()) == _telegram_body(
        "<b>🔴 FIRING · critical · HighErrorRate</b>", resolved_second=True
    )


def test_telegram_resolved_states_the_problem_in_the_past() -> None:
    assert render_telegram(_resolved()) == "\n".join(
        [
            "<b>✅ RESOLVED after 18 min · HighErrorRate</b>",
            "prod / model-api — was: 5xx share 7.3 % (threshold 5 %)",
            "acked by @ayse at 03:15",
            f'<a href="{INCIDENT_URL}">#1042</a> · <a href="{INCIDENT_URL}">Details</a>',
        ]
    )


def test_resolved_uses_the_alerts_own_resolved_text() -> None:
    note = _resolved(
        common_annotations={
            "summary": "5xx share 7.3 % (threshold 5 %)",
            "resolved_summary": "5xx share back under 5 %",
        }
    )
    assert render_telegram(note).splitlines()[1] == "prod / model-api — 5xx share back under 5 %"


def test_telegram_escalation_says_why_it_arrives() -> None:
    lines = render_telegram(_escalated()).splitlines()
    assert lines[:4] == [
        "<b>⬆ ESCALATED: critical, unacknowledged for 30 min · first sent to oncall at 03:12</b>",
        "<b>🔴 FIRING · critical · HighErrorRate</b>",
        "prod / model-api — 5xx share 7.3 % (threshold 5 %)",
        "since 03:12 UTC (30 min) · 3 alerts in this group",
    ]


# Slack ------------------------------------------------------------------------------------


def _slack_texts(note: Notification) -> list[str]:
    out = []
    for block in build_blocks(note):
        if block["type"] == "header":
            out.append("header: " + block["text"]["text"])
        elif block["type"] == "section" and "text" in block:
            out.append("section: " + block["text"]["text"])
        elif block["type"] == "section":
            out.append("fields: " + " | ".join(f["text"] for f in block["fields"]))
        elif block["type"] == "context":
            out.append("context: " + block["elements"][0]["text"])
        else:
            out.append("actions: " + ", ".join(e["value"] for e in block["elements"]))
    return out


def _slack_firing(header: str, *, resolved_second: bool = False) -> list[str]:
    """No actions block: Slack presses have no endpoint here, so Slack gets no buttons."""
    second = "• model-api-7c9f8d-x2 — 5xx share 6.8 %" + (" (resolved)" if resolved_second else "")
    return [
        f"header: {header}",
        "section: prod / model-api — 5xx share 7.3 % (threshold 5 %)\n"
        "since 03:12 UTC (6 min) · 3 alerts in this group"
        + (" · 1 of 3 resolved" if resolved_second else ""),
        "fields: *Namespace*\nprod | *Service*\nmodel-api | *Severity*\ncritical"
        " | *Since*\n03:12 UTC",
        "section: • model-api-7c9f8d-x1 — 5xx share 7.9 %\n"
        f"{second}\n• … and 1 more (<{GROUP_URL}|full list>)",
        "section: Logs · Loki · last 5 min · 3 of 42 matching lines\n"
        "```03:11:58 ERROR inference failed: CUDA out of memory (request r-81f2)\n"
        "03:11:59 ERROR inference failed: CUDA out of memory (request r-81f7)\n"
        "03:12:03 WARN  queue depth 412 &gt; 256```",
        f"context: {SLACK_LINKS}",
    ]


def test_slack_firing() -> None:
    assert _slack_texts(make_note()) == _slack_firing("🔴 FIRING · critical · HighErrorRate")


def test_slack_ack_shows_the_api_name_and_keeps_links() -> None:
    note = make_note(NotifyKind.ACKNOWLEDGED, ack=ACK)
    assert _slack_texts(note) == _slack_firing(
        "🟠 ACKED by ayse at 03:15 · critical · HighErrorRate"
    )


def test_slack_partial_resolve() -> None:
    assert _slack_texts(_partial()) == _slack_firing(
        "🔴 FIRING · critical · HighErrorRate", resolved_second=True
    )


def test_slack_resolved() -> None:
    assert _slack_texts(_resolved()) == [
        "header: ✅ RESOLVED after 18 min · HighErrorRate",
        "section: prod / model-api — was: 5xx share 7.3 % (threshold 5 %)\nacked by ayse at 03:15",
        f"context: {SLACK_LINKS}",
    ]


def test_slack_escalation_header_says_why() -> None:
    texts = _slack_texts(_escalated())
    assert texts[:2] == [
        "header: ⬆ ESCALATED: critical, unacknowledged for 30 min · first sent to oncall at 03:12",
        "section: *🔴 FIRING · critical · HighErrorRate*\n"
        "prod / model-api — 5xx share 7.3 % (threshold 5 %)\n"
        "since 03:12 UTC (30 min) · 3 alerts in this group",
    ]


# Email ------------------------------------------------------------------------------------

EMAIL_LINKS = [
    "Runbook: HighErrorRate: https://runbooks.example.org/high-error-rate",
    "Prometheus: https://prom.example.org/graph?g0.expr=x&g0.tab=1",
    "Explore logs: https://grafana.example.org/explore?left=x&y=1",
    f"#1042 · Details: {INCIDENT_URL}",
]


def _email_firing(first: str, *, resolved_second: bool = False) -> str:
    second = "• model-api-7c9f8d-x2 — 5xx share 6.8 %" + (" (resolved)" if resolved_second else "")
    return "\n".join(
        [
            first,
            "prod / model-api — 5xx share 7.3 % (threshold 5 %)",
            "since 03:12 UTC (6 min) · 3 alerts in this group"
            + (" · 1 of 3 resolved" if resolved_second else ""),
            "",
            "• model-api-7c9f8d-x1 — 5xx share 7.9 %",
            second,
            f"• … and 1 more (full list: {GROUP_URL})",
            "",
            "Logs · Loki · last 5 min · 3 of 42 matching lines",
            "    03:11:58 ERROR inference failed: CUDA out of memory (request r-81f2)",
            "    03:11:59 ERROR inference failed: CUDA out of memory (request r-81f7)",
            "    03:12:03 WARN  queue depth 412 > 256",
            "",
            *EMAIL_LINKS,
            "",
            "--",
            f"Sent by alerthub · {INCIDENT_URL}",
        ]
    )


@pytest.mark.parametrize(
    ("note", "subject", "text"),
    [
        (
            make_note(),
            "🔴 [FIRING:3] HighErrorRate prod/model-api (critical)",
            _email_firing("🔴 FIRING · critical · HighErrorRate"),
        ),
        (
            make_note(NotifyKind.ACKNOWLEDGED, ack=ACK),
            "Re: [ACKED by ayse] HighErrorRate prod/model-api",
            _email_firing("🟠 ACKED by ayse at 03:15 · critical · HighErrorRate"),
        ),
        (
            _partial(),
            "🔴 [FIRING:3] HighErrorRate prod/model-api (critical)",
            _email_firing("🔴 FIRING · critical · HighErrorRate", resolved_second=True),
        ),
        (
            _resolved(),
            "Re: [RESOLVED] HighErrorRate prod/model-api",
            "\n".join(
                [
                    "✅ RESOLVED after 18 min · HighErrorRate",
                    "prod / model-api — was: 5xx share 7.3 % (threshold 5 %)",
                    "acked by ayse at 03:15",
                    f"#1042 · Details: {INCIDENT_URL}",
                    "",
                    "--",
                    f"Sent by alerthub · {INCIDENT_URL}",
                ]
            ),
        ),
    ],
    ids=["firing", "ack", "partial-resolve", "resolved"],
)
def test_email_subject_and_text(note: Notification, subject: str, text: str) -> None:
    content = render_email(note)
    assert content.subject == subject
    assert content.text == text


def test_email_escalation_subject_and_first_line() -> None:
    content = render_email(_escalated())
    assert content.subject == "🔴 [ESCALATED] [FIRING:3] HighErrorRate prod/model-api (critical)"
    assert content.text.splitlines()[0] == (
        "⬆ ESCALATED: critical, unacknowledged for 30 min · first sent to oncall at 03:12"
    )
    assert "<b>⬆ ESCALATED: critical, unacknowledged for 30 min" in content.html


def test_email_html_keeps_links_in_the_ack_edit() -> None:
    html = render_email(make_note(NotifyKind.ACKNOWLEDGED, ack=ACK)).html
    assert (
        '<a href="https://runbooks.example.org/high-error-rate">Runbook: HighErrorRate</a>' in html
    )
    assert '<a href="https://grafana.example.org/explore?left=x&amp;y=1">Explore logs</a>' in html
    assert f'<a href="{INCIDENT_URL}">#1042</a>' in html


# Memory line ------------------------------------------------------------------------------

HISTORY = "seen 4 times in 30 days · last 3 days ago, resolved in 12 min (rollout restart, cleared)"


def _with_history(text: str, after: str) -> str:
    """``text`` with the history line inserted right after the line ``after``."""
    lines = text.split("\n")
    index = lines.index(after) + 1
    return "\n".join([*lines[:index], HISTORY, *lines[index:]])


def test_history_line_follows_the_since_line_in_every_channel() -> None:
    note = make_note(history=HISTORY)
    since = "since 03:12 UTC (6 min) · 3 alerts in this group"
    assert render_telegram(note) == _with_history(
        _telegram_body("<b>🔴 FIRING · critical · HighErrorRate</b>"), since
    )
    assert render_email(note).text == _with_history(
        _email_firing("🔴 FIRING · critical · HighErrorRate"), since
    )
    assert f"{since}<br>{HISTORY}</p>" in render_email(note).html
    slack = _slack_firing("🔴 FIRING · critical · HighErrorRate")
    slack[1] = f"{slack[1]}\n{HISTORY}"
    assert _slack_texts(note) == slack


def test_history_line_is_escaped_per_format() -> None:
    note = make_note(history="seen 2 times in 30 days · last <b>&</b> ago")
    assert "last &lt;b&gt;&amp;&lt;/b&gt; ago" in render_telegram(note)
    assert "last &lt;b&gt;&amp;&lt;/b&gt; ago" in _slack_texts(note)[1]


# Severity, durations, time zone -----------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "marker"),
    [("critical", "🔴"), ("warning", "🟡"), ("info", "🔵"), ("", "⚪")],
    ids=["critical", "warning", "info", "none"],
)
def test_one_marker_per_severity_in_every_channel(severity: str, marker: str) -> None:
    labels = (
        {**COMMON, "severity": severity}
        if severity
        else {k: v for k, v in COMMON.items() if k != "severity"}
    )
    alerts = tuple(replace(a, labels={**labels, "pod": "p"}) for a in make_note().alerts)
    note = make_note(common_labels=labels, alerts=alerts)
    sev = f" · {severity}" if severity else ""
    assert render_telegram(note).splitlines()[0] == f"<b>{marker} FIRING{sev} · HighErrorRate</b>"
    assert build_blocks(note)[0]["text"]["text"] == f"{marker} FIRING{sev} · HighErrorRate"
    assert email_subject(note).startswith(f"{marker} [FIRING:3] HighErrorRate prod/model-api")


@pytest.mark.parametrize(
    ("after", "title"),
    [
        (timedelta(seconds=40), "✅ RESOLVED after 40 s · HighErrorRate"),
        (timedelta(minutes=18), "✅ RESOLVED after 18 min · HighErrorRate"),
        (timedelta(hours=2, minutes=5), "✅ RESOLVED after 2 h 5 min · HighErrorRate"),
    ],
    ids=["seconds", "minutes", "hours"],
)
def test_resolved_durations_read_as_people_say_them(after: timedelta, title: str) -> None:
    assert render_email(_resolved(after)).text.splitlines()[0] == title


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (40, "40 s"),
        (59, "59 s"),
        (60, "1 min"),
        (7500, "2 h 5 min"),
        (90000, "1 d 1 h"),
    ],
    ids=["zero", "40s", "59s", "1min", "2h5min", "1d1h"],
)
def test_format_duration_human(seconds: int, text: str) -> None:
    assert format_duration_human(timedelta(seconds=seconds)) == text


def test_configured_time_zone_applies_to_since_ack_and_log_lines() -> None:
    note = make_note(NotifyKind.ACKNOWLEDGED, ack=ACK, tz=ZoneInfo("Europe/Istanbul"))
    text = render_telegram(note)
    assert text.splitlines()[0] == "<b>🟠 ACKED by @ayse at 06:15 · critical · HighErrorRate</b>"
    assert "since 06:12 +03 (6 min) · 3 alerts in this group" in text
    assert "<pre>06:11:58 ERROR inference failed" in text


def test_ack_without_a_channel_handle_shows_the_api_name_in_telegram() -> None:
    ack = replace(ACK, handles={})
    first = render_telegram(make_note(NotifyKind.ACKNOWLEDGED, ack=ack)).splitlines()[0]
    assert first == "<b>🟠 ACKED by ayse at 03:15 · critical · HighErrorRate</b>"


def test_one_alert_is_counted_in_the_singular() -> None:
    note = make_note(alerts=(make_alert("p1", "s"),), truncated_alerts=0)
    assert "since 03:12 UTC (6 min) · 1 alert in this group" in render_telegram(note)
