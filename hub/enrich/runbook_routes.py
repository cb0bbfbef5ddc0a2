"""HTTP pages for runbooks: ``GET /runbooks/`` lists them, ``GET /runbooks/{name}`` shows one."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from hub.enrich.runbooks import Runbook, RunbookIndex, RunbookIndexHolder, render_runbook_html

IndexKey = web.AppKey[RunbookIndex] | web.AppKey[RunbookIndexHolder]
"""A fixed index (tests, tools) or the live one the hub reloads on SIGHUP."""

_LIST_PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Runbooks</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem}
td,th{padding:.25rem .5rem;text-align:left;vertical-align:top}</style></head><body>
<h1>Runbooks</h1>
{%- if runbooks %}
<table><tr><th>Runbook</th><th>Severity</th><th>Owner</th><th>Summary</th></tr>
{%- for r in runbooks %}
<tr><td><a href="{{ r.name }}">{{ r.name }}</a></td><td>{{ r.front.severity }}</td>
<td>{{ r.front.owner }}</td><td>{{ r.front.summary }}</td></tr>
{%- endfor %}
</table>
{%- else %}
<p>No runbooks are loaded.</p>
{%- endif %}
</body></html>
"""
)


def _summary(runbook: Runbook) -> dict[str, object]:
    front = runbook.front
    return {
        "name": runbook.name,
        "url": f"/runbooks/{runbook.name}",
        "alert": front.alert,
        "matchers": list(front.matchers),
        "severity": front.severity,
        "owner": front.owner,
        "summary": front.summary,
    }


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


@dataclass(frozen=True)
class _RunbookHandlers:
    index_key: IndexKey

    def _index(self, request: web.Request) -> RunbookIndex:
        state = request.app[self.index_key]
        return state.current if isinstance(state, RunbookIndexHolder) else state

    async def list_runbooks(self, request: web.Request) -> web.StreamResponse:
        index = self._index(request)
        runbooks = sorted(index.runbooks.values(), key=lambda r: r.name)
        if _wants_json(request):
            return web.json_response({"runbooks": [_summary(r) for r in runbooks]})
        return web.Response(text=_LIST_PAGE.render(runbooks=runbooks), content_type="text/html")

    async def show_runbook(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        runbook = self._index(request).get(name)
        if runbook is None:
            raise web.HTTPNotFound(text=f"runbook {name!r} not found\n")
        fmt = request.query.get("format", "html")
        if fmt == "md":
            return web.Response(text=runbook.source, content_type="text/markdown", charset="utf-8")
        if fmt != "html":
            raise web.HTTPBadRequest(text=f"unknown format {fmt!r}; use html or md\n")
        return web.Response(text=render_runbook_html(runbook), content_type="text/html")

    async def redirect_to_list(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect("/runbooks/")


def add_runbook_routes(app: web.Application, index_key: IndexKey) -> None:
    """Register the runbook pages; the index is read from ``app[index_key]`` on each request."""
    handlers = _RunbookHandlers(index_key)
    app.router.add_get("/runbooks", handlers.redirect_to_list)
    app.router.add_get("/runbooks/", handlers.list_runbooks)
    app.router.add_get("/runbooks/{name}", handlers.show_runbook)
