"""LogQL templating: label values are string literals and can never change the query's shape."""

from __future__ import annotations

import re

import pytest

from hub.enrich.logql import (
    LogQLTemplateError,
    check_logql_template,
    quote_logql_string,
    regex_escape,
    render_logql,
)

TEMPLATE = '{namespace="{{ labels.namespace }}", app="{{ labels.deployment }}"} |~ "(?i)error"'
_GO_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def split_logql(query: str) -> tuple[str, list[str]]:
    """The query's shape (strings replaced by ``"S"``) and the decoded string literals."""
    shape: list[str] = []
    strings: list[str] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char != '"':
            assert char not in "\n`", f"raw {char!r} outside a string at {i}"
            shape.append(char)
            i += 1
            continue
        i += 1
        value: list[str] = []
        while query[i] != '"':
            if query[i] != "\\":
                assert query[i] >= " ", "unescaped control character inside a string"
                value.append(query[i])
                i += 1
                continue
            esc = query[i + 1]
            if esc in _GO_UNESCAPES:
                value.append(_GO_UNESCAPES[esc])
                i += 2
            elif esc in "\\\"'":
                value.append(esc)
                i += 2
            else:
                width = {"x": 2, "u": 4, "U": 8}[esc]
                value.append(chr(int(query[i + 2 : i + 2 + width], 16)))
                i += 2 + width
        strings.append("".join(value))
        shape.append('"S"')
        i += 1
    return "".join(shape), strings


HOSTILE = [
    pytest.param('"} |= "x', id="quote-breakout"),
    pytest.param("a\\", id="trailing-backslash"),
    pytest.param('a\\"} or {a="b', id="escaped-quote-breakout"),
    pytest.param("line1\nline2\r\t", id="newline-tab"),
    pytest.param("`raw` string", id="backticks"),
    pytest.param("\x00\x1b[31m\x7f", id="control-chars"),
    pytest.param("{{ labels.other }}", id="jinja-in-value"),
    pytest.param("über ✓ 🚀", id="unicode"),
    pytest.param("\u2028\u00a0", id="unicode-separators"),
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_label_value_stays_one_string_literal(value: str) -> None:
    benign = render_logql(TEMPLATE, {"namespace": "prod", "deployment": "api"})
    hostile = render_logql(TEMPLATE, {"namespace": value, "deployment": value})
    assert split_logql(hostile)[0] == split_logql(benign)[0]
    assert split_logql(hostile)[1] == [value, value, "(?i)error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('a"b', 'a\\"b', id="quote"),
        pytest.param("a\\b", "a\\\\b", id="backslash"),
        pytest.param("a\nb\tc", "a\\nb\\tc", id="newline-tab"),
        pytest.param("\x01\x7f", "\\x01\\x7f", id="control"),
        pytest.param("`", "`", id="backtick-is-literal-in-double-quotes"),
        pytest.param("é", "é", id="printable-unicode"),
        pytest.param("\u2028", "\\u2028", id="line-separator"),
        pytest.param("\ud800", "\\ufffd", id="lone-surrogate"),
    ],
)
def test_quote_logql_string(value: str, expected: str) -> None:
    assert quote_logql_string(value) == expected


def test_missing_label_renders_empty() -> None:
    assert render_logql(TEMPLATE, {"namespace": "prod"}) == (
        '{namespace="prod", app=""} |~ "(?i)error"'
    )


def test_annotations_and_nested_undefined_render() -> None:
    query = render_logql(
        '{a="{{ annotations.summary }}", b="{{ labels.x.y }}"}', {}, {"summary": "5xx 7 %"}
    )
    assert query == '{a="5xx 7 %", b=""}'


def test_regex_escape_filter_then_string_escape() -> None:
    query = render_logql('{a="x"} |~ "{{ labels.pod | regex_escape }}"', {"pod": 'p.1"'})
    assert query == '{a="x"} |~ "p\\\\.1\\""'
    assert regex_escape("a+b(c)") == "a\\+b\\(c\\)"


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{a={{ labels.a }}}", id="outside-string"),
        pytest.param('{a="x"} |~ `{{ labels.a }}`', id="inside-backticks"),
        pytest.param('{a="{{ labels.a }}}', id="unterminated"),
        pytest.param('{a="{{ labels.a "}', id="jinja-syntax"),
    ],
)
def test_unsafe_templates_are_refused(template: str) -> None:
    with pytest.raises(LogQLTemplateError):
        check_logql_template(template)


def test_escaped_quote_in_template_text_keeps_string_state() -> None:
    query = render_logql('{a="x"} |= "say \\"{{ labels.a }}\\""', {"a": "hi"})
    assert re.fullmatch(r'\{a="x"\} \|= "say \\"hi\\""', query)


def test_sandbox_hides_internals() -> None:
    query = render_logql('{a="{{ labels.a.__class__.__mro__ }}"}', {"a": "x"})
    assert query == '{a=""}'
