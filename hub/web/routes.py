"""Every page route in one place; ``create_app`` calls ``add_web_routes`` once."""

from __future__ import annotations

from aiohttp import web

from hub.api.keys import CONFIG
from hub.web import auth, pages
from hub.web.render import STATIC_DIR, TEMPLATES, build_environment
from hub.web.session import SessionKeeper


def add_web_routes(app: web.Application) -> None:
    """Pages need a session; ``/login`` and ``/static/`` (the stylesheet) do not."""
    config = app[CONFIG]
    app[TEMPLATES] = build_environment()
    app[auth.SESSIONS] = SessionKeeper.build(config.api.token, config.external_url)
    app.router.add_get("/", pages.index)
    app.router.add_get("/login", auth.login_form)
    app.router.add_post("/login", auth.login_submit)
    app.router.add_post("/logout", auth.logout)
    app.router.add_get("/incidents", pages.incidents_page)
    app.router.add_get("/incidents/{id}", pages.incident_page)
    app.router.add_post("/incidents/{id}/ack", pages.ack_submit)
    app.router.add_get("/incidents/{id}/postmortem", pages.postmortem_page)
    app.router.add_get("/stats", pages.stats_page)
    app.router.add_static("/static/", STATIC_DIR, name="static")
