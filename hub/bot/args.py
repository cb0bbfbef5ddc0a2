"""Command arguments: parsed into typed values, or refused with what to type instead.

Every error says what was wrong and shows a command that would work, e.g.
``/ack abc`` → "incident id is a number: /ack 1042".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hub.config.types import parse_duration
from hub.remediate.model import TargetKind
from hub.remediate.target import dns1123_label_problem, dns1123_subdomain_problem
from hub.routing.matchers import Matcher, MatcherError, parse_matcher

MAX_SILENCE = timedelta(days=90)
MAX_COMMENT = 500
DEFAULT_SINCE = timedelta(days=7)
_LOOKS_LIKE_MATCHER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\s*(=~|=|!=|!~)")


class ArgError(ValueError):
    """Arguments a command cannot use; the message is the reply."""


@dataclass(frozen=True)
class AckArgs:
    incident_id: int
    comment: str


@dataclass(frozen=True)
class SilenceArgs:
    """Either an incident (its group is silenced) or matchers; for how long; why."""

    incident_id: int | None
    matchers: tuple[Matcher, ...]
    duration: timedelta
    comment: str


@dataclass(frozen=True)
class IncidentsArgs:
    matchers: tuple[Matcher, ...]
    page: int


@dataclass(frozen=True)
class HistoryArgs:
    alertname: str | None
    since: datetime


def split_args(text: str) -> list[str]:
    """Split on spaces outside double quotes, so ``alertname="High Error"`` stays one token."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(char)
    if quoted:
        raise ArgError('a quote is not closed: alertname="High Error"')
    if current:
        tokens.append("".join(current))
    return tokens


def _number(token: str | None, what: str, example: str) -> int:
    if token is None:
        raise ArgError(f"which {what}? {example}")
    if not token.isascii() or not token.isdigit() or len(token) > 18:
        raise ArgError(f"{what} is a number: {example}")
    return int(token)


def _comment(tokens: list[str]) -> str:
    comment = " ".join(tokens)
    if len(comment) > MAX_COMMENT:
        raise ArgError(f"the comment is longer than {MAX_COMMENT} characters")
    return comment


def parse_ack(tokens: list[str]) -> AckArgs:
    """``/ack ID [comment]``."""
    first = tokens[0] if tokens else None
    return AckArgs(_number(first, "incident id", "/ack 1042"), _comment(tokens[1:]))


def parse_incident(tokens: list[str]) -> int:
    """``/incident ID``."""
    if len(tokens) > 1:
        raise ArgError("one incident at a time: /incident 1042")
    return _number(tokens[0] if tokens else None, "incident id", "/incident 1042")


def parse_unsilence(tokens: list[str]) -> int:
    """``/unsilence SILENCE_ID``."""
    if len(tokens) > 1:
        raise ArgError("one silence at a time: /unsilence 17")
    return _number(tokens[0] if tokens else None, "silence id", "/unsilence 17")


def parse_duration_arg(token: str, example: str) -> timedelta:
    """An Alertmanager duration (``30m``, ``4h``), above zero and at most 90 days."""
    try:
        duration = parse_duration(token)
    except ValueError:
        raise ArgError(f"duration is like 30m or 4h: {example}") from None
    if duration <= timedelta(0):
        raise ArgError(f"the duration must be more than 0: {example}")
    if duration > MAX_SILENCE:
        raise ArgError(f"a silence lasts at most 90d: {example}")
    return duration


def _matcher(token: str) -> Matcher | None:
    """The token as a matcher, None if it does not look like one, ArgError if it is broken."""
    if not _LOOKS_LIKE_MATCHER.match(token):
        return None
    try:
        return parse_matcher(token)
    except MatcherError as exc:
        raise ArgError(f"{exc}; a matcher looks like alertname=DataDrift") from None


_SILENCE_USAGE = "/silence 1042 1h [comment] or /silence alertname=DataDrift 4h [comment]"


def parse_silence(tokens: list[str]) -> SilenceArgs:
    """``/silence ID DURATION [comment]`` or ``/silence MATCHER … DURATION [comment]``."""
    if not tokens:
        raise ArgError(f"what should be silenced? {_SILENCE_USAGE}")
    if tokens[0].isascii() and tokens[0].isdigit():
        if len(tokens) < 2:
            raise ArgError("for how long? /silence 1042 1h")
        duration = parse_duration_arg(tokens[1], "/silence 1042 30m")
        return SilenceArgs(int(tokens[0]), (), duration, _comment(tokens[2:]))
    matchers: list[Matcher] = []
    while tokens and (m := _matcher(tokens[0])) is not None:
        matchers.append(m)
        tokens = tokens[1:]
    if not matchers:
        raise ArgError(f"an incident id or matchers first: {_SILENCE_USAGE}")
    if all(m.matches({}) for m in matchers):
        raise ArgError("at least one matcher must not match everything: alertname=DataDrift")
    if not tokens:
        raise ArgError("for how long? /silence alertname=DataDrift 4h")
    duration = parse_duration_arg(tokens[0], "/silence alertname=DataDrift 4h")
    return SilenceArgs(None, tuple(matchers), duration, _comment(tokens[1:]))


def parse_incidents(tokens: list[str]) -> IncidentsArgs:
    """``/incidents [MATCHER …] [PAGE]``."""
    page = 1
    if tokens and tokens[-1].isascii() and tokens[-1].isdigit():
        page = int(tokens[-1]) if len(tokens[-1]) < 6 else 0
        tokens = tokens[:-1]
        if page < 1:
            raise ArgError("pages count from 1: /incidents severity=critical 2")
    matchers = []
    for token in tokens:
        m = _matcher(token)
        if m is None:
            raise ArgError(f"{token!r} is not a matcher: /incidents severity=critical")
        matchers.append(m)
    return IncidentsArgs(tuple(matchers), page)


def parse_since(token: str, now: datetime, example: str) -> datetime | None:
    """A duration back from now (``7d``) or a UTC date (``2025-03-01``); None if neither."""
    try:
        return now - parse_duration(token)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(token)
    except ValueError:
        return None
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if since > now:
        raise ArgError(f"that date is in the future: {example}")
    return since


def parse_history(tokens: list[str], now: datetime) -> HistoryArgs:
    """``/history [ALERTNAME] [SINCE]``."""
    example = "/history HighErrorRate 7d"
    if len(tokens) > 2:
        raise ArgError(f"at most an alert name and a since: {example}")
    alertname, since = None, None
    for token in tokens:
        found = parse_since(token, now, example)
        if found is not None and since is None:
            since = found
        elif alertname is None and re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", token):
            alertname = token
        else:
            raise ArgError(f"{token!r} is neither an alert name nor a since: {example}")
    return HistoryArgs(alertname, since or now - DEFAULT_SINCE)


def parse_stats(tokens: list[str], now: datetime) -> datetime:
    """``/stats [SINCE]``."""
    example = "/stats 7d"
    if len(tokens) > 1:
        raise ArgError(f"at most one since: {example}")
    if not tokens:
        return now - DEFAULT_SINCE
    since = parse_since(tokens[0], now, example)
    if since is None:
        raise ArgError(f"since is a duration (7d, 24h) or a date (2025-03-01): {example}")
    return since


_KINDS = {
    "deployment": TargetKind.DEPLOYMENT,
    "deploy": TargetKind.DEPLOYMENT,
    "statefulset": TargetKind.STATEFUL_SET,
    "sts": TargetKind.STATEFUL_SET,
    "daemonset": TargetKind.DAEMON_SET,
    "ds": TargetKind.DAEMON_SET,
}


@dataclass(frozen=True)
class TargetArgs:
    """``KIND/NAME [-n NAMESPACE]`` as kubectl writes it; no namespace: whichever fits."""

    kind: TargetKind
    name: str
    namespace: str | None


def parse_target(tokens: list[str], command: str) -> TargetArgs:
    """``deployment/model-api -n prod`` (kinds: deployment, statefulset, daemonset)."""
    example = f"/{command} deployment/model-api -n prod"
    rest = list(tokens)
    namespace = None
    if "-n" in rest:
        at = rest.index("-n")
        if at + 1 >= len(rest):
            raise ArgError(f"-n needs a namespace: {example}")
        namespace = rest[at + 1]
        del rest[at : at + 2]
        if (why := dns1123_label_problem(namespace)) is not None:
            raise ArgError(f"namespace {namespace!r} {why}: {example}")
    if len(rest) != 1 or "/" not in rest[0]:
        raise ArgError(f"which workload? {example}")
    kind_text, _, name = rest[0].partition("/")
    kind = _KINDS.get(kind_text.lower())
    if kind is None:
        raise ArgError(f"kind is deployment, statefulset or daemonset: {example}")
    if (why := dns1123_subdomain_problem(name)) is not None:
        raise ArgError(f"name {name!r} {why}: {example}")
    return TargetArgs(kind, name, namespace)


def parse_action_id(tokens: list[str], command: str) -> int:
    """``/approve ACTION_ID``, ``/reject ACTION_ID``."""
    if len(tokens) > 1:
        raise ArgError(f"one action at a time: /{command} 12")
    return _number(tokens[0] if tokens else None, "action id", f"/{command} 12")


def parse_nothing(tokens: list[str], command: str) -> bool:
    """Commands without arguments refuse stray ones rather than guess at them."""
    if tokens:
        raise ArgError(f"/{command} takes no arguments")
    return True
