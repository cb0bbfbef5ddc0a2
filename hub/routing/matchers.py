"""Alertmanager 0.25 label matchers: the classic parser (``pkg/labels/parse.go``) and matching."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# Re2Error and compile_re2 stay importable from here as well.
from hub.routing.re2 import Re2Error, compile_re2

# Go's `\s` is ASCII-only, so the whitespace class is spelled out.
_WS = r"[\t\n\f\r ]*"
_MATCHER_RE = re.compile(
    rf"\A{_WS}([a-zA-Z_:][a-zA-Z0-9_:]*){_WS}(=~|=|!=|!~){_WS}(.*?){_WS}\Z", re.DOTALL
)
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


class MatchType(StrEnum):
    """The four matcher operators, valued as they are written."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


class MatcherError(ValueError):
    """A matcher that Alertmanager would refuse; names the text, the position and why."""

    def __init__(self, text: str, reason: str, position: int | None = None) -> None:
        where = "" if position is None else f" at position {position}"
        super().__init__(f"invalid matcher {text!r}{where}: {reason}")
        self.text = text
        self.reason = reason
        self.position = position


def _escape_value(value: str) -> str:
    """Escape like Go's ``openMetricsEscape``: backslash, line feed, double quote."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@dataclass(frozen=True)
class Matcher:
    """One ``name op value`` condition; regexes are anchored and compiled once."""

    name: str
    op: MatchType
    value: str
    _regex: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, hash=False, default=None
    )

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise MatcherError(self.name, "label name must match [a-zA-Z_:][a-zA-Z0-9_:]*")
        object.__setattr__(self, "op", MatchType(self.op))
        if self.op in (MatchType.REGEX, MatchType.NOT_REGEX):
            try:
                # Anchored exactly like Alertmanager's NewMatcher, quirks included.
                regex = compile_re2("^(?:" + self.value + ")$")
            except Re2Error as exc:
                where = "" if exc.position is None else f" at value offset {exc.position - 4}"
                raise MatcherError(str(self), f"bad regex{where}: {exc.reason}") from None
            object.__setattr__(self, "_regex", regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the label set satisfies this matcher; a missing label reads as ``""``."""
        actual = labels.get(self.name, "")
        if self.op is MatchType.EQUAL:
            return actual == self.value
        if self.op is MatchType.NOT_EQUAL:
            return actual != self.value
        assert self._regex is not None
        found = self._regex.search(actual) is not None
        return found if self.op is MatchType.REGEX else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{_escape_value(self.value)}"'


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher matches (true for no matchers), like ``labels.Matchers.Matches``."""
    return all(m.matches(labels) for m in matchers)


def _unescape(raw: str, text: str, offset: int) -> str:
    """Undo OpenMetrics escaping in a matcher value, as tolerant as Alertmanager is."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    base = offset + (1 if quoted else 0)
    out: list[str] = []
    escaped = False
    expect_trailing_quote = quoted
    for i, char in enumerate(body):
        if escaped:
            escaped = False
            out.append("\n" if char == "n" else char if char in '"\\' else "\\" + char)
        elif char == "\\":
            if i < len(body) - 1:
                escaped = True
            else:
                out.append("\\")
        elif char == '"':
            if not expect_trailing_quote or i < len(body) - 1:
                raise MatcherError(text, "value contains an unescaped double quote", base + i)
            expect_trailing_quote = False
        else:
            out.append(char)
    if expect_trailing_quote:
        raise MatcherError(text, "value lacks its closing double quote", base + len(body))
    return "".join(out)


def _parse_one(token: str, offset: int) -> Matcher:
    found = _MATCHER_RE.match(token)
    if found is None:
        raise MatcherError(
            token.strip(), "bad matcher format (want name, one of = != =~ !~, value)", offset
        )
    name, op, raw = found.groups()
    value = _unescape(raw, token.strip(), offset + found.start(3))
    return Matcher(name, MatchType(op), value)


def parse_matcher(text: str) -> Matcher:
    """Parse exactly one matcher, as Alertmanager's ``ParseMatcher`` does (no list form)."""
    return _parse_one(text, 0)


def _split_tokens(text: str, start: int) -> list[tuple[str, int]]:
    """Split on commas outside double quotes; each token comes with its offset in ``text``."""
    tokens: list[tuple[str, int]] = []
    inside_quotes = escaped = False
    token_start = start
    for i in range(start, len(text)):
        char = text[i]
        if char == "," and not inside_quotes:
            tokens.append((text[token_start:i], token_start))
            token_start = i + 1
            continue
        if char == '"':
            inside_quotes = inside_quotes if escaped else not inside_quotes
            escaped = False
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
    last = text[token_start:]
    if last.strip():
        tokens.append((last, token_start))
    return tokens


def parse_matchers(text: str) -> list[Matcher]:
    """Parse a comma-separated matcher list, optionally in braces, like ``ParseMatchers``."""
    start = 1 if text.startswith("{") else 0
    body = text[: len(text) - 1] if text.endswith("}") and len(text) > start else text
    return [_parse_one(token, offset) for token, offset in _split_tokens(body, start)]


def _validate_item(value: Any) -> list[Matcher]:
    if isinstance(value, Matcher):
        return [value]
    if not isinstance(value, str):
        raise PydanticCustomError(
            "matcher_type", "a matcher is a string, e.g. 'severity=\"critical\"'"
        )
    return parse_matchers(value)


def _flatten(groups: list[list[Matcher]]) -> tuple[Matcher, ...]:
    return tuple(m for group in groups for m in group)


class _MatcherListSchema:
    """Pydantic hook: a list of matcher strings in, ``tuple[Matcher, ...]`` out."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        item = core_schema.no_info_plain_validator_function(_validate_item)
        return core_schema.no_info_after_validator_function(
            _flatten,
            core_schema.list_schema(item),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda ms: [str(m) for m in ms]
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "array", "items": {"type": "string"}}


# Errors carry the item index in their loc (``matchers.1``); one item may hold several matchers.
MatcherList = Annotated[tuple[Matcher, ...], _MatcherListSchema()]


def check_matcher_strings(values: list[str]) -> list[str]:
    """Validate matcher strings that a model keeps as text (runbook and Loki selectors)."""
    for text in values:
        parse_matchers(text)
    return values
