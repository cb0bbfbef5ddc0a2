"""The incident pages: the list, one incident (with Ack), stats, and the post-mortem draft.

Handlers are thin: they parse the query exactly as the API does, read through the same store
functions, and hand typed views to the templates (which escape everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict

from hub.api.acks import ack_incident
from hub.api.incidents import QueryError, encode_cursor, parse_incident_query
from hub.api.keys import CLOCK, CONFIG, ENGINE, ENRICHER
from hub.api.postmortem import load_postmortem
from hub.api.query import parse_id
from hub.api.stats import StatsQueryError, load_stats, parse_stats_query
from hub.api.text import NUL, NUL_MESSAGE
from hub.history.context import enrichment_for
from hub.history.timeline import EventKind, deliveries, timeline_lines
from hub.reports.stats import StatsBy, build_series
from hub.store.acks import AckError
from hub.store.history import load_incident_record
from hub.store.queries import IncidentQuery, list_incidents
from hub.store.stats import load_group_times
from hub.web.auth import require_csrf, require_session
from hub.web.charts import bar_chart, line_chart
from hub.web.render import page

FILTERS = ("status", "alertname", "severity", "label", "since", "until")
OPEN = ("firing", "acknowledged")
RECENT = timedelta(days=7)
CHARTED_ALERTS = 6
OPEN_QUERY = IncidentQuery(statuses=OPEN, limit=100)
# What a redirect after a POST may say; only these codes, never text from the URL.
NOTES = {"acknowledged": "Acknowledged: the messages will be edited to say so."}


@dataclass(frozen=True)
class Row:
    """One incident in the list."""

    id: int
    alertname: str
    status: str
    severity: str
    where: str
    summary: str
    started_at: datetime
    resolved_at: datetime | None


def _row(item: dict[str, Any]) -> Row:
    labels, resolved = item["labels"], item["resolved_at"]
    return Row(
        id=item["id"], alertname=item["alertname"], status=item["status"],
        severity=item["severity"] or "none",
        where=" / ".join(p for p in (labels.get("namespace"), labels.get("service")) if p),
        summary=item["annotations"].get("summary", ""), started_at=item["_started"],
        resolved_at=datetime.fromisoformat(resolved) if resolved else None,
    )  # fmt: skip


def _incident_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if (incident_id := parse_id(raw)) is None:
        raise web.HTTPNotFound(text=f"{raw!r} is not an incident id")
    return incident_id


def _main_query(request: web.Request, now: datetime) -> tuple[IncidentQuery, str, bool]:
    """The list's query, an error to show (empty if none), and whether filters were given."""
    params = request.query
    filtered = any(k in params and params.getone(k) for k in FILTERS)
    effective: MultiDict[str] = MultiDict((k, v) for k, v in params.items() if v)
    if not filtered:
        effective.extend({"status": "resolved", "since": f"{RECENT.days}d"})
    try:
        return parse_incident_query(effective, now), "", filtered
    except QueryError as exc:
        return IncidentQuery(statuses=OPEN, limit=50), str(exc), filtered


async def incidents_page(request: web.Request) -> web.Response:
    session = require_session(request)
    app = request.app
    query, error, filtered = _main_query(request, app[CLOCK]())
    async with app[ENGINE].connect() as conn:
        items, position = await list_incidents(conn, query)
        open_items = (
            [] if filtered else (await list_incidents(conn, IncidentQuery(OPEN, limit=100)))[0]
        )
    older = None
    if position is not None:
        keep = [(k, v) for k, v in request.query.items() if k != "cursor" and v]
        older = "/incidents?" + urlencode([*keep, ("cursor", encode_cursor(position))])
    return page(
        request, "incidents.html.j2",
        {"session": session, "rows": [_row(i) for i in items], "filtered": filtered,
         "open_rows": [_row(i) for i in open_items], "error": error, "older": older,
         "q": request.query, "now": app[CLOCK]()},
        status=400 if error else 200,
    )  # fmt: skip


async def incident_page(request: web.Request, *, note: str = "", status: int = 200) -> web.Response:
    session = require_session(request)
    app, iid = request.app, _incident_id(request)
    async with app[ENGINE].connect() as conn:
        record = await load_incident_record(conn, iid)
    if record is None:
        raise web.HTTPNotFound(text=f"incident {iid} not found")
    lines = timeline_lines(record)
    return page(
        request, "incident.html.j2",
        {"session": session, "r": record, "lines": lines, "sent": deliveries(record.timeline),
         "actions": [line for line in lines if line.kind is EventKind.ACTION],
         "enrichment": await enrichment_for(app.get(ENRICHER), record),
         "can_ack": record.is_open and record.acked_by is None,
         "note": note or NOTES.get(request.query.get("note", ""), ""), "now": app[CLOCK]()},
        status=status,
    )  # fmt: skip


async def ack_submit(request: web.Request) -> web.Response:
    session = require_session(request)
    form = await require_csrf(request, session)
    iid = _incident_id(request)
    comment = str(form.get("comment", ""))[:2000]
    if NUL in comment:  # the store cannot hold it; the API answers 422 alike
        return await incident_page(request, note=f"comment: {NUL_MESSAGE}", status=422)
    try:
        await ack_incident(request.app, iid, session.name, comment)
    except AckError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=str(exc)) from None
        return await incident_page(request, note=str(exc), status=exc.status)
    raise web.HTTPSeeOther(f"/incidents/{iid}?note=acknowledged")


async def stats_page(request: web.Request) -> web.Response:
    session = require_session(request)
    app = request.app
    since_text = request.query.get("since") or "30d"
    params = MultiDict({"since": since_text, "by": StatsBy.ALERTNAME.value})
    try:
        _, since, until = parse_stats_query(params, app[CLOCK]())
    except StatsQueryError as exc:
        return page(
            request, "stats.html.j2", _empty_stats(session, since_text, str(exc)), status=400
        )
    bucket = timedelta(days=1) if until - since <= timedelta(days=62) else timedelta(days=7)
    async with app[ENGINE].connect() as conn:
        stats = await load_stats(conn, StatsBy.ALERTNAME, since, until)
        daily = await load_group_times(conn, StatsBy.ALERTNAME, since, until, bucket)
    series = build_series(daily, since, until, bucket)
    charted = [i.key for i in stats.items[:CHARTED_ALERTS]]
    return page(
        request, "stats.html.j2",
        {"session": session, "since": since_text, "error": "", "stats": stats,
         "since_at": since, "until_at": until,
         "charts": [line_chart(key, series[key]) for key in charted],
         "bars": bar_chart([(i.key, i.messages, i.suppressed) for i in stats.items]),
         "bucket": "day" if bucket.days == 1 else "week"},
    )  # fmt: skip


def _empty_stats(session: Any, since: str, error: str) -> dict[str, Any]:
    return {"session": session, "since": since, "error": error, "stats": None, "charts": [],
            "bars": bar_chart([]), "bucket": "day"}  # fmt: skip


async def postmortem_page(request: web.Request) -> web.Response:
    session = require_session(request)
    app, iid = request.app, _incident_id(request)
    text = await load_postmortem(
        app[ENGINE], iid, enricher=app.get(ENRICHER),
        external_url=app[CONFIG].external_url, now=app[CLOCK](),
    )  # fmt: skip
    if text is None:
        raise web.HTTPNotFound(text=f"incident {iid} not found")
    return page(request, "postmortem.html.j2", {"session": session, "id": iid, "markdown": text})


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/incidents")
