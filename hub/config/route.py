"""Routing-tree and inhibition config, shaped like Alertmanager's route and inhibit_rules."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from hub.config.fatigue import NonNegativeDuration, PositiveDuration
from hub.config.types import StrictModel
from hub.model.quiet_hours import QuietHoursSpec
from hub.routing.matchers import MatcherList


class RouteConfig(StrictModel):
    """One node of the routing tree; unset knobs are inherited from the parent node."""

    model_config = ConfigDict(populate_by_name=True)

    receiver: str | None = None
    matchers: MatcherList = ()
    continue_: bool = Field(default=False, alias="continue")
    routes: list[RouteConfig] = []
    # Inherited like Alertmanager's route options. The group timers pace each receiver's
    # messages per Alertmanager group (``hub.pipeline.decisions.group_wait``); unset, a
    # message goes out at once, since Alertmanager already waited upstream.
    group_wait: NonNegativeDuration | None = None
    group_interval: PositiveDuration | None = None
    quiet_hours: QuietHoursSpec | None = None


class RootRouteConfig(RouteConfig):
    """The top of the tree: Alertmanager's checks on the root route, at load time."""

    @model_validator(mode="after")
    def _check_root(self) -> RootRouteConfig:
        if not self.receiver:
            raise ValueError("root route must specify a default receiver")
        if self.matchers:
            raise ValueError("root route must not have any matchers")
        if self.continue_:
            raise ValueError("cannot have continue in root route")
        return self


class InhibitRuleConfig(StrictModel):
    """Mute alerts matching ``target_matchers`` while one matching ``source_matchers`` fires."""

    source_matchers: MatcherList = ()
    target_matchers: MatcherList = ()
    equal: list[str] = []


def iter_route_receivers(route: RouteConfig) -> list[str]:
    """Every receiver the tree names, depth-first, for checking them against ``receivers``."""
    names = [route.receiver] if route.receiver else []
    for child in route.routes:
        names.extend(iter_route_receivers(child))
    return names
