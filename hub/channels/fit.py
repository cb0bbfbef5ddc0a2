"""Cutting rendered text to a channel's size limit without breaking markup."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>")
_ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length as Telegram and Slack count it (UTF-16 code units; emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def fit_first(candidates: Iterable[str], limit: int, cut: Callable[[str, int], str]) -> str:
    """Return the first candidate that fits, else a safe cut of the last (shortest) one."""
    last = ""
    for text in candidates:
        if utf16_len(text) <= limit:
            return text
        last = text
    return cut(last, limit)


def cut_html(text: str, limit: int) -> str:
    """Cut HTML to ``limit`` never inside a tag or entity, closing the tags left open."""
    out: list[str] = []
    stack: list[str] = []
    size = utf16_len(_ELLIPSIS)
    for match in _HTML_TOKEN.finditer(text):
        token = match.group(0)
        tag = _TAG.fullmatch(token)
        new_stack = stack
        if tag and tag.group(1):
            new_stack = stack[:-1] if stack and stack[-1] == tag.group(2).lower() else stack
        elif tag and not token.endswith("/>"):
            new_stack = [*stack, tag.group(2).lower()]
        closers = "".join(f"</{name}>" for name in reversed(new_stack))
        if size + utf16_len(token) + utf16_len(closers) > limit:
            break
        out.append(token)
        size += utf16_len(token)
        stack = new_stack
    closers = "".join(f"</{name}>" for name in reversed(stack))
    return "".join(out).rstrip() + _ELLIPSIS + closers


def cut_plain(text: str, limit: int) -> str:
    """Cut plain text to ``limit``, preferring the last line break, and mark the cut."""
    budget = limit - utf16_len(_ELLIPSIS)
    kept = text.encode("utf-16-le")[: budget * 2].decode("utf-16-le", errors="ignore")
    newline = kept.rfind("\n")
    if newline > len(kept) // 2:
        kept = kept[:newline]
    return kept.rstrip() + _ELLIPSIS


def html_to_plain(text: str) -> str:
    """Strip tags and unescape entities: the fallback when a chat cannot parse our HTML."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))
