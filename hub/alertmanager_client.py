"""A small Alertmanager API v2 client: the hub mirrors its silences there so the source goes quiet.

Every call has the configured timeout. Anything that keeps a call from succeeding (refused
connection, timeout, a non-2xx answer) is raised as ``AlertmanagerError``; callers decide
whether that fails them (for silences it does not: the hub's own silence still stands).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from hub.routing.matchers import Matcher, MatchType
from hub.timeframe import iso_utc

# Alertmanager refuses a silence without a comment; the hub does not require one.
DEFAULT_COMMENT = "silenced through alerthub"


class AlertmanagerError(Exception):
    """Alertmanager could not be reached or refused the request; the message says which."""


@dataclass(frozen=True)
class PostableSilence:
    """What Alertmanager needs to create a silence."""

    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


def am_matcher(matcher: Matcher) -> dict[str, Any]:
    """One matcher in API v2's shape; the value of a regex stays unanchored, as AM expects."""
    return {
        "name": matcher.name,
        "value": matcher.value,
        "isRegex": matcher.op in (MatchType.REGEX, MatchType.NOT_REGEX),
        "isEqual": matcher.op in (MatchType.EQUAL, MatchType.REGEX),
    }


def postable_silence_body(silence: PostableSilence) -> dict[str, Any]:
    """The JSON body of ``POST /api/v2/silences`` for a new silence."""
    return {
        "matchers": [am_matcher(m) for m in silence.matchers],
        "startsAt": iso_utc(silence.starts_at),
        "endsAt": iso_utc(silence.ends_at),
        "createdBy": silence.created_by,
        "comment": silence.comment or DEFAULT_COMMENT,
    }


class AlertmanagerClient:
    """Creates and expires silences in one Alertmanager through its API v2."""

    def __init__(self, session: aiohttp.ClientSession, url: str, timeout: timedelta) -> None:
        self._session = session
        self._api = url.rstrip("/") + "/api/v2"
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())

    async def create_silence(self, silence: PostableSilence) -> str:
        """Create the silence and return Alertmanager's id for it."""
        body = await self._request("POST", "/silences", postable_silence_body(silence))
        if not isinstance(body, dict) or not isinstance(body.get("silenceID"), str):
            raise AlertmanagerError(f"POST /api/v2/silences: no silenceID in answer {body!r}")
        silence_id: str = body["silenceID"]
        return silence_id

    async def expire_silence(self, silence_id: str) -> None:
        """Expire it now (``DELETE /api/v2/silence/{id}``)."""
        await self._request("DELETE", f"/silence/{quote(silence_id, safe='')}")

    async def _request(self, method: str, path: str, body: object = None) -> Any:
        try:
            async with self._session.request(
                method, self._api + path, json=body, timeout=self._timeout
            ) as response:
                text = await response.text()
                if response.status >= 300:
                    detail = _short(text)
                    raise AlertmanagerError(
                        f"{method} /api/v2{path}: HTTP {response.status}: {detail}"
                    )
                return await response.json(content_type=None) if text.strip() else None
        except TimeoutError:
            seconds = self._timeout.total or 0
            raise AlertmanagerError(
                f"{method} /api/v2{path}: no answer within {seconds:g} s"
            ) from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise AlertmanagerError(f"{method} /api/v2{path}: {exc}") from None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
