"""Matcher parsing and matching, checked against Alertmanager 0.25's classic parser."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from hub.routing.matchers import (
    Matcher,
    MatcherError,
    MatcherList,
    MatchType,
    parse_matcher,
    parse_matchers,
)

EQ, NE, RE, NRE = MatchType.EQUAL, MatchType.NOT_EQUAL, MatchType.REGEX, MatchType.NOT_REGEX

PARSE_CASES: list[tuple[str, str, list[tuple[str, MatchType, str]]]] = [
    ("equal-quoted", 'a="b"', [("a", EQ, "b")]),
    ("equal-unquoted", "a=b", [("a", EQ, "b")]),
    ("not-equal", 'a!="b"', [("a", NE, "b")]),
    ("regex", 'a=~"b.*"', [("a", RE, "b.*")]),
    ("not-regex", "a!~b.*", [("a", NRE, "b.*")]),
    ("spaces", '  a  =~  "b"  ', [("a", RE, "b")]),
    ("colon-name", "a:b_1=c", [("a:b_1", EQ, "c")]),
    ("empty-value", "a=", [("a", EQ, "")]),
    ("empty-quoted", 'a=""', [("a", EQ, "")]),
    ("double-equal", "a==b", [("a", EQ, "=b")]),
    ("escaped-quote", r'a="x\"y"', [("a", EQ, 'x"y')]),
    ("escaped-backslash", r'a="x\\y"', [("a", EQ, "x\\y")]),
    ("escaped-newline", r'a="x\ny"', [("a", EQ, "x\ny")]),
    ("spurious-escape", r'a="x\dy"', [("a", EQ, "x\\dy")]),
    ("trailing-backslash", "a=x\\", [("a", EQ, "x\\")]),
    ("unicode", 'a="é,ü"', [("a", EQ, "é,ü")]),
    ("list-braces", '{a="b", c=~"d"}', [("a", EQ, "b"), ("c", RE, "d")]),
    ("list-no-braces", "a=b,c!=d", [("a", EQ, "b"), ("c", NE, "d")]),
    ("list-trailing-comma", "{a=b, }", [("a", EQ, "b")]),
    ("list-comma-in-quotes", 'a="x,y",b=z', [("a", EQ, "x,y"), ("b", EQ, "z")]),
    (
        "list-escaped-quote",
        r'{q="say \"hi, there\"", r=s}',
        [("q", EQ, 'say "hi, there"'), ("r", EQ, "s")],
    ),
    ("brace-only-stripped-once", "a=b}}", [("a", EQ, "b}")]),
    ("empty", "", []),
    ("empty-braces", "{}", []),
]

ERROR_CASES: list[tuple[str, str, str]] = [
    ("name-starts-with-digit", "1a=b", "bad matcher format"),
    ("no-operator", "ab", "bad matcher format"),
    ("bad-operator", "a~=b", "bad matcher format"),
    ("unescaped-quote", 'a=x"y', "unescaped double quote"),
    ("quote-then-more", 'a="x"y', "unescaped double quote"),
    ("unclosed-quote", 'a="x', "closing double quote"),
    ("escaped-closing-quote", 'a="x\\"', "closing double quote"),
    ("empty-list-item", "a=b,,c=d", "bad matcher format"),
    ("bad-regex", 'a=~"("', "bad regex"),
    ("possessive", 'a=~"x++"', "nested repetition"),
    ("lookahead", 'a=~"(?=x)"', "unsupported Perl syntax"),
    ("backreference", r'a=~"(x)\\1"', "backreferences"),
    ("python-only-escape", r'a=~"\\Z"', "invalid escape"),
    ("angle-named-group", 'a=~"(?<n>x)"', "unsupported Perl syntax"),
    ("repeat-too-large", 'a=~"x{1001}"', "invalid repeat count"),
    ("unicode-class", r'a=~"\\pL"', "Unicode classes"),
    ("ungreedy-flag", 'a=~"(?U)x*"', "ungreedy"),
    ("negated-posix", 'a=~"[[:^alpha:]]"', "negated POSIX"),
]
# RE2 accepts these but Python's re cannot express them: we refuse them, on purpose.
STRICTER_THAN_ALERTMANAGER = {r'a=~"\\pL"', 'a=~"(?U)x*"', 'a=~"[[:^alpha:]]"'}


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse_matchers(text: str, expected: list[tuple[str, MatchType, str]]) -> None:
    assert [(m.name, m.op, m.value) for m in parse_matchers(text)] == expected


@pytest.mark.parametrize(
    ("text", "reason"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_parse_matchers_rejects(text: str, reason: str) -> None:
    with pytest.raises(MatcherError, match=reason) as caught:
        parse_matchers(text)
    assert repr(caught.value.text) in str(caught.value)


def test_error_names_position() -> None:
    with pytest.raises(MatcherError) as caught:
        parse_matchers('a=b, c="x"y"')
    assert caught.value.position == 9  # the stray quote after "x"
    assert "at position 9" in str(caught.value)


def test_parse_matcher_takes_one() -> None:
    assert parse_matcher('a="b,c"') == Matcher("a", EQ, "b,c")
    assert parse_matcher("a=b,c=d") == Matcher("a", EQ, "b,c=d")  # no list splitting


@pytest.mark.parametrize(
    ("matcher", "canonical"),
    [
        (Matcher("a", EQ, "b"), 'a="b"'),
        (Matcher("a", NRE, "x|y"), 'a!~"x|y"'),
        (Matcher("a", EQ, 'q"\\\n'), 'a="q\\"\\\\\\n"'),
    ],
    ids=["plain", "regex", "escapes"],
)
def test_str_is_canonical_and_round_trips(matcher: Matcher, canonical: str) -> None:
    assert str(matcher) == canonical
    assert parse_matcher(canonical) == matcher


MATCH_CASES: list[tuple[str, str, dict[str, str], bool]] = [
    ("equal", 'a="b"', {"a": "b"}, True),
    ("equal-missing", 'a="b"', {}, False),
    ("equal-empty-matches-missing", 'a=""', {}, True),
    ("not-equal-missing", 'a!="b"', {}, True),
    ("not-equal-empty-vs-set", 'a!=""', {"a": "x"}, True),
    ("regex-anchored-suffix", 'a=~"foo"', {"a": "foobar"}, False),
    ("regex-anchored-prefix", 'a=~"bar"', {"a": "foobar"}, False),
    ("regex-full", 'a=~"foo.*"', {"a": "foobar"}, True),
    ("regex-alternation-anchored", 'a=~"x|y"', {"a": "xy"}, False),
    ("regex-empty-matches-missing", 'a=~""', {}, True),
    ("regex-optional-missing", 'a=~"x?"', {}, True),
    ("not-regex", 'a!~"fo+"', {"a": "fooo"}, False),
    ("not-regex-missing", 'a!~"fo+"', {}, True),
    ("dollar-no-trailing-newline", 'a=~"foo"', {"a": "foo\n"}, False),
    ("dot-no-newline", 'a=~".*"', {"a": "x\ny"}, False),
    ("dotall-flag", 'a=~"(?s).*"', {"a": "x\ny"}, True),
    ("case-flag", 'a=~"(?i)prod"', {"a": "PROD"}, True),
    ("mid-pattern-flag", 'a=~"x(?i)y|z"', {"a": "Z"}, True),
    ("mid-pattern-flag-scope", 'a=~"x(?i)y|z"', {"a": "Xy"}, False),
    ("ascii-digit", r'a=~"\\d+"', {"a": "١٢"}, False),
    ("posix-class", 'a=~"[[:upper:]]+"', {"a": "ABC"}, True),
    ("brace-literal", 'a=~"x{,2}"', {"a": "x{,2}"}, True),
    ("octal-escape", r'a=~"\\101"', {"a": "A"}, True),
    ("closing-paren-quirk", 'a=~"a)|(b"', {"a": "axyz"}, True),
]


@pytest.mark.parametrize(
    ("text", "labels", "expected"), [c[1:] for c in MATCH_CASES], ids=[c[0] for c in MATCH_CASES]
)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_matcher_validates_direct_construction() -> None:
    with pytest.raises(MatcherError, match="label name"):
        Matcher("1a", EQ, "b")
    with pytest.raises(MatcherError, match="bad regex"):
        Matcher("a", RE, "(")
    assert Matcher("a", "=~", "b").op is RE  # type: ignore[arg-type]


class _Model(BaseModel):
    matchers: MatcherList = ()


def test_matcher_list_flattens_items() -> None:
    model = _Model.model_validate({"matchers": ["a=b", '{c=~"d", e!=f}']})
    assert [str(m) for m in model.matchers] == ['a="b"', 'c=~"d"', 'e!="f"']
    assert model.model_dump() == {"matchers": ['a="b"', 'c=~"d"', 'e!="f"']}


@pytest.mark.parametrize(
    ("value", "loc"),
    [(["a=b", "1x=y"], ("matchers", 1)), (["a=b", 3], ("matchers", 1)), ("a=b", ("matchers",))],
    ids=["bad-matcher", "not-a-string", "not-a-list"],
)
def test_matcher_list_errors_name_the_index(value: object, loc: tuple[object, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        _Model.model_validate({"matchers": value})
    assert caught.value.errors()[0]["loc"] == loc


# --- parity with the real Alertmanager parser (amtool check-config) --------------------------

PARITY_TEXTS = [c[1] for c in PARSE_CASES + ERROR_CASES if c[1]] + [c[1] for c in MATCH_CASES]


@pytest.fixture(scope="module")
def amtool_verdicts(amtool: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One ``amtool check-config`` run over a file per text: text -> "SUCCESS" or the failure."""
    folder = tmp_path_factory.mktemp("check")
    paths = {}
    for i, text in enumerate(PARITY_TEXTS):
        config = {
            "route": {"receiver": "r", "routes": [{"matchers": [text]}]},
            "receivers": [{"name": "r"}],
        }
        paths[text] = folder / f"am{i}.yml"
        paths[text].write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(
        [amtool, "check-config", *map(str, paths.values())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    verdicts = dict(re.findall(r"^Checking '(.+?)'  (SUCCESS|FAILED: .*)$", done.stdout, re.M))
    return {text: verdicts[str(path)] for text, path in paths.items()}


@pytest.mark.e2e
@pytest.mark.parametrize("text", PARITY_TEXTS)
def test_acceptance_matches_amtool(text: str, amtool_verdicts: dict[str, str]) -> None:
    try:
        parse_matchers(text)
        ours = True
    except MatcherError:
        ours = False
    theirs = amtool_verdicts[text] == "SUCCESS"
    if text in STRICTER_THAN_ALERTMANAGER:
        assert (ours, theirs) == (False, True)
    else:
        assert ours == theirs, amtool_verdicts[text]


# RE2-versus-Python differences the translation has to get right, and plain cases.
PARITY_REGEXES = [
    r"\d+",
    r"\w+",
    r"\s",
    r"\S+",
    r"\W",
    r"[^\D]+",
    r"[[:alpha:]]+",
    r"[[:punct:]]",
    r"(?i)ab|c",
    r"x(?i)y|z",
    r"(?i:a)b",
    r"a{,2}",
    r"a{2}",
    r"\101",
    r"\x41",
    r"\x{263a}",
    r"\Qa.b\E",
    r"(?m)^a$",
    r"a$",
    r".*",
    r"(?s).*",
    r"\bfoo\b",
    r"(?i)é",
    r"[a-c]+",
    r"\.",
    r"a|",
    r"[]a]",
    r"[^]a]+",
    r"x*?",
    r"(?P<n>a)b",
    r"a)|(b",
    r"foo",
    r"(?-s:.)",
    r"[a&&b]",
]
PARITY_VALUES = [
    "",
    "a",
    "A",
    "ab",
    "AB",
    "c",
    "xy",
    "xY",
    "XY",
    "Z",
    "123",
    "١٢",
    "abc",
    "a\n",
    "a\nb",
    "é",
    "É",
    "☺",
    "a.b",
    "axb",
    "a{,2}",
    "aa",
    "a b",
    "_",
    "foo",
    "foo bar",
    "]",
    "&",
    "\n",
]


@pytest.fixture(scope="module")
def regex_parity_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    routes = [
        {"receiver": f"r{i}", "matchers": [str(Matcher("x", RE, rx))], "continue": True}
        for i, rx in enumerate(PARITY_REGEXES)
    ]
    config = {
        "route": {"receiver": "none", "routes": routes},
        "receivers": [{"name": "none"}] + [{"name": r["receiver"]} for r in routes],
    }
    path = tmp_path_factory.mktemp("regex") / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def amtool_regex_matches(amtool: str, regex_parity_config: Path) -> dict[str, set[str]]:
    """For each value, the regexes that amtool's routing says match it (runs in parallel)."""

    def receivers(value: str) -> str:
        args = ["config", "routes", "test", f"--config.file={regex_parity_config}"]
        label = str(Matcher("x", EQ, value))
        done = subprocess.run(
            [amtool, *args, "--", label], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout.strip()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(PARITY_VALUES, pool.map(receivers, PARITY_VALUES), strict=True))
    return {
        value: {PARITY_REGEXES[int(r[1:])] for r in answer.split(",") if r != "none"}
        for value, answer in answers.items()
    }


@pytest.mark.e2e
@pytest.mark.parametrize("value", PARITY_VALUES)
def test_regex_matching_agrees_with_amtool(
    value: str, amtool_regex_matches: dict[str, set[str]]
) -> None:
    ours = {rx for rx in PARITY_REGEXES if Matcher("x", RE, rx).matches({"x": value})}
    assert ours == amtool_regex_matches[value]
