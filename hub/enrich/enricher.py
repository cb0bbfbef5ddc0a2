"""Enrich one alert group's message with its runbook, a log excerpt and an Explore link.

``enrich`` never raises and never waits longer than Loki's timeout: a message goes out on
time with "logs unavailable (reason)" rather than late or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hub.channels.model import LogLine
from hub.config.enrich import GrafanaConfig, LokiConfig
from hub.enrich.logql import LogQLTemplateError, render_logql
from hub.enrich.loki import COUNT_LIMIT, EnrichmentError, LogExcerpt, LokiClient, explore_url
from hub.enrich.runbooks import DashboardLink, Runbook, RunbookIndex
from hub.routing.matchers import parse_matchers

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrichmentResult:
    """What a message shows beyond the alerts: runbook, logs (or why not), links."""

    runbook_name: str | None = None
    runbook_url: str | None = None
    log_lines: tuple[LogLine, ...] = ()  # oldest first
    log_summary: str | None = None
    logs_unavailable: str | None = None
    explore_url: str | None = None
    dashboards: tuple[DashboardLink, ...] = ()


def format_window(value: timedelta) -> str:
    """``5 min``, ``90 s``, ``1 h``: a window as a responder reads it."""
    seconds = round(value.total_seconds())
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def log_summary(excerpt: LogExcerpt, window_before: timedelta) -> str:
    """``Loki · last 5 min · 3 of 42 matching lines``."""
    head = f"Loki · last {format_window(window_before)}"
    total = excerpt.total_matching
    if total == 0:
        return f"{head} · no matching lines"
    shown = len(excerpt.lines)
    total_text = f"{total}+" if total >= COUNT_LIMIT else str(total)
    noun = "line" if total == 1 else "lines"
    return f"{head} · {shown} of {total_text} matching {noun}"


def select_query_template(
    labels: Mapping[str, str], runbook: Runbook | None, config: LokiConfig
) -> str | None:
    """The runbook's ``loki_query`` first, else the first config default whose matchers match."""
    if runbook is not None and runbook.front.loki_query:
        return runbook.front.loki_query
    for entry in config.queries:
        matchers = [m for text in entry.matchers for m in parse_matchers(text)]
        if all(m.matches(labels) for m in matchers):
            return entry.query
    return None


async def enrich(
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    starts_at: datetime,
    *,
    loki: LokiClient | None,
    runbooks: RunbookIndex,
    grafana: GrafanaConfig | None = None,
    external_url: str | None = None,
    fetch_logs: bool = True,
) -> EnrichmentResult:
    """Everything a message adds to the alerts; failures become ``logs_unavailable``.

    With ``fetch_logs`` off (an edit of a message already sent) the links are built but
    Loki is not asked again.
    """
    runbook: Runbook | None = None
    try:
        runbook = runbooks.find(labels)
    except Exception:  # a bad matcher must not stop the message
        _log.exception("runbook lookup failed")
    base = EnrichmentResult(
        runbook_name=runbook.name if runbook else None,
        runbook_url=_runbook_url(external_url, runbook),
        dashboards=tuple(runbook.front.dashboards) if runbook else (),
    )
    if loki is None:
        return base
    try:
        return await _with_logs(
            base,
            labels=labels,
            annotations=annotations,
            starts_at=starts_at,
            loki=loki,
            runbook=runbook,
            grafana=grafana,
            fetch_logs=fetch_logs,
        )
    except Exception:
        _log.exception("log enrichment failed")
        return replace(base, logs_unavailable="internal error")


def _runbook_url(external_url: str | None, runbook: Runbook | None) -> str | None:
    if runbook is None:
        return None
    return f"{(external_url or '').rstrip('/')}/runbooks/{runbook.name}"


async def _with_logs(
    base: EnrichmentResult,
    *,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    starts_at: datetime,
    loki: LokiClient,
    runbook: Runbook | None,
    grafana: GrafanaConfig | None,
    fetch_logs: bool,
) -> EnrichmentResult:
    config = loki.config
    template = select_query_template(labels, runbook, config)
    if template is None:
        return base
    try:
        query = render_logql(template, labels, annotations)
    except LogQLTemplateError as exc:
        _log.warning("LogQL template failed: %s", exc)
        return replace(base, logs_unavailable="query template error")
    start, end = starts_at - config.window_before, starts_at + config.window_after
    link = explore_url(grafana, query, start, end) if grafana else None
    if not fetch_logs:
        return replace(base, explore_url=link)
    try:
        excerpt = await loki.query_range(query, start, end)
    except EnrichmentError as exc:
        return replace(base, logs_unavailable=exc.reason, explore_url=link)
    return replace(
        base,
        log_lines=excerpt.lines,
        log_summary=log_summary(excerpt, config.window_before),
        explore_url=link,
    )
