"""Go RE2 regex syntax, translated to Python ``re`` so both engines agree."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

# Alertmanager compiles regexes with Go's RE2. Python accepts more (lookarounds, backreferences,
# possessive quantifiers) and reads some things differently (``$`` before a final newline,
# Unicode ``\d``, ``{,n}``, octal escapes, POSIX classes, flags in mid-pattern). The translator
# rejects what RE2 rejects and rewrites the rest so both engines agree.

_MAX_REPEAT = 1000
_REPEAT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")
_FLAGS_RE = re.compile(r"\(\?([imsU]*(?:-[imsU]+)?)(:|\))")
_NAMED_GROUP_RE = re.compile(r"\(\?P<([A-Za-z0-9_]+)>")
_PERL_CLASSES = {"d": r"0-9", "w": r"0-9A-Za-z_", "s": r"\t\n\f\r "}
_POSIX_CLASSES = {
    "alnum": r"0-9A-Za-z",
    "alpha": r"A-Za-z",
    "ascii": r"\x00-\x7f",
    "blank": r"\t ",
    "cntrl": r"\x00-\x1f\x7f",
    "digit": r"0-9",
    "graph": r"!-~",
    "lower": r"a-z",
    "print": r" -~",
    "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\v\f\r ",
    "upper": r"A-Z",
    "word": r"0-9A-Za-z_",
    "xdigit": r"0-9A-Fa-f",
}
_SIMPLE_ESCAPES = {"a": "\\a", "f": "\\f", "t": "\\t", "n": "\\n", "r": "\\r", "v": "\\v"}


class Re2Error(ValueError):
    """A pattern Go's RE2 (or, after translation, Python) refuses; ``position`` is in the source."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


@dataclass
class _Group:
    multiline: bool
    flag_groups: list[str] = field(default_factory=list)  # scoped groups standing for (?flags)


class _Re2Translator:
    """One pass over a Go pattern, writing the equivalent Python pattern."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.out: list[str] = []
        self.groups = [_Group(multiline=False)]
        self.class_needs_ascii = False

    def fail(self, reason: str, at: int | None = None) -> Re2Error:
        return Re2Error(reason, self.pos if at is None else at)

    def translate(self) -> str:
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "\\":
                self.out.append(self.escape(in_class=False))
            elif char == "[":
                self.out.append(self.char_class())
            elif char == "(":
                self.open_group()
            elif char == ")":
                self.close_group()
            elif char == "|":
                pending = self.groups[-1].flag_groups
                self.out.append(")" * len(pending) + "|" + "".join(pending))
                self.pos += 1
            elif char in "*+?{":
                self.repeat()
            else:
                self.out.append(self.plain(char))
                self.pos += 1
        if len(self.groups) > 1:
            raise self.fail("missing closing )")
        self.out.append(")" * len(self.groups[0].flag_groups))
        return "".join(self.out)

    def plain(self, char: str) -> str:
        if char == "$" and not self.groups[-1].multiline:
            return r"\Z"  # RE2's $ is end of text; Python's also matches before a final \n
        return char

    def repeat(self) -> None:
        start = self.pos
        if not self.take_quantifier():
            self.out.append(r"\{")  # RE2 reads a brace that starts no repeat as a literal
            self.pos += 1
            return
        if self.src.startswith("?", self.pos):
            self.out.append("?")
            self.pos += 1
        if self.pos < len(self.src) and (
            self.src[self.pos] in "*+?" or _REPEAT_RE.match(self.src, self.pos)
        ):
            raise self.fail(
                f"invalid nested repetition operator: `{self.src[start : self.pos + 1]}`"
            )

    def take_quantifier(self) -> bool:
        char = self.src[self.pos]
        if char != "{":
            self.out.append(char)
            self.pos += 1
            return True
        found = _REPEAT_RE.match(self.src, self.pos)
        if found is None:
            return False
        low = int(found.group(1))
        high = low if found.group(2) is None else int(found.group(3) or -1)
        if low > _MAX_REPEAT or high > _MAX_REPEAT or (high != -1 and high < low):
            raise self.fail(f"invalid repeat count: `{found.group(0)}`")
        self.out.append(found.group(0))
        self.pos = found.end()
        return True

    def open_group(self) -> None:
        current = self.groups[-1]
        if not self.src.startswith("(?", self.pos):
            self.groups.append(_Group(current.multiline))
            self.out.append("(")
            self.pos += 1
            return
        named = _NAMED_GROUP_RE.match(self.src, self.pos)
        if named is not None:
            self.groups.append(_Group(current.multiline))
            self.out.append(named.group(0))
            self.pos = named.end()
            return
        flags = _FLAGS_RE.match(self.src, self.pos)
        if flags is not None and flags.group(0) == "(?:":
            self.groups.append(_Group(current.multiline))
            self.out.append("(?:")
            self.pos = flags.end()
            return
        if flags is None or not flags.group(1):
            raise self.fail(
                f"invalid or unsupported Perl syntax: `{self.src[self.pos : self.pos + 3]}`"
            )
        if "U" in flags.group(1):
            raise self.fail("the ungreedy flag (?U) has no Python equivalent")
        on, _, off = flags.group(1).partition("-")
        multiline = ("m" in on) or (current.multiline and "m" not in off)
        scoped = f"(?{flags.group(1)}:"
        self.out.append(scoped)
        self.pos = flags.end()
        if flags.group(2) == ":":
            self.groups.append(_Group(multiline))
        else:  # (?flags) lasts to the end of the group: Python 3.11 wants that scoped
            current.multiline = multiline
            current.flag_groups.append(scoped)

    def close_group(self) -> None:
        if len(self.groups) == 1:
            raise self.fail("unexpected )")
        self.out.append(")" * len(self.groups.pop().flag_groups) + ")")
        self.pos += 1

    def escape(self, *, in_class: bool) -> str:
        start = self.pos
        if start + 1 >= len(self.src):
            raise self.fail("trailing backslash at end of expression")
        char = self.src[start + 1]
        self.pos = start + 2
        if char in "01234567":
            return self.octal(char)
        if char == "x":
            return re.escape(chr(self.hex_code()))
        if char in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[char]
        if char in _PERL_CLASSES:
            return _PERL_CLASSES[char] if in_class else f"[{_PERL_CLASSES[char]}]"
        if char in "DSW":
            self.class_needs_ascii = self.class_needs_ascii or in_class
            return f"\\{char}" if in_class else f"[^{_PERL_CLASSES[char.lower()]}]"
        if not in_class and char in "AzbB":
            return {"A": r"\A", "z": r"\Z", "b": r"(?a:\b)", "B": r"(?a:\B)"}[char]
        if not in_class and char == "Q":
            end = self.src.find(r"\E", self.pos)
            literal = self.src[self.pos :] if end == -1 else self.src[self.pos : end]
            self.pos = len(self.src) if end == -1 else end + 2
            return re.escape(literal)
        if char in "pP":
            raise self.fail(r"Unicode classes (\p, \P) are not supported", start)
        if char.isascii() and not char.isalnum():
            return "\\" + char
        raise self.fail(f"invalid escape sequence: `\\{char}`", start)

    def octal(self, first: str) -> str:
        digits = first
        octal = tuple("01234567")
        if first != "0" and self.src[self.pos : self.pos + 1] not in octal:
            raise self.fail(f"backreferences are not supported: `\\{first}`", self.pos - 2)
        while len(digits) < 3 and self.src[self.pos : self.pos + 1] in octal:
            digits += self.src[self.pos]
            self.pos += 1
        return re.escape(chr(int(digits, 8)))

    def hex_code(self) -> int:
        braced = re.compile(r"\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{2})").match(self.src, self.pos)
        if braced is None or int(braced.group(1) or braced.group(2), 16) > 0x10FFFF:
            raise self.fail("invalid escape sequence: bad \\x", self.pos - 2)
        self.pos = braced.end()
        return int(braced.group(1) or braced.group(2), 16)

    def char_class(self) -> str:
        start = self.pos
        self.pos += 1
        self.class_needs_ascii = False
        parts = ["["]
        if self.src.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        if self.src.startswith("]", self.pos):
            parts.append(r"\]")
            self.pos += 1
        while self.pos < len(self.src) and self.src[self.pos] != "]":
            parts.append(self.class_item())
        if self.pos >= len(self.src):
            raise self.fail("missing closing ]", start)
        self.pos += 1
        body = "".join(parts) + "]"
        # Python's \D \S \W are Unicode-aware; ASCII mode makes them RE2's.
        return f"(?a:{body})" if self.class_needs_ascii else body

    def class_item(self) -> str:
        char = self.src[self.pos]
        if char == "\\":
            return self.escape(in_class=True)
        posix = re.compile(r"\[:(\^?)([a-z]+):\]").match(self.src, self.pos)
        if posix is not None:
            if posix.group(2) not in _POSIX_CLASSES:
                raise self.fail(f"invalid character class range: `{posix.group(0)}`")
            if posix.group(1):
                raise self.fail(f"negated POSIX classes are not supported: `{posix.group(0)}`")
            self.pos = posix.end()
            return _POSIX_CLASSES[posix.group(2)]
        self.pos += 1
        # Literal in RE2; Python warns about possible set operations.
        return "\\" + char if char in "[&~|" else char


def compile_re2(pattern: str) -> re.Pattern[str]:
    """Compile a Go RE2 pattern for use with ``search``, or raise :class:`Re2Error`."""
    translated = _Re2Translator(pattern).translate()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return re.compile(translated)
    except (re.error, FutureWarning) as exc:
        raise Re2Error(f"{exc} (in Python translation {translated!r})") from None
