"""Inhibition as Alertmanager decides it (``inhibit/inhibit.go``), as a pure function."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hub.config.route import InhibitRuleConfig
from hub.routing.matchers import Matcher, all_match

Labels = Mapping[str, str]


@dataclass(frozen=True)
class InhibitRule:
    """While a source alert fires, mute targets that share its ``equal`` label values."""

    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: InhibitRuleConfig) -> InhibitRule:
        return cls(tuple(cfg.source_matchers), tuple(cfg.target_matchers), tuple(cfg.equal))

    def is_source(self, labels: Labels) -> bool:
        return all_match(self.source_matchers, labels)

    def is_target(self, labels: Labels) -> bool:
        return all_match(self.target_matchers, labels)

    def has_equal_labels(self, source: Labels, target: Labels) -> bool:
        """Whether every ``equal`` label has the same value; missing reads as ``""`` on both."""
        return all(source.get(name, "") == target.get(name, "") for name in self.equal)

    def is_inhibited_by(self, target: Labels, source: Labels) -> bool:
        """Whether this one firing alert mutes the target under this rule.

        Like Alertmanager, when the target matches both sides of the rule, sources
        that also match both sides are disregarded, so such alerts never mute one
        another (and an alert never mutes itself).
        """
        if not (self.is_target(target) and self.is_source(source)):
            return False
        if not self.has_equal_labels(source, target):
            return False
        return not (self.is_source(target) and self.is_target(source))


def build_inhibit_rules(configs: Iterable[InhibitRuleConfig]) -> tuple[InhibitRule, ...]:
    """Turn the ``inhibit_rules`` config into rules, keeping their order."""
    return tuple(InhibitRule.from_config(cfg) for cfg in configs)


def inhibited_by(
    rules: Iterable[InhibitRule], target_labels: Labels, firing_sources: Iterable[Labels]
) -> InhibitRule | None:
    """The first rule under which a firing alert mutes the target, or ``None``.

    ``firing_sources`` are the currently firing alerts (resolved ones must be left
    out by the caller); the target may be among them.
    """
    sources: Sequence[Labels] = list(firing_sources)
    for rule in rules:
        if not rule.is_target(target_labels):
            continue
        if any(rule.is_inhibited_by(target_labels, source) for source in sources):
            return rule
    return None
