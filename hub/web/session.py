"""Sign-in for the pages: a signed, expiring session cookie and a CSRF token per session.

itsdangerous (Pallets) signs and timestamps the cookie, so nothing is stored server-side and
every replica accepts every session. The signing key is derived from the API token: whoever
can sign in already holds the API, and rotating the token signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr

SESSION_COOKIE = "alerthub_session"
LOGIN_COOKIE = "alerthub_login"  # carries the sign-in form's CSRF token before a session exists
SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=30)
MAX_NAME = 64


@dataclass(frozen=True)
class Session:
    """Who is signed in, and the token every POST of this session must carry."""

    name: str
    csrf: str


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path on this hub, never another site (else ``/incidents``)."""
    default = "/incidents"
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def login_url(next_path: str) -> str:
    return "/login?" + urlencode({"next": safe_next(next_path)})


@dataclass(frozen=True)
class SessionKeeper:
    """Makes and reads the cookies; one per app."""

    api_token: SecretStr | None
    secure: bool  # https external URL: cookies only over TLS
    secret: bytes

    @classmethod
    def build(cls, api_token: SecretStr | None, external_url: str) -> SessionKeeper:
        if api_token is None:  # the API is open: sessions last until this process stops
            secret = secrets.token_bytes(32)
        else:
            key = api_token.get_secret_value().encode()
            secret = hmac.new(key, b"alerthub web session v1", hashlib.sha256).digest()
        return cls(api_token, external_url.startswith("https://"), secret)

    def _signer(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=salt)

    @property
    def token_required(self) -> bool:
        return self.api_token is not None

    def token_matches(self, given: str) -> bool:
        if self.api_token is None:
            return True
        expected = self.api_token.get_secret_value().encode()
        return hmac.compare_digest(given.strip().encode(), expected)

    def read(self, request: web.Request) -> Session | None:
        """The request's valid, unexpired session, or ``None``."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self._signer("session").loads(raw, max_age=int(SESSION_TTL.total_seconds()))
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        name, csrf = data.get("name"), data.get("csrf")
        if not isinstance(name, str) or not isinstance(csrf, str):
            return None
        return Session(name=name, csrf=csrf)

    def start(self, response: web.StreamResponse, name: str) -> Session:
        session = Session(name=name, csrf=secrets.token_urlsafe(24))
        value = self._signer("session").dumps({"name": session.name, "csrf": session.csrf})
        self._set(response, SESSION_COOKIE, value, SESSION_TTL)
        response.del_cookie(LOGIN_COOKIE, path="/")
        return session

    def end(self, response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path="/")

    def login_csrf(self, request: web.Request) -> tuple[str, str | None]:
        """The sign-in form's token, and the cookie value to set when it is a new one."""
        if (token := self._login_token(request)) is not None:
            return token, None
        token = secrets.token_urlsafe(24)
        return token, self._signer("login").dumps(token)

    def set_login_cookie(self, response: web.StreamResponse, value: str) -> None:
        self._set(response, LOGIN_COOKIE, value, LOGIN_TTL)

    def login_csrf_ok(self, request: web.Request, given: str) -> bool:
        token = self._login_token(request)
        return token is not None and hmac.compare_digest(token.encode(), given.encode())

    def _login_token(self, request: web.Request) -> str | None:
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw:
            return None
        try:
            token = self._signer("login").loads(raw, max_age=int(LOGIN_TTL.total_seconds()))
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def _set(self, response: web.StreamResponse, name: str, value: str, ttl: timedelta) -> None:
        response.set_cookie(
            name, value, max_age=int(ttl.total_seconds()), path="/",
            httponly=True, samesite="Strict", secure=self.secure,
        )  # fmt: skip


def csrf_ok(session: Session, given: str | None) -> bool:
    """The POST carries this session's token (constant-time compare)."""
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())
