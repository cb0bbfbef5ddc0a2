"""Rendering: layout per MESSAGES.md, escaping per format, honest truncation."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from hub.channels.fit import cut_html, utf16_len
from hub.channels.model import Enrichment, LogLine, Notification
from hub.channels.render import (
    TELEGRAM_LIMIT,
    TemplateFormat,
    build_view,
    email_subject,
    format_duration_human,
    load_template,
    render_email,
    render_telegram,
    render_view,
)
from hub.model.notify import NotifyKind
from tests.channels.conftest import ACK, NOW, make_alert, make_note

HOSTILE = '<script>alert(1)</script> &amp; *bold* <!channel> <b>x</b> "q"'


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "20 s"),
        (timedelta(minutes=6), "6 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(days=1, hours=4), "1 d 4 h"),
    ],
    ids=["seconds", "minutes", "hours-minutes", "whole-hours", "days"],
)
def test_format_duration_human(delta: timedelta, expected: str) -> None:
    assert format_duration_human(delta) == expected


def test_telegram_firing_layout_matches_messages_md() -> None:
    lines = render_telegram(make_note()).splitlines()
    assert lines[0] == "<b>🔴 FIRING · critical · HighErrorRate</b>"
    assert lines[1] == "prod / model-api — 5xx share 7.3 % (threshold 5 %)"
    assert lines[2] == "since 03:12 UTC (6 min) · 3 alerts in this group"
    text = "\n".join(lines)
    assert "• model-api-7c9f8d-x1 — 5xx share 7.9 %" in text
    assert "• … and 1 more (<a href=" in text
    assert "<pre>03:11:58 ERROR" in text
    assert "queue depth 412 &gt; 256</pre>" in text
    assert (
        '<a href="https://runbooks.example.org/high-error-rate">Runbook: HighErrorRate</a>' in text
    )
    assert ">Prometheus</a>" in text
    assert ">Explore logs</a>" in text
    assert lines[-1] == '<a href="https://hub.example.org/incidents/1042">#1042</a>'


def test_logs_unavailable_line_and_no_prometheus_link_without_generator_url() -> None:
    alert = replace(make_alert("p1", "s"), generator_url="")
    note = make_note(alerts=(alert,), enrichment=Enrichment(logs_unavailable="timeout after 2 s"))
    text = render_telegram(note)
    assert "Logs unavailable (timeout after 2 s)" in text
    assert "<pre>" not in text
    assert "Prometheus" not in text


@pytest.mark.parametrize(
    ("kind", "first_line"),
    [
        (NotifyKind.ACKNOWLEDGED, "<b>🟠 ACKED by @ayse at 03:15 · critical · HighErrorRate</b>"),
        (NotifyKind.RESOLVED, "<b>✅ RESOLVED after 18 min · HighErrorRate</b>"),
        (NotifyKind.FLAPPING, "<b>🔁 FLAPPING · HighErrorRate · prod / model-api</b>"),
    ],
    ids=["ack", "resolved", "flapping"],
)
def test_state_first_lines(kind: NotifyKind, first_line: str) -> None:
    resolved_alerts = tuple(
        replace(a, status="resolved", ends_at=a.starts_at + timedelta(minutes=18))
        for a in make_note().alerts
    )
    note = make_note(
        kind,
        ack=ACK,
        alerts=resolved_alerts if kind == NotifyKind.RESOLVED else make_note().alerts,
    )
    assert render_telegram(note).splitlines()[0] == first_line


def test_reminder_is_one_line() -> None:
    note = make_note(NotifyKind.REMINDER, now=NOW + timedelta(minutes=24))
    text = render_email(note).text.splitlines()[0]
    assert text == (
        "⏰ Still firing after 30 min, not acknowledged · HighErrorRate prod / model-api · #1042"
    )


def test_digest_layout() -> None:
    note = make_note(
        NotifyKind.DIGEST,
        reason_text="41 alerts held back in the last 5 min (rate limit)",
        digest_lines=(
            "30 x ModelLatencyHigh · prod (warning)",
            "11 x DataDrift · staging (warning)",
        ),
        footer_text="Nothing critical was held. /incidents to list them.",
    )
    assert render_email(note).text.splitlines()[:4] == [
        "📦 41 alerts held back in the last 5 min (rate limit)",
        "• 30 x ModelLatencyHigh · prod (warning)",
        "• 11 x DataDrift · staging (warning)",
        "Nothing critical was held. /incidents to list them.",
    ]


def _hostile_note() -> Notification:
    alert = make_alert(HOSTILE, HOSTILE)
    return make_note(
        alerts=(alert,),
        common_labels={"alertname": HOSTILE, "namespace": "prod", "severity": "critical"},
        common_annotations={"summary": HOSTILE},
        enrichment=Enrichment(log_lines=(LogLine(NOW, HOSTILE),), log_summary=HOSTILE),
    )


def test_telegram_escapes_hostile_values() -> None:
    text = render_telegram(_hostile_note())
    assert "<script>" not in text
    assert "<b>x</b>" not in text
    assert "&lt;script&gt;" in text
    assert "&amp;amp;" in text  # a literal "&amp;" label shows as typed
    tags = set(re.findall(r"</?([a-z]+)", text))
    assert tags <= {"b", "a", "pre"}


def test_email_html_escapes_and_text_part_is_verbatim() -> None:
    content = render_email(_hostile_note())
    assert "<script>" not in content.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content.html
    assert HOSTILE in content.text  # plain text: nothing to escape


def test_slack_mrkdwn_makes_broadcasts_inert() -> None:
    template = load_template("slack.mrkdwn.j2", TemplateFormat.MRKDWN)
    text = render_view(template, build_view(_hostile_note()))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "&amp;amp;" in text
    # the only real links are ours
    assert re.findall(r"<([^|>]+)\|", text) == ["https://hub.example.org/incidents/1042"]


def test_template_override_keeps_autoescape(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "mine.j2"
    path.write_text("<i>{{ v.alertname }}</i>", encoding="utf-8")
    note = make_note(common_labels={"alertname": "<b>x</b>"})
    text = render_telegram(note, load_template("x", TemplateFormat.HTML, str(path)))
    assert text == "<i>&lt;b&gt;x&lt;/b&gt;</i>"


def _many_alerts_note(count: int, truncated: int = 0, summary_len: int = 200) -> Notification:
    alerts = tuple(
        make_alert(f"model-api-pod-{i:04d}", "s & <x> " + "y" * summary_len) for i in range(count)
    )
    return make_note(alerts=alerts, truncated_alerts=truncated)


def test_telegram_truncation_fits_counts_honestly_and_keeps_markup_whole() -> None:
    note = _many_alerts_note(60, truncated=40)
    text = render_telegram(note)
    assert utf16_len(text) <= TELEGRAM_LIMIT
    shown = len(re.findall(r"^• model-api-pod-", text, flags=re.MULTILINE))
    more = int(re.search(r"… and (\d+) more", text).group(1))  # type: ignore[union-attr]
    assert shown + more == 100
    assert "100 alerts in this group" in text
    assert text.count("<a ") == text.count("</a>")
    assert text.count("<pre>") == text.count("</pre>")
    assert not re.search(
        r"&[#\w]*(?![#\w;])",
        text.replace("&amp;", "")
        .replace("&lt;", "")
        .replace("&gt;", "")
        .replace("&quot;", "")
        .replace("&#39;", ""),
    )


def test_truncated_alerts_counted_without_length_pressure() -> None:
    text = render_email(make_note(truncated_alerts=7)).text
    assert "• … and 7 more" in text
    assert "9 alerts in this group" in text


def test_huge_single_field_falls_back_to_safe_cut() -> None:
    note = make_note(common_annotations={"summary": "<&>" * 5000})
    note = replace(note, common_labels={**note.common_labels, "alertname": "&" * 9000})
    text = render_telegram(note)
    assert utf16_len(text) <= TELEGRAM_LIMIT
    assert text.endswith("</b>") or text.endswith("…")
    html.unescape(text)  # parses
    assert "&am…" not in text
    assert not re.search(r"&[a-z]*…", text)


@pytest.mark.parametrize("limit", [5, 17, 40, 63, 100], ids=lambda n: f"limit-{n}")
def test_cut_html_never_splits_tags_or_entities(limit: int) -> None:
    source = '<b>A &amp; B</b> <a href="https://x.org/?a=1&amp;b=2">link &lt;here&gt;</a> tail'
    cut = cut_html(source, limit)
    assert utf16_len(cut) <= limit
    assert cut.count("<b>") == cut.count("</b>")
    assert cut.count("<a ") == cut.count("</a>")
    assert not re.search(r"<[^>]*$", cut)
    assert not re.search(r"&[#\w]*…", cut)


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (NotifyKind.FIRING, "🔴 [FIRING:3] HighErrorRate prod/model-api (critical)"),
        (NotifyKind.RESOLVED, "Re: [RESOLVED] HighErrorRate prod/model-api"),
        (NotifyKind.ACKNOWLEDGED, "Re: [ACKED by ayse] HighErrorRate prod/model-api"),
    ],
    ids=["firing", "resolved", "ack"],
)
def test_email_subjects(kind: NotifyKind, subject: str) -> None:
    assert email_subject(make_note(kind, ack=ACK)) == subject


def test_email_subject_has_no_header_injection() -> None:
    note = make_note(common_labels={"alertname": "X\r\nBcc: evil@example.org"})
    assert "\n" not in email_subject(note)
    assert "\r" not in email_subject(note)


def test_email_html_has_alert_table() -> None:
    content = render_email(make_note())
    assert content.html.count("<tr><td>") == 2
    assert "… and 1 more" in content.html
