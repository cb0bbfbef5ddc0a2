"""``kubernetes:`` and ``remediation:`` config: the issue's key names, errors by YAML path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from hub.config.loader import ConfigError, parse_config
from hub.remediate.model import ActionKind, ActionMode, TargetKind
from hub.remediate.scale import ReplicaChange

BASE: dict[str, Any] = {
    "intake": {"allow_unauthenticated": True},
    "api": {"allow_unauthenticated": True},
}
EXAMPLE = """
kubernetes:
  kubeconfig: /etc/alerthub/kubeconfig
remediation:
  enabled: true            # kill switch; also paused/resumed at run time
  dry_run: false           # decide and record everything, call nothing
  max_actions_per_hour: 20
  policies:
    - name: restart-model-api
      matchers: ['alertname="ModelServiceDown"']   # Alertmanager matcher syntax
      action: rollout_restart
      target: {kind: Deployment, namespace: "{{ labels.namespace }}",
               name: "{{ labels.deployment }}"}
      allowed_namespaces: [prod, staging]
      allowed_names: ['model-.*']                  # full match
      mode: approval          # auto | approval | suggest
      cooldown: 15m           # per target
      approval_timeout: 15m
      rollout_timeout: 5m
      verify_window: 10m
      max_failures: 2         # circuit breaker, per target
"""


def policy(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "p",
        "matchers": ['alertname="X"'],
        "action": "rollout_restart",
        "target": {"kind": "Deployment", "namespace": "prod", "name": "model-api"},
        "allowed_namespaces": ["prod"],
        "allowed_names": ["model-.*"],
    }
    return {**base, **changes}


def load(remediation: dict[str, Any], **extra: Any) -> Any:
    return parse_config(yaml.safe_dump({**BASE, "remediation": remediation, **extra}), env={})


def test_issue_example_loads() -> None:
    text = yaml.safe_dump(BASE) + EXAMPLE
    config = parse_config(text, env={}).config
    assert config.kubernetes.kubeconfig == "/etc/alerthub/kubeconfig"
    p = config.remediation.policies[0]
    assert (p.action, p.mode, p.target.kind) == (
        ActionKind.ROLLOUT_RESTART,
        ActionMode.APPROVAL,
        TargetKind.DEPLOYMENT,
    )
    assert (p.cooldown, p.rollout_timeout, p.verify_window) == (
        timedelta(minutes=15),
        timedelta(minutes=5),
        timedelta(minutes=10),
    )
    assert config.remediation.policy("restart-model-api") is p
    assert config.remediation.policy("nope") is None


def test_defaults_without_sections() -> None:
    config = parse_config(yaml.safe_dump(BASE), env={}).config
    assert config.remediation.policies == []
    assert config.kubernetes.kubeconfig is None


def test_scale_policy() -> None:
    p = policy(action="scale", replicas="+1", min_replicas=2, max_replicas=6)
    loaded = load({"policies": [p]}).config.remediation.policies[0]
    assert loaded.replica_change == ReplicaChange(1, relative=True)


ERROR_CASES = [
    ("unknown-key", {"policies": [policy(cooldwn="5m")]},
     "remediation.policies[0].cooldwn: Extra inputs are not permitted"),
    ("unknown-action", {"policies": [policy(action="reboot")]},
     "remediation.policies[0].action: Input should be 'rollout_restart', 'delete_pod', 'scale'"
     " or 'create_job'"),
    ("kind-for-action", {"policies": [policy(action="delete_pod")]},
     "remediation.policies[0]: target.kind: delete_pod acts on Pod"),
    ("bad-template", {"policies": [policy(target={"kind": "Deployment", "namespace": "prod",
                                                  "name": "{{ labels.x "})]},
     "remediation.policies[0].target.name: template syntax error: unexpected end of template,"
     " expected 'end of print statement'."),
    ("bad-namespace", {"policies": [policy(allowed_namespaces=["Prod"])]},
     "remediation.policies[0].allowed_namespaces[0]: namespace 'Prod' must be lower-case"
     " letters, digits and '-', starting and ending alphanumeric"),
    ("empty-allow-list", {"policies": [policy(allowed_namespaces=[])]},
     "remediation.policies[0].allowed_namespaces: List should have at least 1 item after"
     " validation, not 0"),
    ("bad-regex", {"policies": [policy(allowed_names=["model-("])]},
     "remediation.policies[0].allowed_names[0]: bad regex 'model-('"),
    ("bad-matcher", {"policies": [policy(matchers=['alertname=~"("'])]},
     "remediation.policies[0].matchers"),
    ("bad-mode", {"policies": [policy(mode="yolo")]},
     "remediation.policies[0].mode: Input should be 'auto', 'approval' or 'suggest'"),
    ("bad-duration", {"policies": [policy(cooldown=15)]},
     "remediation.policies[0].cooldown: durations are written with a unit"),
    ("zero-timeout", {"policies": [policy(rollout_timeout="0s")]},
     "remediation.policies[0].rollout_timeout: must be longer than 0s"),
    ("replicas-unquoted", {"policies": [policy(action="scale", replicas=1, max_replicas=3)]},
     "remediation.policies[0].replicas: write replicas as a quoted string: '3', '+1' or '-1'"),
    ("replicas-garbage", {"policies": [policy(action="scale", replicas="x2", max_replicas=3)]},
     "remediation.policies[0].replicas: replicas 'x2' must be a count ('3') or a change"),
    ("scale-needs-max", {"policies": [policy(action="scale", replicas="+1")]},
     "remediation.policies[0]: max_replicas: the scale action needs max_replicas"),
    ("scale-bounds", {"policies": [policy(action="scale", replicas="+1", min_replicas=4,
                                          max_replicas=3)]},
     "remediation.policies[0]: min_replicas: 4 is above max_replicas 3"),
    ("scale-keys-elsewhere", {"policies": [policy(max_replicas=3)]},
     "remediation.policies[0]: max_replicas: only the scale action takes max_replicas"),
    ("duplicate-names", {"policies": [policy(), policy()]},
     "remediation: policies[1].name: duplicate policy 'p'"),
    ("negative-budget", {"max_actions_per_hour": -1},
     "remediation.max_actions_per_hour: Input should be greater than or equal to 0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("remediation", "message"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_errors_name_the_yaml_path(remediation: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(remediation)
    assert any(e.startswith(message) for e in caught.value.errors), caught.value.errors


def test_kubernetes_unknown_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load({}, kubernetes={"kubeconfig": "/x", "cluster": "y"})
    assert caught.value.errors == ["kubernetes.cluster: Extra inputs are not permitted"]
