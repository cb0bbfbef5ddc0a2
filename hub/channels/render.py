"""Rendering a notification into each channel's format from Jinja2 templates.

A pure ``build_view`` decides what the message says; templates only lay it out.
Templates escape every value for their format by default (HTML, Slack mrkdwn).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from hub.channels.fit import cut_html, cut_plain, fit_first
from hub.channels.model import AlertView, Notification
from hub.channels.wording import (
    clock_time,
    escalation_line,
    format_duration_human,
    group_start,
    severity_marker,
    status_line,
    summary_text,
    title,
    zone_label,
)
from hub.model.notify import NotifyKind

TELEGRAM_LIMIT = 4096
EMAIL = "email"
MAX_LIST_ITEMS = 20
_FIELD_CLIP = 300
_TEMPLATE_DIR = Path(__file__).parent / "templates"


class TemplateFormat(StrEnum):
    """Output format of a template; it decides the autoescaping."""

    HTML = "html"
    MRKDWN = "mrkdwn"
    PLAIN = "plain"


class MrkdwnSafe(str):
    """Text already in Slack mrkdwn; the mrkdwn autoescape leaves it alone."""

    __slots__ = ()


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control (so ``<!channel>`` is inert)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class AlertLine:
    """One row of the alert list."""

    name: str
    summary: str
    resolved: bool = False


@dataclass(frozen=True)
class Link:
    """A link shown as a word, never as a raw URL."""

    label: str
    url: str


@dataclass(frozen=True)
class MessageView:
    """What a message says, format-free; the templates' only input (``v``)."""

    kind: str
    title: str
    escalation_line: str  # "" unless the message is an escalation
    first_line: str  # the escalation line when there is one, else the title
    alertname: str
    severity: str
    namespace: str
    service: str
    where: str  # "prod / model-api"
    where_compact: str  # "prod/model-api" (subjects)
    severity_marker: str
    summary: str
    headline: str  # where — summary
    since_line: str
    status_line: str
    since: str
    items: tuple[AlertLine, ...]
    more: int
    total: int
    logs_title: str
    log_lines: tuple[str, ...]
    logs_unavailable: str
    links: tuple[Link, ...]
    incident_id: int
    incident_url: str
    group_url: str
    reason_text: str
    digest_lines: tuple[str, ...]
    footer_text: str
    action_text: str  # remediation: what is proposed or done, one line each, joined
    history: str = ""

    @property
    def log_text(self) -> str:
        """The log excerpt as one block."""
        return "\n".join(self.log_lines)


def _clip(text: str, size: int = _FIELD_CLIP) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _label(note: Notification, *names: str) -> str:
    first = note.alerts[0] if note.alerts else None
    for name in names:
        for labels in (note.common_labels, note.group_labels, first.labels if first else {}):
            if labels.get(name):
                return labels[name]
    return ""


def _alert_line(alert: AlertView) -> AlertLine:
    labels = alert.labels
    name = labels.get("pod") or labels.get("instance") or labels.get("alertname")
    summary = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    return AlertLine(
        name=_clip(name or alert.fingerprint[:12], 120),
        summary=_clip(summary),
        resolved=alert.status == "resolved",
    )


def _links(note: Notification) -> tuple[Link, ...]:
    enr = note.enrichment
    links: list[Link] = []
    runbook = enr.runbook_url or note.common_annotations.get("runbook_url")
    if runbook:
        name = enr.runbook_name
        links.append(Link(f"Runbook: {name}" if name else "Runbook", runbook))
    generator = next((a.generator_url for a in note.alerts if a.generator_url), "")
    if generator:
        links.append(Link("Prometheus", generator))
    if enr.explore_url:
        links.append(Link("Explore logs", enr.explore_url))
    links.extend(Link(name, url) for name, url in enr.dashboards)
    return tuple(links)


def _since(note: Notification, total: int) -> tuple[str, str]:
    """``03:12 UTC`` and ``since 03:12 UTC (6 min) · 3 alerts in this group``."""
    start = group_start(note)
    since = f"{clock_time(start, note.tz)} {zone_label(start, note.tz)}"
    noun = "alert" if total == 1 else "alerts"
    age = format_duration_human(note.now - start)
    resolved = _resolved_part(note, total)
    return since, f"since {since} ({age}) · {total} {noun} in this group{resolved}"


def _resolved_part(note: Notification, total: int) -> str:
    """`` · 5 of 10 resolved`` while part of the group has resolved and the rest fires."""
    resolved = sum(1 for a in note.alerts if a.status == "resolved")
    if not resolved or note.kind is NotifyKind.RESOLVED:
        return ""
    return f" · {resolved} of {total} resolved"


def _log_lines(note: Notification) -> tuple[str, ...]:
    """Oldest first, each with its ``HH:MM:SS`` in the configured zone."""
    return tuple(
        f"{clock_time(line.at, note.tz, seconds=True)} {line.text}"
        for line in note.enrichment.log_lines
    )


def build_view(
    note: Notification, *, max_items: int = MAX_LIST_ITEMS, channel: str | None = None
) -> MessageView:
    """Decide what the message says: the pure part of rendering.

    ``channel`` is the channel kind the view is for; it picks how a person is named.
    """
    alertname = _label(note, "alertname")
    severity = _label(note, "severity")
    namespace = _label(note, "namespace")
    service = _label(note, "service", "deployment", "job")
    where = " / ".join(p for p in (namespace, service) if p)
    summary = _clip(summary_text(note))
    total = len(note.alerts) + note.truncated_alerts
    shown = tuple(_alert_line(a) for a in note.alerts[: max(0, max_items)])
    enr = note.enrichment
    group = urlencode([("label", f"{k}={v}") for k, v in sorted(note.group_labels.items())])
    since, since_line = _since(note, total)
    first = title(note, alertname, severity, where, channel)
    escalation = escalation_line(note, severity)
    return MessageView(
        kind=note.kind.value,
        title=first,
        escalation_line=escalation,
        first_line=escalation or first,
        alertname=alertname,
        severity=severity,
        namespace=namespace,
        service=service,
        where=where,
        where_compact=where.replace(" / ", "/"),
        severity_marker=severity_marker(severity),
        summary=summary,
        headline=" — ".join(p for p in (where, summary) if p),
        since_line=since_line,
        status_line=status_line(note, channel),
        since=since,
        items=shown,
        more=total - len(shown),
        total=total,
        logs_title=(f"Logs · {enr.log_summary}" if enr.log_summary else "Logs")
        if enr.log_lines
        else "",
        log_lines=_log_lines(note),
        logs_unavailable=enr.logs_unavailable or "",
        links=_links(note),
        incident_id=note.incident_id,
        incident_url=f"{note.external_url}/incidents/{note.incident_id}",
        group_url=f"{note.external_url}/incidents?{group}",
        reason_text=note.reason_text or "",
        digest_lines=note.digest_lines,
        footer_text=note.footer_text or "",
        history=note.history or "",
        action_text=" · ".join(note.action_lines),
    )


def _finalize_plain(value: Any) -> Any:
    return "" if value is None else value


def _finalize_mrkdwn(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, MrkdwnSafe):
        return value
    return escape_mrkdwn(str(value))


def _environment(fmt: TemplateFormat, directory: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=fmt == TemplateFormat.HTML,  # noqa: S701 (mrkdwn escapes in finalize)
        finalize=_finalize_mrkdwn if fmt == TemplateFormat.MRKDWN else _finalize_plain,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def load_template(name: str, fmt: TemplateFormat, override: str | None = None) -> jinja2.Template:
    """Load a shipped template, or the file at ``override`` with the same autoescaping.

    Reads from disk: call it when building a channel, not per message.
    """
    if override:
        path = Path(override)
        return _environment(fmt, path.parent).get_template(path.name)
    return _environment(fmt, _TEMPLATE_DIR).get_template(name)


def render_view(template: jinja2.Template, view: MessageView, **extra: Any) -> str:
    """Render one view; collapse the blank runs conditional blocks leave behind."""
    text = template.render(v=view, **extra)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def render_fitted(
    template: jinja2.Template,
    note: Notification,
    limit: int,
    *,
    html: bool,
    max_items: int = MAX_LIST_ITEMS,
    channel: str | None = None,
) -> str:
    """Render within ``limit``: drop list items, then the log excerpt, then cut safely."""
    view = build_view(note, max_items=max_items, channel=channel)

    def candidates() -> Any:
        for count in range(len(view.items), -1, -1):
            shown = view.items[:count]
            yield render_view(template, replace(view, items=shown, more=view.total - len(shown)))
        bare = replace(view, items=(), more=view.total, log_lines=(), logs_title="")
        yield render_view(template, bare)

    return fit_first(candidates(), limit, cut_html if html else cut_plain)


def render_telegram(note: Notification, template: jinja2.Template | None = None) -> str:
    """Telegram HTML, at most 4096 characters, cut at list-item boundaries when possible."""
    tpl = template or load_template("telegram.html.j2", TemplateFormat.HTML)
    return render_fitted(tpl, note, TELEGRAM_LIMIT, html=True, channel="telegram")


@dataclass(frozen=True)
class EmailContent:
    """The three parts of an alert email."""

    subject: str
    text: str
    html: str


def email_subject(note: Notification) -> str:
    """``🔴 [FIRING:3] HighErrorRate prod/model-api (critical)``; updates are ``Re:`` replies."""
    view = build_view(note, max_items=0, channel=EMAIL)
    what = " ".join(p for p in (view.alertname, view.where_compact) if p)
    match note.kind:
        case NotifyKind.FIRING:
            sev = f" ({view.severity})" if view.severity else ""
            state = "[ESCALATED] [FIRING" if note.escalation else "[FIRING"
            subject = f"{view.severity_marker} {state}:{view.total}] {what}{sev}"
        case NotifyKind.RESOLVED:
            subject = f"Re: [RESOLVED] {what}"
        case NotifyKind.ACKNOWLEDGED:
            name = note.ack.shown_as(EMAIL) if note.ack else "someone"
            subject = f"Re: [ACKED by {name}] {what}"
        case NotifyKind.REMINDER:
            subject = f"Re: [STILL FIRING] {what}"
        case NotifyKind.FLAPPING:
            subject = f"[FLAPPING] {what}"
        case _:
            subject = f"[DIGEST] {note.reason_text or 'alerts held back'}"
    return " ".join(subject.split())  # no CR/LF: header injection


def render_email(
    note: Notification,
    *,
    html_template: jinja2.Template | None = None,
    text_template: jinja2.Template | None = None,
) -> EmailContent:
    """Subject, plain-text part and HTML part (alerts as a table)."""
    view = build_view(note, max_items=200, channel=EMAIL)
    html_tpl = html_template or load_template("email.html.j2", TemplateFormat.HTML)
    text_tpl = text_template or load_template("email.txt.j2", TemplateFormat.PLAIN)
    return EmailContent(
        subject=email_subject(note),
        text=render_view(text_tpl, view),
        html=html_tpl.render(v=view),
    )
