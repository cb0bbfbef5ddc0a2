"""Runbooks as code: ``runbooks/<AlertName>.md`` with YAML front matter, indexed and rendered.

The front matter says which alerts a runbook is for, who owns it, which logs to show and
which remediation actions are allowed later; the Markdown body says what a responder does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import nh3
import yaml
from jinja2 import Environment
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import Field, ValidationError, field_validator, model_validator

from hub.config.types import StrictModel
from hub.enrich.logql import LogQLTemplateError, check_logql_template
from hub.routing.matchers import Matcher, check_matcher_strings, parse_matchers

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
_ACTION_KINDS = ("rollout_restart", "delete_pod", "scale")
Severity = Literal["critical", "warning", "info"]


class DashboardLink(StrictModel):
    """A dashboard a responder should open, shown as a link titled ``title``."""

    title: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http:// or https:// URL")
        return value


class _ActionBase(StrictModel):
    """Targets are templates over the alert's labels, e.g. ``{{ labels.deployment }}``."""

    target: str = Field(min_length=1)
    namespace: str = "{{ labels.namespace }}"
    description: str | None = None


class RolloutRestartAction(_ActionBase):
    """``kubectl rollout restart deployment/<target>``."""

    kind: Literal["rollout_restart"]


class DeletePodAction(_ActionBase):
    """``kubectl delete pod <target>`` (its controller recreates it)."""

    kind: Literal["delete_pod"]


class ScaleAction(_ActionBase):
    """``kubectl scale deployment/<target> --replicas=<replicas>``."""

    kind: Literal["scale"]
    replicas: int = Field(ge=0, le=1000)


RunbookAction = Annotated[
    RolloutRestartAction | DeletePodAction | ScaleAction, Field(discriminator="kind")
]


class RunbookFrontMatter(StrictModel):
    """The YAML block at the top of a runbook."""

    alert: str | None = None
    matchers: list[str] = []
    severity: Severity
    owner: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    loki_query: str | None = None
    dashboards: list[DashboardLink] = []
    actions: list[RunbookAction] = []

    _valid_matchers = field_validator("matchers")(check_matcher_strings)

    @field_validator("loki_query")
    @classmethod
    def _valid_query(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_logql_template(value)
            except LogQLTemplateError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _selects_alerts(self) -> RunbookFrontMatter:
        if not self.alert and not self.matchers:
            raise ValueError("set alert (the alert name) or matchers")
        return self


@dataclass(frozen=True)
class Runbook:
    """One parsed runbook; ``name`` is the file name without ``.md`` and its URL path."""

    name: str
    front: RunbookFrontMatter
    body: str
    source: str
    matchers: tuple[Matcher, ...] = field(default=(), compare=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether this runbook is for an alert with ``labels``."""
        if self.front.alert and labels.get("alertname") != self.front.alert:
            return False
        return all(m.matches(labels) for m in self.matchers)

    @property
    def specificity(self) -> int:
        """More conditions win when several runbooks match."""
        return len(self.matchers) + (1 if self.front.alert else 0)


def _format_loc(loc: Sequence[int | str], error_type: str) -> str:
    out = "front matter"
    parts = list(loc)
    for i, part in enumerate(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _ACTION_KINDS and i > 0 and isinstance(parts[i - 1], int):
            continue  # the discriminated union's branch name, not a field
        else:
            out += f".{part}"
    if error_type in {"union_tag_invalid", "union_tag_not_found"}:
        out += ".kind"
    return out


def _split_front_matter(text: str) -> tuple[Any, str]:
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        raise ValueError("front matter: missing (the file must start with a --- YAML block ---)")
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("front matter: must be a YAML mapping")  # noqa: TRY004
    return data, text[match.end() :]


def parse_runbook(name: str, text: str) -> tuple[Runbook | None, list[str]]:
    """Parse one runbook's text; errors are ``front matter.<field>: message`` strings."""
    if not _NAME_RE.match(name):
        return None, [f"file name {name!r} must be letters, digits, '.', '_' or '-'"]
    try:
        data, body = _split_front_matter(text)
    except ValueError as exc:
        return None, [str(exc)]
    try:
        front = RunbookFrontMatter.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            msg = err["msg"].removeprefix("Value error, ")
            errors.append(f"{_format_loc(err['loc'], err['type'])}: {msg}")
        return None, errors
    matchers = tuple(m for text_ in front.matchers for m in parse_matchers(text_))
    return Runbook(name=name, front=front, body=body, source=text, matchers=matchers), []


@dataclass(frozen=True)
class RunbookIndex:
    """All runbooks of a directory, by name, with the errors of the files that did not load."""

    runbooks: Mapping[str, Runbook] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @classmethod
    def load(cls, directory: str | Path) -> RunbookIndex:
        """Read every ``*.md`` in ``directory`` (blocking: call it via ``asyncio.to_thread``)."""
        root = Path(directory)
        if not root.is_dir():
            return cls(errors=(f"{root}: not a directory",))
        runbooks: dict[str, Runbook] = {}
        errors: list[str] = []
        for path in sorted(root.glob("*.md")):
            shown = f"{directory}/{path.name}" if str(directory) else path.name
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(f"{shown}: cannot read: {exc}")
                continue
            runbook, file_errors = parse_runbook(path.stem, text)
            errors.extend(f"{shown}: {e}" for e in file_errors)
            if runbook is not None:
                runbooks[runbook.name] = runbook
        errors.extend(_duplicate_selectors(runbooks.values(), str(directory)))
        return cls(runbooks=runbooks, errors=tuple(errors))

    def get(self, name: str) -> Runbook | None:
        """The runbook called ``name`` (its file name without ``.md``)."""
        return self.runbooks.get(name)

    def find(self, labels: Mapping[str, str]) -> Runbook | None:
        """The most specific runbook for an alert with ``labels`` (ties: by name)."""
        matching = [r for r in self.runbooks.values() if r.matches(labels)]
        if not matching:
            return None
        return min(matching, key=lambda r: (-r.specificity, r.name))


class RunbookIndexHolder:
    """The live index: app state cannot be replaced once started, so reloads swap ``current``.

    Readers take ``current`` once per request or message and so never see half an index.
    A reload that finds any error keeps the index it has, as Prometheus keeps its rules
    when a reloaded file is broken: one bad edit must not drop every runbook's link.
    """

    def __init__(self, directory: str | Path, index: RunbookIndex | None = None) -> None:
        self.directory = directory
        self.current = index if index is not None else RunbookIndex()
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, directory: str | Path) -> RunbookIndexHolder:
        """The start-up load: every valid runbook, even when other files have errors."""
        return cls(directory, await asyncio.to_thread(RunbookIndex.load, directory))

    async def reload(self) -> RunbookIndex:
        """Re-read the directory; swap ``current`` only when the new index has no errors."""
        async with self._lock:
            index = await asyncio.to_thread(RunbookIndex.load, self.directory)
            if not index.errors:
                self.current = index
            return index


def _duplicate_selectors(runbooks: Iterable[Runbook], directory: str) -> list[str]:
    seen: dict[tuple[str | None, tuple[str, ...]], str] = {}
    errors = []
    for runbook in runbooks:
        key = (runbook.front.alert, tuple(sorted(runbook.front.matchers)))
        if key in seen:
            errors.append(
                f"{directory}/{runbook.name}.md: front matter: selects the same alerts as"
                f" {seen[key]}.md"
            )
        else:
            seen[key] = runbook.name
    return errors


_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
_PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ name }} · runbook</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem}
pre,code{background:#f4f4f4;font-size:.9em}pre{padding:.75rem;overflow-x:auto}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}
.meta{color:#555}.sev-critical{color:#b00020}.sev-warning{color:#a15c00}
</style></head><body>
<p><a href="./">All runbooks</a> · <a href="?format=md">Markdown source</a></p>
<h1>{{ name }}</h1>
<p><strong class="sev-{{ front.severity }}">{{ front.severity }}</strong> · {{ front.summary }}</p>
<p class="meta">Owner: {{ front.owner }}
{%- if front.alert %} · Alert: <code>{{ front.alert }}</code>{% endif %}
{%- for m in front.matchers %} · <code>{{ m }}</code>{% endfor %}</p>
{%- if front.dashboards %}
<p>Dashboards: {% for d in front.dashboards -%}
<a href="{{ d.url }}" rel="noopener noreferrer">{{ d.title }}</a>
{%- if not loop.last %} · {% endif %}
{%- endfor %}</p>
{%- endif %}
{%- if front.loki_query %}
<p class="meta">Logs: <code>{{ front.loki_query }}</code></p>
{%- endif %}
<hr>
{{ body }}
</body></html>
"""
)


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to embed: rendered, then sanitised by nh3."""
    return nh3.clean(_MARKDOWN.render(text))


def render_runbook_html(runbook: Runbook) -> str:
    """A small readable HTML page for ``runbook``; nothing in it can run script."""
    body = Markup(render_markdown(runbook.body))  # noqa: S704 (sanitised by nh3 above)
    return _PAGE.render(name=runbook.name, front=runbook.front, body=body)
