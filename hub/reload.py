"""Reload the config without a restart, as Alertmanager does (SIGHUP or ``POST /-/reload``).

``ConfigReloader`` reads the file again; a valid config is handed to each applier (the
delivery wiring swaps its handlers, so it takes effect for the next flush) and logged with
a summary; an invalid one is refused with its errors and the running config stays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from hub.clock import Clock
from hub.config.loader import ConfigError, load_config
from hub.config.models import HubConfig
from hub.config.route import RouteConfig, iter_route_receivers
from hub.enrich.runbooks import RunbookIndexHolder
from hub.metrics import HubMetrics

log = logging.getLogger(__name__)
Applier = Callable[[HubConfig], Awaitable[None]]
V = TypeVar("V")

RESTART_ONLY = (
    "server",
    "database",
    "intake",
    "api",
    "logging",
    "delivery",
    "alertmanager",
    "runbooks_dir",
    "kubernetes",
    "telegram_bot",
)
"""Sections read once at start-up: a reload that changes them says a restart is needed."""


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: applied with a summary, or refused with the config's errors."""

    ok: bool
    errors: tuple[str, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)


def _route_count(route: RouteConfig | None) -> int:
    return 0 if route is None else 1 + sum(_route_count(child) for child in route.routes)


def summarize(old: HubConfig, new: HubConfig) -> dict[str, Any]:
    """What the new config holds, which sections changed, and which of those need a restart."""
    old_dump, new_dump = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = sorted(key for key in new_dump if old_dump.get(key) != new_dump.get(key))
    restart = [key for key in changed if key in RESTART_ONLY]
    if old.fatigue.group_window != new.fatigue.group_window:
        restart.append("fatigue.group_window")
    if new.remediation.policies and not old.remediation.policies:
        restart.append("remediation.policies")  # cluster access is opened at start-up
    channels = sum(
        len(r.telegram_configs) + len(r.email_configs) + len(r.slack_configs) for r in new.receivers
    )
    return {
        "receivers": len(new.receivers),
        "channels": channels,
        "routes": _route_count(new.route),
        "routed_receivers": sorted(set(iter_route_receivers(new.route))) if new.route else [],
        "inhibit_rules": len(new.inhibit_rules),
        "changed": changed,
        "restart_needed": restart,
    }


class ConfigReloader:
    """Holds the running config and swaps it whole on a valid reload; one reload at a time."""

    def __init__(
        self, config: HubConfig, path: str | Path | None, metrics: HubMetrics, clock: Clock
    ) -> None:
        self.current = config
        self._path = path
        self._metrics = metrics
        self._clock = clock
        self._appliers: list[Applier] = []
        self._lock = asyncio.Lock()
        metrics.config_last_reload_successful.set(1)
        metrics.config_last_reload_success_time.set(clock().timestamp())

    def on_reload(self, applier: Applier) -> None:
        """Call ``applier`` with every valid new config, before it becomes ``current``."""
        self._appliers.append(applier)

    async def reload(self) -> ReloadResult:
        """Read the file again and apply it, or refuse it and keep the running config."""
        async with self._lock:
            if self._path is None:
                return self._refused(["the hub was started without a config file"])
            try:
                loaded = await asyncio.to_thread(load_config, self._path)
            except ConfigError as exc:
                return self._refused(exc.errors)
            for warning in loaded.warnings:
                log.warning("config_warning", extra={"warning": warning})
            summary = summarize(self.current, loaded.config)
            for applier in self._appliers:
                await applier(loaded.config)
            self.current = loaded.config
            self._metrics.config_last_reload_successful.set(1)
            self._metrics.config_last_reload_success_time.set(self._clock().timestamp())
            log.info("config_reloaded", extra=summary)
            if summary["restart_needed"]:
                log.warning("config_restart_needed", extra={"sections": summary["restart_needed"]})
            return ReloadResult(ok=True, summary=summary)

    def _refused(self, errors: list[str]) -> ReloadResult:
        self._metrics.config_last_reload_successful.set(0)
        for error in errors:
            log.error("config_invalid", extra={"detail": error})
        log.error("config_reload_failed", extra={"errors": len(errors), "kept": "running config"})
        return ReloadResult(ok=False, errors=tuple(errors))


async def reload_runbooks(holder: RunbookIndexHolder) -> None:
    """SIGHUP: re-index the runbooks; a directory with any error keeps the current index."""
    index = await holder.reload()
    for problem in index.errors:
        log.error("runbook_invalid", extra={"detail": problem})
    if index.errors:
        log.error(
            "runbooks_reload_failed",
            extra={"invalid": len(index.errors), "kept": len(holder.current.runbooks)},
        )
    else:
        log.info("runbooks_reloaded", extra={"runbooks": len(index.runbooks)})


class LiveMapping(Mapping[str, V], Generic[V]):
    """A mapping whose contents a reload swaps whole; readers look up per use."""

    def __init__(self, items: Mapping[str, V]) -> None:
        self._items = dict(items)

    def swap(self, items: Mapping[str, V]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
