"""The sign-in and sign-out pages, and the check every other page makes first."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from hub.api.text import NUL, NUL_MESSAGE
from hub.web.render import SECURITY_HEADERS, page
from hub.web.session import MAX_NAME, Session, SessionKeeper, csrf_ok, login_url, safe_next

log = logging.getLogger(__name__)
SESSIONS = web.AppKey("sessions", SessionKeeper)


def require_session(request: web.Request) -> Session:
    """The signed-in session, or a redirect to sign in that comes back here afterwards."""
    session = request.app[SESSIONS].read(request)
    if session is None:
        raise web.HTTPSeeOther(login_url(request.path_qs), headers=SECURITY_HEADERS)
    return session


async def require_csrf(request: web.Request, session: Session) -> Mapping[str, object]:
    """The POSTed form, if it carries this session's CSRF token; else 403."""
    form = await request.post()
    token = form.get("csrf")
    if not csrf_ok(session, token if isinstance(token, str) else None):
        raise web.HTTPForbidden(text="missing or stale form token: reload the page and retry")
    return form


def _login_page(
    request: web.Request, next_path: str, error: str = "", name: str = "", status: int = 200
) -> web.Response:
    keeper = request.app[SESSIONS]
    csrf, cookie = keeper.login_csrf(request)
    response = page(
        request, "login.html.j2",
        {"next": next_path, "error": error, "name": name, "csrf": csrf,
         "token_required": keeper.token_required},
        status=status,
    )  # fmt: skip
    if cookie is not None:
        keeper.set_login_cookie(response, cookie)
    return response


async def login_form(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"))
    if request.app[SESSIONS].read(request) is not None:
        raise web.HTTPSeeOther(next_path)
    return _login_page(request, next_path)


async def login_submit(request: web.Request) -> web.Response:
    keeper = request.app[SESSIONS]
    form = await request.post()
    next_path = safe_next(str(form.get("next", "")))
    name = " ".join(str(form.get("name", "")).split())[:MAX_NAME]
    if not keeper.login_csrf_ok(request, str(form.get("csrf", ""))):
        return _login_page(request, next_path, "The form expired; please sign in again.", name, 403)
    if not name:
        return _login_page(request, next_path, "Enter your name: acks show it.", name, 400)
    if NUL in name:  # it becomes acked_by, which the store cannot hold with NUL
        return _login_page(request, next_path, f"name: {NUL_MESSAGE}", "", 422)
    if not keeper.token_matches(str(form.get("token", ""))):
        log.warning("web_sign_in_refused", extra={"user": name})
        return _login_page(request, next_path, "That token is not the API token.", name, 401)
    response = web.HTTPSeeOther(next_path, headers=SECURITY_HEADERS)
    keeper.start(response, name)
    log.info("web_sign_in", extra={"user": name})
    raise response


async def logout(request: web.Request) -> web.Response:
    session = require_session(request)
    await require_csrf(request, session)
    response = web.HTTPSeeOther("/login", headers=SECURITY_HEADERS)
    request.app[SESSIONS].end(response)
    raise response
