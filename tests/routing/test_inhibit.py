"""Inhibition decisions, case by case, with Alertmanager's semantics."""

from __future__ import annotations

import pytest

from hub.config.route import InhibitRuleConfig
from hub.routing.inhibit import InhibitRule, build_inhibit_rules, inhibited_by


def _rule(source: list[str], target: list[str], equal: list[str] | None = None) -> InhibitRule:
    cfg = InhibitRuleConfig.model_validate(
        {"source_matchers": source, "target_matchers": target, "equal": equal or []}
    )
    return InhibitRule.from_config(cfg)


CRIT_MUTES_WARN = _rule(['severity="critical"'], ['severity="warning"'], ["cluster", "alertname"])
NODE_DOWN = _rule(["alertname=NodeDown"], ['alertname!="NodeDown"'], ["node"])
CRIT_MUTES_ALL = _rule(['severity="critical"'], ['severity=~"critical|warning"'], ["cluster"])

_NO_EQUAL = _rule(["a=1"], ["b=2"])
WARN = {"alertname": "Disk", "severity": "warning", "cluster": "a"}
CRIT = {"alertname": "Disk", "severity": "critical", "cluster": "a"}

CASES: list[
    tuple[str, list[InhibitRule], dict[str, str], list[dict[str, str]], InhibitRule | None]
] = [
    ("muted", [CRIT_MUTES_WARN], WARN, [CRIT], CRIT_MUTES_WARN),
    ("no-sources", [CRIT_MUTES_WARN], WARN, [], None),
    ("source-not-matching", [CRIT_MUTES_WARN], WARN, [WARN | {"severity": "info"}], None),
    ("target-not-matching", [CRIT_MUTES_WARN], CRIT, [CRIT], None),
    ("equal-differs", [CRIT_MUTES_WARN], WARN, [CRIT | {"cluster": "b"}], None),
    (
        "equal-missing-on-both",
        [CRIT_MUTES_WARN],
        {"alertname": "Disk", "severity": "warning"},
        [{"alertname": "Disk", "severity": "critical"}],
        CRIT_MUTES_WARN,
    ),
    (
        "equal-missing-on-one",
        [CRIT_MUTES_WARN],
        {"alertname": "Disk", "severity": "warning"},
        [CRIT],
        None,
    ),
    (
        "equal-empty-is-missing",
        [CRIT_MUTES_WARN],
        WARN | {"cluster": ""},
        [{"alertname": "Disk", "severity": "critical"}],
        CRIT_MUTES_WARN,
    ),
    ("no-equal-labels", [_NO_EQUAL], {"b": "2"}, [{"a": "1"}], _NO_EQUAL),
    ("self-is-not-source", [CRIT_MUTES_ALL], CRIT, [CRIT], None),
    ("two-sided-alerts-spare-each-other", [CRIT_MUTES_ALL], CRIT, [CRIT | {"x": "1"}], None),
    ("one-sided-source-still-mutes", [CRIT_MUTES_ALL], WARN, [CRIT, WARN], CRIT_MUTES_ALL),
    (
        "node-down-mutes-others",
        [CRIT_MUTES_WARN, NODE_DOWN],
        {"alertname": "HighLoad", "node": "n1", "severity": "critical"},
        [{"alertname": "NodeDown", "node": "n1"}],
        NODE_DOWN,
    ),
    (
        "node-down-other-node",
        [NODE_DOWN],
        {"alertname": "HighLoad", "node": "n2"},
        [{"alertname": "NodeDown", "node": "n1"}],
        None,
    ),
    ("first-rule-wins", [CRIT_MUTES_WARN, CRIT_MUTES_ALL], WARN, [CRIT], CRIT_MUTES_WARN),
]


@pytest.mark.parametrize(
    ("rules", "target", "sources", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_inhibited_by(
    rules: list[InhibitRule],
    target: dict[str, str],
    sources: list[dict[str, str]],
    expected: InhibitRule | None,
) -> None:
    assert inhibited_by(rules, target, sources) is expected


def test_sources_may_be_a_generator() -> None:
    rules = [CRIT_MUTES_ALL, CRIT_MUTES_WARN]
    assert inhibited_by(rules, WARN, (s for s in [CRIT])) is CRIT_MUTES_ALL


def test_build_inhibit_rules_keeps_order() -> None:
    cfgs = [
        InhibitRuleConfig.model_validate({"source_matchers": ["a=1"], "target_matchers": ["b=2"]}),
        InhibitRuleConfig.model_validate({"target_matchers": ["{c=~3, d!=4}"], "equal": ["e"]}),
    ]
    rules = build_inhibit_rules(cfgs)
    assert [str(m) for m in rules[1].target_matchers] == ['c=~"3"', 'd!="4"']
    assert rules[1].source_matchers == ()
    assert rules[1].equal == ("e",)
