"""Label-set helpers shared by the intake's and the hub's own group bodies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def common_labels(label_sets: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The pairs every set shares, as Alertmanager computes ``commonLabels``."""
    if not label_sets:
        return {}
    first, *rest = label_sets
    return {k: v for k, v in first.items() if all(ls.get(k) == v for ls in rest)}
