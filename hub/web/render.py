"""Rendering pages: one autoescaping Jinja2 environment, filters for times, safe headers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from hub.channels.model import LogLine
from hub.channels.render import format_duration_human

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
# No script, styles only from the hub, forms post only here, never framed.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def utc(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) + " UTC" if value else ""


def duration(start: datetime, end: datetime) -> str:
    return format_duration_human(end - start)


def seconds(value: float | None) -> str:
    return "-" if value is None else format_duration_human(timedelta(seconds=value))


def log_text(lines: Iterable[LogLine]) -> str:
    """A log excerpt as the messages show it: ``HH:MM:SS`` (UTC on the pages), then the line."""
    return "\n".join(f"{line.at.astimezone(UTC):%H:%M:%S} {line.text}" for line in lines)


def is_web_url(value: object) -> bool:
    """Only http(s) values become links; anything else is shown as text."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(utc=utc, duration=duration, seconds=seconds, log_text=log_text)
    env.tests["web_url"] = is_web_url
    return env


TEMPLATES = web.AppKey("templates", jinja2.Environment)


def page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A rendered page with the security headers every page carries."""
    html = request.app[TEMPLATES].get_template(template).render(request=request, **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers.update(SECURITY_HEADERS)
    return response
