"""A post-mortem draft in Markdown, ready to paste into a wiki; the team fills in the why.

Pure: every value from an alert is escaped for Markdown (a label cannot open a link, a table
cell or raw HTML), log lines sit in a fence longer than any backtick run in them, and only
http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from hub.channels.model import Enrichment
from hub.channels.render import format_duration_human
from hub.history.model import IncidentRecord
from hub.history.timeline import timeline_lines

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^([#>+=-])")  # would start a heading, quote or list
FILL_IN = "_To be filled in._"
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"  # parentheses, spaces and angle brackets get encoded


@dataclass(frozen=True)
class PostmortemInput:
    """The incident and what the hub adds to it, as of ``now``."""

    record: IncidentRecord
    incident_url: str
    enrichment: Enrichment
    now: datetime


def md_text(value: object) -> str:
    """Inline Markdown text: one line, every character that could mean markup escaped."""
    flat = " ".join(str(value).split())
    return _LINE_START.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", flat))


def md_link(label: str, url: str) -> str:
    """``[label](url)`` for http(s) URLs; any other scheme is shown as text, not linked."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return f"{md_text(label)} ({md_text(url)})"
    return f"[{md_text(label)}]({quote(url, safe=_URL_SAFE)})"


def fenced(lines: Iterable[str], info: str = "text") -> str:
    """A fenced code block that no backtick run inside can close."""
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _where(r: IncidentRecord) -> str:
    return " / ".join(p for p in (r.namespace, r.service) if p)


def _summary(p: PostmortemInput) -> list[str]:
    r = p.record
    sev = f" ({md_text(r.severity)})" if r.severity else ""
    where = f" on {md_text(_where(r))}" if _where(r) else ""
    text = f"**{md_text(r.alertname)}**{sev} fired{where}"
    if summary := r.annotations.get("summary"):
        text += f": {md_text(summary)}"
    lines = [text + "."]
    if r.acked_by and r.acked_at:
        took = format_duration_human(r.acked_at - r.started_at)
        lines.append(f"Acknowledged by {md_text(r.acked_by)} after {took}.")
    if r.resolved_at:
        lines.append(f"Resolved after {format_duration_human(r.resolved_at - r.started_at)}.")
    else:
        lines.append(f"Still open at {utc(p.now)}.")
    out = [" ".join(lines)]
    if description := r.annotations.get("description"):
        out += ["", f"> {md_text(description)}"]
    return out


def _impact(p: PostmortemInput) -> list[str]:
    r = p.record
    end = r.resolved_at or p.now
    services = ", ".join(md_text(s) for s in (r.service, r.namespace) if s) or "-"
    rows = [
        ("Start", utc(r.started_at)),
        ("End", utc(r.resolved_at) if r.resolved_at else "still firing"),
        ("Duration", format_duration_human(end - r.started_at)),
        ("Services", services),
        ("Severity", md_text(r.severity or "-")),
        ("Repeats received", str(r.duplicate_count)),
    ]
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]


def _detection(p: PostmortemInput) -> list[str]:
    r = p.record
    first = f"- First alert: {utc(r.started_at)}, `{r.alertname.replace('`', '')}`"
    if r.generator_url:
        first += f" ({md_link('source', r.generator_url)})"
    sent = next((e for e in r.timeline if e.type == "notified"), None)
    if sent is None:
        message = "- First message: none sent"
    else:
        channel = md_text(sent.detail.get("channel", ""))
        after = format_duration_human(sent.at - r.started_at)
        message = f"- First message: {utc(sent.at)} to {channel}, {after} after the start"
    if r.acked_by and r.acked_at:
        took = format_duration_human(r.acked_at - r.started_at)
        ack = f"- Time to acknowledge: {took}, by {md_text(r.acked_by)} at {utc(r.acked_at)}"
    else:
        ack = "- Time to acknowledge: not acknowledged"
    return [first, message, ack]


def _timeline(r: IncidentRecord) -> list[str]:
    rows = [
        f"| {line.at.strftime('%Y-%m-%d %H:%M:%S')} | {line.kind.value} | {md_text(line.what)}"
        f" | {md_text(line.detail) or ' '} |"
        for line in timeline_lines(r)
    ]
    return ["| Time (UTC) | Kind | Event | Detail |", "| --- | --- | --- | --- |", *rows]


def _logs(e: Enrichment) -> list[str]:
    if e.log_lines:
        title = md_text(e.log_summary) if e.log_summary else "Log excerpt (UTC)"
        return [
            title,
            "",
            fenced(f"{line.at.astimezone(UTC):%H:%M:%S} {line.text}" for line in e.log_lines),
        ]
    if e.logs_unavailable:
        return [f"Logs unavailable ({md_text(e.logs_unavailable)})."]
    return ["No log excerpt for this alert."]


def _runbook(r: IncidentRecord, e: Enrichment) -> list[str]:
    lines = []
    if e.runbook_url:
        lines.append(f"- Runbook: {md_link(e.runbook_name or r.alertname, e.runbook_url)}")
    if e.explore_url:
        lines.append(f"- Logs: {md_link('Explore in Grafana', e.explore_url)}")
    lines.extend(f"- {md_link(name, url)}" for name, url in e.dashboards)
    return lines or ["No runbook matched this alert."]


def build_postmortem(p: PostmortemInput) -> str:
    """The whole draft, sections in the order a post-mortem review reads them."""
    r = p.record
    where = f" — {md_text(_where(r))}" if _where(r) else ""
    labels = [f"{k}={v}" for k, v in sorted(r.labels.items())]
    sections = [
        [f"# Post-mortem: {md_text(r.alertname)}{where} (#{r.id})", ""],
        [f"Draft from {md_link(f'incident #{r.id}', p.incident_url)}, made {utc(p.now)}."],
        ["## Summary", "", *_summary(p)],
        ["## Impact", "", *_impact(p)],
        ["## Detection", "", *_detection(p)],
        ["## Timeline", "", *_timeline(r)],
        ["## Logs", "", *_logs(p.enrichment)],
        ["## Runbook and links", "", *_runbook(r, p.enrichment)],
        ["## Labels", "", fenced(labels)],
        ["## Root cause", "", FILL_IN],
        ["## What went well", "", FILL_IN],
        ["## What went wrong", "", FILL_IN],
        ["## Action items", "", "| Action | Owner | Due |", "| --- | --- | --- |", "| | | |"],
    ]
    return "\n\n".join("\n".join(s).strip("\n") for s in sections) + "\n"
