"""Pure parts of sign-in: where ``next`` may lead, and what a session cookie must be."""

from __future__ import annotations

import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from pydantic import SecretStr

from hub.web.session import SESSION_TTL, Session, SessionKeeper, csrf_ok, safe_next


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/incidents"),
        ("", "/incidents"),
        ("/incidents/42", "/incidents/42"),
        ("/incidents?status=firing&label=a%3D%22", "/incidents?status=firing&label=a%3D%22"),
        ("/stats", "/stats"),
        ("https://evil.example/", "/incidents"),
        ("//evil.example/x", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("/incidents\\@evil", "/incidents"),
        ("javascript:alert(1)", "/incidents"),
        ("incidents/1", "/incidents"),
        ("/x\r\nSet-Cookie: a=b", "/incidents"),
        ("/x\tz", "/incidents"),
    ],
    ids=[
        "missing", "empty", "incident", "with-query", "stats", "absolute", "scheme-relative",
        "backslash-relative", "backslash-inside", "script", "relative", "header-injection", "tab",
    ],
)  # fmt: skip
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


@pytest.mark.parametrize(
    ("given", "ok"),
    [("tok", True), ("tok ", False), ("other", False), ("", False), (None, False)],
    ids=["same", "padded", "other", "empty", "missing"],
)
def test_csrf_ok(given: str | None, ok: bool) -> None:
    assert csrf_ok(Session("ayse", "tok"), given) is ok


class _Aged(TimestampSigner):
    """Signs as if 13 hours ago: the session it makes has already expired."""

    def get_timestamp(self) -> int:
        return int(time.time() - SESSION_TTL.total_seconds() - 3600)


class _Request:
    def __init__(self, cookie: str) -> None:
        self.cookies = {"alerthub_session": cookie}


def _keeper() -> SessionKeeper:
    return SessionKeeper.build(SecretStr("api-token"), "https://hub.example.org")


GOOD = {"name": "a", "csrf": "t"}


def _signed(secret: bytes | None, salt: str = "session", body: Any = GOOD, **kw: Any) -> Any:
    """A cookie value signed like the hub's, with one thing changed; None: the hub's key."""
    return lambda k: URLSafeTimedSerializer(secret or k.secret, salt=salt, **kw).dumps(body)


@pytest.mark.parametrize(
    ("make", "valid"),
    [
        (_signed(None), True),
        (_signed(None, signer=_Aged), False),
        (_signed(b"x" * 32), False),
        (_signed(None, salt="login"), False),
        (_signed(None, body=["a", "t"]), False),
        (lambda k: "garbage", False),
    ],
    ids=["fresh", "expired", "other-key", "other-purpose", "wrong-shape", "garbage"],
)
def test_read_accepts_only_fresh_signed_sessions(make: Any, valid: bool) -> None:
    keeper = _keeper()
    session = keeper.read(_Request(make(keeper)))  # type: ignore[arg-type]
    assert (session == Session("a", "t")) is valid


def test_rotating_the_api_token_signs_everyone_out() -> None:
    old, new = _keeper(), SessionKeeper.build(SecretStr("rotated"), "https://hub.example.org")
    cookie = URLSafeTimedSerializer(old.secret, salt="session").dumps({"name": "a", "csrf": "t"})
    assert old.read(_Request(cookie)) is not None  # type: ignore[arg-type]
    assert new.read(_Request(cookie)) is None  # type: ignore[arg-type]
    assert old.secure
