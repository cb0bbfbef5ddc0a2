"""Bearer-token checks, compared in constant time."""

from __future__ import annotations

import hmac

from aiohttp import web
from pydantic import SecretStr

from hub.api.errors import json_error


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
