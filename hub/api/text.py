"""Text from API clients: PostgreSQL cannot store NUL, so it is refused before the store."""

from __future__ import annotations

from pydantic import AfterValidator

NUL = "\x00"
NUL_MESSAGE = "must not contain NUL (\\u0000)"


def refuse_nul(value: str) -> str:
    """Pass ``value`` through, or raise ``ValueError`` (a 422 naming the field) if it has NUL."""
    if NUL in value:
        raise ValueError(NUL_MESSAGE)
    return value


NoNul = AfterValidator(refuse_nul)
