"""Config of ``kubernetes:`` and ``remediation:`` (fixed key names); unknown keys are errors."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from hub.config.types import Duration, StrictModel
from hub.remediate.model import ACTION_KINDS, ActionKind, ActionMode, TargetKind
from hub.remediate.scale import ReplicaChange, parse_replicas
from hub.remediate.target import TargetTemplate, compile_template, dns1123_label_problem
from hub.routing.matchers import MatcherList
from hub.routing.re2 import Re2Error, compile_re2


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


class KubernetesConfig(StrictModel):
    """Cluster access; else ``KUBECONFIG`` or ``~/.kube/config``, else in-cluster."""

    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: PositiveDuration = timedelta(seconds=10)


class TargetConfig(StrictModel):
    """The object an action touches; ``namespace`` and ``name`` are templates over ``labels``."""

    kind: TargetKind
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)

    @field_validator("namespace", "name")
    @classmethod
    def _template(cls, value: str) -> str:
        compile_template(value)
        return value

    def compiled(self) -> TargetTemplate:
        return TargetTemplate(
            self.kind, compile_template(self.namespace), compile_template(self.name)
        )


def _namespace(value: str) -> str:
    if (problem := dns1123_label_problem(value)) is not None:
        raise ValueError(f"namespace {value!r} {problem}")
    return value


def _full_match_regex(value: str) -> str:
    try:
        compile_re2(f"^(?:{value})$")
    except Re2Error as exc:
        raise ValueError(f"bad regex {value!r}: {exc}") from None
    return value


class PolicyConfig(StrictModel):
    """One remediation policy: which alerts, which action on which allow-listed target, how."""

    name: str = Field(min_length=1, max_length=128)
    matchers: MatcherList = Field(min_length=1)
    action: ActionKind
    target: TargetConfig
    allowed_namespaces: list[Annotated[str, AfterValidator(_namespace)]] = Field(min_length=1)
    allowed_names: list[Annotated[str, AfterValidator(_full_match_regex)]] = Field(min_length=1)
    mode: ActionMode = ActionMode.APPROVAL
    cooldown: Duration = timedelta(minutes=15)
    approval_timeout: PositiveDuration = timedelta(minutes=15)
    rollout_timeout: PositiveDuration = timedelta(minutes=5)
    verify_window: PositiveDuration = timedelta(minutes=10)
    max_failures: int = Field(default=2, ge=1)
    # scale only
    replicas: str | None = None
    min_replicas: int | None = Field(default=None, ge=0)
    max_replicas: int | None = Field(default=None, ge=1)

    @field_validator("replicas", mode="before")
    @classmethod
    def _replicas_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML reads an unquoted +1 as the number 1: relative changes must be quoted.
            raise ValueError("write replicas as a quoted string: '3', '+1' or '-1'")  # noqa: TRY004
        if isinstance(value, str):
            parse_replicas(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PolicyConfig:
        if self.target.kind not in ACTION_KINDS[self.action]:
            kinds = ", ".join(sorted(k.value for k in ACTION_KINDS[self.action]))
            raise ValueError(f"target.kind: {self.action.value} acts on {kinds}")
        scale_keys = ("replicas", "min_replicas", "max_replicas")
        if self.action is not ActionKind.SCALE:
            for key in scale_keys:
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: only the scale action takes {key}")
            return self
        for key in ("replicas", "max_replicas"):
            if getattr(self, key) is None:
                raise ValueError(f"{key}: the scale action needs {key}")
        low, high = self.min_replicas or 0, self.max_replicas or 0
        if low > high:
            raise ValueError(f"min_replicas: {low} is above max_replicas {high}")
        return self

    @cached_property
    def target_template(self) -> TargetTemplate:
        return self.target.compiled()

    @cached_property
    def name_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(compile_re2(f"^(?:{p})$") for p in self.allowed_names)

    @cached_property
    def replica_change(self) -> ReplicaChange | None:
        return parse_replicas(self.replicas) if self.replicas is not None else None


class RemediationConfig(StrictModel):
    """The kill switch, dry run, the hourly budget and the policies."""

    enabled: bool = True
    dry_run: bool = False
    max_actions_per_hour: int = Field(default=20, ge=0)
    policies: list[PolicyConfig] = []

    @model_validator(mode="after")
    def _unique_names(self) -> RemediationConfig:
        names = [p.name for p in self.policies]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"policies[{i}].name: duplicate policy {name!r}")
        return self

    def policy(self, name: str) -> PolicyConfig | None:
        return next((p for p in self.policies if p.name == name), None)
