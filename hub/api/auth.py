"""Bearer-token auth as one middleware: the matched route's path picks the token, if any.

The table of rules lives beside ``create_app``; every route must fall under a rule, which
``AuthRules.check_covered`` enforces when the app is built, so a new route cannot go out
unguarded by accident.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import SecretStr

from hub.api.errors import json_error
from hub.api.keys import CONFIG
from hub.config.models import HubConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TokenOf = Callable[[HubConfig], SecretStr | None]


def intake_token(config: HubConfig) -> SecretStr | None:
    """The token Alertmanager's ``webhook_configs`` sends."""
    return config.intake.token


def api_token(config: HubConfig) -> SecretStr | None:
    """The token of people and scripts using the REST API."""
    return config.api.token


PUBLIC: TokenOf | None = None  # no bearer token: probes, metrics, runbook pages


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` lies below ``prefix`` by whole segments; ``/`` covers only itself."""
    return prefix != "/" and path.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class AuthRules:
    """Path prefix (whole segments) → which token guards it; the longest prefix wins."""

    by_prefix: Mapping[str, TokenOf | None]

    def token_for(self, path: str) -> TokenOf | None:
        """The rule for a route's path (its canonical form, e.g. ``/api/v1/incidents/{id}``)."""
        matching = [p for p in self.by_prefix if path == p or _under(path, p)]
        if not matching:
            raise LookupError(f"route {path} has no auth rule")
        return self.by_prefix[max(matching, key=len)]

    def check_covered(self, router: web.UrlDispatcher) -> None:
        """Refuse to build an app with a route no rule speaks for."""
        for resource in router.resources():
            self.token_for(resource.canonical)

    def middleware(self) -> Middleware:
        """Answer 401 before the handler runs (so before any body is read) when a token is due."""

        @web.middleware
        async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
            resource = request.match_info.route.resource
            if resource is None:  # 404/405: nothing to guard
                return await handler(request)
            token_of = self.token_for(resource.canonical)
            if token_of is not None:
                problem = bearer_problem(request, token_of(request.app[CONFIG]))
                if problem is not None:
                    return problem
            return await handler(request)

        return authenticate


def bearer_problem(request: web.Request, token: SecretStr | None) -> web.Response | None:
    """Return a 401 response unless the request carries the token (None: no token configured)."""
    if token is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
        return None
    reason = "missing bearer token" if not header else "invalid bearer token"
    challenge = 'Bearer realm="alerthub", error="invalid_token"'
    return json_error(401, reason, headers={"WWW-Authenticate": challenge})
