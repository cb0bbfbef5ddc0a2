"""Render a policy's target from an alert's labels in a sandbox, and check the names.

Templates see only ``labels``; anything else (attributes of Python objects, globals,
undefined labels) is an error, and a rendered name that Kubernetes would not accept is
refused before any call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from hub.remediate.model import Target, TargetKind

# RFC 1123 label (namespaces) and subdomain (object names), as Kubernetes validates them.
_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.globals.clear()  # no range(), dict(), lipsum(), ...: labels are the only input
    return env


_ENV = _environment()


def compile_template(text: str) -> jinja2.Template:
    """Compile a target template; raises ``ValueError`` naming the syntax problem."""
    try:
        return _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error: {exc.message}") from None


def dns1123_label_problem(value: str) -> str | None:
    """Why ``value`` is not a valid namespace (RFC 1123 label), or None."""
    if not value:
        return "is empty"
    if len(value) > LABEL_MAX:
        return f"is longer than {LABEL_MAX} characters"
    if not _LABEL_RE.fullmatch(value):
        return "must be lower-case letters, digits and '-', starting and ending alphanumeric"
    return None


def dns1123_subdomain_problem(value: str) -> str | None:
    """Why ``value`` is not a valid object name (RFC 1123 subdomain), or None."""
    if not value:
        return "is empty"
    if len(value) > SUBDOMAIN_MAX:
        return f"is longer than {SUBDOMAIN_MAX} characters"
    if not _SUBDOMAIN_RE.fullmatch(value):
        return "must be lower-case letters, digits, '-' and '.', starting and ending alphanumeric"
    return None


@dataclass(frozen=True)
class TargetTemplate:
    """A policy's target with its namespace and name as compiled templates."""

    kind: TargetKind
    namespace: jinja2.Template
    name: jinja2.Template


@dataclass(frozen=True)
class RenderedTarget:
    """The outcome of rendering: a valid target, or why there is none (and what was rendered)."""

    target: Target | None
    problem: str | None = None
    namespace: str = ""
    name: str = ""


def render_target(template: TargetTemplate, labels: Mapping[str, str]) -> RenderedTarget:
    """Render the target for one alert; never raises for bad labels, it reports them."""
    try:
        namespace = template.namespace.render(labels=dict(labels)).strip()
        name = template.name.render(labels=dict(labels)).strip()
    except jinja2.UndefinedError as exc:
        return RenderedTarget(None, f"template: {exc.message}")
    except jinja2.TemplateError as exc:  # sandbox violations are SecurityError, a TemplateError
        return RenderedTarget(None, f"template: {exc}")
    if (problem := dns1123_label_problem(namespace)) is not None:
        return RenderedTarget(None, f"namespace {namespace!r} {problem}", namespace, name)
    if (problem := dns1123_subdomain_problem(name)) is not None:
        return RenderedTarget(None, f"name {name!r} {problem}", namespace, name)
    return RenderedTarget(Target(template.kind, namespace, name), None, namespace, name)
