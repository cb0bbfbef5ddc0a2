"""LogQL templates over an alert's labels, where a label value can never change the query's shape.

Every ``{{ ... }}`` must sit inside a double-quoted LogQL string; its value is escaped as the
inside of a Go string literal (what Loki's parser unquotes), so quotes, backslashes and
newlines in a label stay data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from jinja2 import ChainableUndefined, Template, TemplateError, Undefined
from jinja2.sandbox import SandboxedEnvironment

_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


class LogQLTemplateError(ValueError):
    """A LogQL template that does not compile or interpolates outside a quoted string."""


def quote_logql_string(value: str) -> str:
    """Escape ``value`` as the inside of a double-quoted LogQL string (like Go's strconv.Quote)."""
    out: list[str] = []
    for char in value:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x80 or char.isprintable():
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")  # a lone surrogate is not valid UTF-8
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def regex_escape(value: object) -> str:
    """Quote RE2 metacharacters so a value matches literally in ``|~`` (Go's regexp.QuoteMeta)."""
    if isinstance(value, Undefined) or value is None:
        return ""
    return _REGEX_META.sub(r"\\\1", str(value))


def _finalize(value: object) -> str:
    if isinstance(value, Undefined) or value is None:
        return ""
    return quote_logql_string(str(value))


def _build_environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=ChainableUndefined,
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["regex_escape"] = regex_escape
    return env


_ENV = _build_environment()


def _check_placement(source: str) -> None:
    """Refuse ``{{ }}`` outside a double-quoted string: there escaping cannot protect the query."""
    in_double = in_backtick = escaped = False
    try:
        tokens = list(_ENV.lex(source))
    except TemplateError as exc:
        raise LogQLTemplateError(f"invalid template: {exc}") from None
    for lineno, kind, text in tokens:
        if kind == "variable_begin" and in_backtick:
            raise LogQLTemplateError(
                f"line {lineno}: {{{{ ... }}}} cannot be inside a `raw` string; use double quotes"
            )
        if kind == "variable_begin" and not in_double:
            raise LogQLTemplateError(
                f'line {lineno}: {{{{ ... }}}} must be inside a "double-quoted" LogQL string'
            )
        if kind != "data":
            continue
        for char in text:
            if escaped:
                escaped = False
            elif in_double:
                escaped = char == "\\"
                in_double = char != '"'
            elif in_backtick:
                in_backtick = char != "`"
            elif char == '"':
                in_double = True
            elif char == "`":
                in_backtick = True
    if in_double or in_backtick:
        raise LogQLTemplateError("unterminated string literal")


@lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    _check_placement(source)
    try:
        return _ENV.from_string(source)
    except TemplateError as exc:
        raise LogQLTemplateError(f"invalid template: {exc}") from None


def check_logql_template(source: str) -> None:
    """Raise ``LogQLTemplateError`` if ``source`` is not a safe LogQL template."""
    _compile(source)


def render_logql(
    source: str, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> str:
    """Render a LogQL template; a missing label renders as the empty string."""
    template = _compile(source)
    try:
        rendered = template.render(labels=dict(labels), annotations=dict(annotations or {}))
    except TemplateError as exc:
        raise LogQLTemplateError(f"cannot render: {exc}") from None
    return rendered.strip()
