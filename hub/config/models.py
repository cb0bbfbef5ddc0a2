"""The hub's YAML config as pydantic models: unknown keys are errors."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.config.bot import TelegramBotConfig
from hub.config.enrich import GrafanaConfig, LokiConfig
from hub.config.fatigue import FatigueConfig
from hub.config.receivers import ReceiverConfig
from hub.config.route import InhibitRuleConfig, RootRouteConfig, RouteConfig
from hub.config.types import Duration, HttpUrl, StrictModel, TimeZoneName
from hub.remediate.config import KubernetesConfig, RemediationConfig

DEFAULT_LISTEN = "127.0.0.1:9880"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///alerthub.db"


class ServerConfig(StrictModel):
    """Where the hub listens and how it stops."""

    listen: str = DEFAULT_LISTEN
    shutdown_timeout: Duration = timedelta(seconds=10)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        split_listen(value)
        return value


class DatabaseConfig(StrictModel):
    """The store: SQLite file by default, PostgreSQL for production and HA."""

    url: str = DEFAULT_DATABASE_URL
    auto_migrate: bool = True
    busy_timeout: Duration = timedelta(seconds=5)
    pool_size: int = Field(default=10, ge=1, le=200)

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must be a sqlite+aiosqlite:// or postgresql+asyncpg:// SQLAlchemy URL"
            )
        return value


class IntakeConfig(StrictModel):
    """The webhook endpoint's guard rails."""

    token: SecretStr | None = None
    allow_unauthenticated: bool = False
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    commit_timeout: Duration = timedelta(seconds=5)
    max_batch: int = Field(default=256, ge=1)


class ApiConfig(StrictModel):
    """The history/query API's guard rails."""

    token: SecretStr | None = None
    allow_unauthenticated: bool = False


class LoggingConfig(StrictModel):
    """Log level; output is always JSON lines on stderr."""

    level: str = "info"

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()


class DeliveryConfig(StrictModel):
    """The outbox worker: how often it looks, how hard it retries, how much runs at once."""

    poll_interval: Duration = timedelta(milliseconds=500)
    batch_size: int = Field(default=100, ge=1, le=1000)
    lease: Duration = timedelta(seconds=60)
    max_attempts: int = Field(default=12, ge=1)
    backoff_base: Duration = timedelta(seconds=2)
    backoff_max: Duration = timedelta(minutes=5)
    per_channel_concurrency: int = Field(default=8, ge=1)
    send_timeout: Duration = timedelta(seconds=15)


class AlertmanagerLinkConfig(StrictModel):
    """The Alertmanager the hub mirrors silences into (API v2)."""

    url: HttpUrl
    timeout: Duration = timedelta(seconds=5)


class ReportsConfig(StrictModel):
    """The evidence the noise report needs before it gives advice for an alert."""

    advice_min_episodes: int = Field(default=5, ge=1)
    advice_min_history: Duration = timedelta(days=7)


class HubConfig(StrictModel):
    """The whole config file."""

    external_url: HttpUrl = "http://127.0.0.1:9880"
    time_zone: TimeZoneName = "UTC"  # clock times in messages (since, acked at, log lines)
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    intake: IntakeConfig = IntakeConfig()
    api: ApiConfig = ApiConfig()
    logging: LoggingConfig = LoggingConfig()
    route: RootRouteConfig | None = None
    receivers: list[ReceiverConfig] = []
    inhibit_rules: list[InhibitRuleConfig] = []
    delivery: DeliveryConfig = DeliveryConfig()
    loki: LokiConfig | None = None
    grafana: GrafanaConfig | None = None
    runbooks_dir: str = "runbooks"
    fatigue: FatigueConfig = FatigueConfig()
    alertmanager: AlertmanagerLinkConfig | None = None
    reports: ReportsConfig = ReportsConfig()
    telegram_bot: TelegramBotConfig | None = None
    kubernetes: KubernetesConfig = KubernetesConfig()
    remediation: RemediationConfig = RemediationConfig()

    @property
    def tz(self) -> ZoneInfo:
        """The zone every clock time in a message is shown in."""
        return ZoneInfo(self.time_zone)

    @model_validator(mode="after")
    def _tokens_or_explicit_opt_out(self) -> HubConfig:
        if self.intake.token is None and not self.intake.allow_unauthenticated:
            raise ValueError(
                "intake.token: no intake token; set ALERTHUB_INTAKE_TOKEN or"
                " intake.allow_unauthenticated: true"
            )
        if self.api.token is None and not self.api.allow_unauthenticated:
            raise ValueError(
                "api.token: no API token; set ALERTHUB_API_TOKEN or api.allow_unauthenticated: true"
            )
        self._check_receivers()
        if self.telegram_bot is not None and (
            problems := self.telegram_bot.problems("telegram_bot")
        ):
            raise ValueError("; ".join(problems))
        return self

    def _check_receivers(self) -> None:
        names = [r.name for r in self.receivers]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"receivers[{i}].name: duplicate receiver {name!r}")
        escalation = self.fatigue.escalation
        if escalation is not None and escalation.escalate_to not in names:
            raise ValueError(
                f"fatigue.escalation.escalate_to: no receiver named {escalation.escalate_to!r}"
            )
        if self.route is None:
            return
        for path, name in _route_receivers(self.route, "route"):
            if name not in names:
                raise ValueError(f"{path}.receiver: no receiver named {name!r} in receivers")


def split_listen(value: str) -> tuple[str, int]:
    """Split ``host:port`` (IPv6 hosts in brackets) into its parts."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not host:port")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104


def _route_receivers(route: RouteConfig, path: str) -> list[tuple[str, str]]:
    """Every receiver the route tree names, with the YAML path that names it."""
    found = [(path, route.receiver)] if route.receiver else []
    for i, child in enumerate(route.routes):
        found.extend(_route_receivers(child, f"{path}.routes[{i}]"))
    return found
