"""The routing tree and Alertmanager's ``Route.Match`` walk over it (``dispatch/route.go``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from hub.config.route import RouteConfig
from hub.model.quiet_hours import QuietHours
from hub.routing.matchers import Matcher, all_match


@dataclass(frozen=True)
class Route:
    """A routing-tree node with every inherited option resolved."""

    receiver: str
    matchers: tuple[Matcher, ...]
    continue_: bool
    routes: tuple[Route, ...]
    group_wait: timedelta | None = None
    group_interval: timedelta | None = None
    quiet_hours: QuietHours | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether this node's own matchers accept the labels (the root accepts anything)."""
        return all_match(self.matchers, labels)


def _build(cfg: RouteConfig, parent: RouteConfig) -> Route:
    """Build one node; ``parent`` already carries the options resolved above this node."""
    resolved = cfg.model_copy(
        update={
            "receiver": cfg.receiver or parent.receiver,
            "group_wait": parent.group_wait if cfg.group_wait is None else cfg.group_wait,
            "group_interval": (
                parent.group_interval if cfg.group_interval is None else cfg.group_interval
            ),
            "quiet_hours": parent.quiet_hours if cfg.quiet_hours is None else cfg.quiet_hours,
        }
    )
    if not resolved.receiver:
        raise ValueError("root route must specify a default receiver")
    return Route(
        receiver=resolved.receiver,
        matchers=tuple(cfg.matchers),
        continue_=cfg.continue_,
        routes=tuple(_build(child, resolved) for child in cfg.routes),
        group_wait=resolved.group_wait,
        group_interval=resolved.group_interval,
        quiet_hours=resolved.quiet_hours,
    )


def build_route_tree(cfg: RouteConfig) -> Route:
    """Resolve a route config into a tree whose children know their inherited options."""
    return _build(cfg, RouteConfig())


def match_routes(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """Alertmanager's ``Route.Match``: the deepest matching nodes, in tree order.

    A child that matches stops the search among its siblings unless it has
    ``continue``; a node none of whose children match is itself the result.
    Duplicates are kept, as Alertmanager (and amtool) keep them.
    """
    if not route.matches(labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        matched = match_routes(child, labels)
        found.extend(matched)
        if matched and not child.continue_:
            break
    return found or [route]


def match_receivers(root: Route, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with these labels goes to, in tree order, each once."""
    return list(dict.fromkeys(route.receiver for route in match_routes(root, labels)))


def format_routes_test(receivers: Sequence[str]) -> str:
    """Print receivers like ``amtool config routes test``: comma-separated, no spaces."""
    return ",".join(receivers)
