"""Load the YAML config: expand ${VAR}, apply ALERTHUB_* overrides, name the YAML path of errors."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hub.config.models import HubConfig

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
SECRET_KEYS = frozenset(
    {"bot_token", "auth_password", "token", "password", "bearer_token", "webhook_secret"}
)
ENV_OVERRIDES: Mapping[str, tuple[str, str]] = {
    "ALERTHUB_LISTEN": ("server", "listen"),
    "ALERTHUB_DATABASE_URL": ("database", "url"),
    "ALERTHUB_INTAKE_TOKEN": ("intake", "token"),
    "ALERTHUB_API_TOKEN": ("api", "token"),
}


class ConfigError(Exception):
    """The config cannot be used; ``errors`` name each YAML path and what is wrong."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and the warnings worth showing the operator."""

    config: HubConfig
    warnings: list[str] = field(default_factory=list)


def format_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic/YAML location as ``receivers[1].email_configs[0].to``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _expand(
    value: Any, loc: tuple[int | str, ...], env: Mapping[str, str], errors: list[str]
) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*loc, str(k)), env, errors) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*loc, i), env, errors) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        errors.append(f"{format_path(loc)}: environment variable {name} is not set")
        return ""

    return _VAR_RE.sub(substitute, value)


def _literal_secret_warnings(value: Any, loc: tuple[int | str, ...]) -> list[str]:
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str) and item and "${" not in item:
                found.append(
                    f"{format_path((*loc, key))}: literal secret in the YAML;"
                    f" use ${{ENV}} or {key}_file"
                )
            else:
                found.extend(_literal_secret_warnings(item, (*loc, str(key))))
        return found
    if isinstance(value, list):
        return [w for i, v in enumerate(value) for w in _literal_secret_warnings(v, (*loc, i))]
    return []


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            node = raw.setdefault(section, {})
            if not isinstance(node, dict):
                raise ConfigError([f"{section}: must be a mapping"])
            node[key] = env[var]


def _validation_errors(exc: ValidationError) -> list[str]:
    errors = []
    for err in exc.errors(include_input=False, include_url=False):
        message = err["msg"].removeprefix("Value error, ")
        # Whole-model checks name their own path in the message.
        errors.append(f"{format_path(tuple(err['loc']))}: {message}" if err["loc"] else message)
    return errors


def parse_config(text: str, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Validate config text; raise ConfigError listing every problem by YAML path."""
    env = os.environ if env is None else env
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([f"(yaml): {exc}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(["(root): the config must be a mapping"])
    warnings = _literal_secret_warnings(raw, ())
    errors: list[str] = []
    expanded = _expand(raw, (), env, errors)
    if errors:
        raise ConfigError(errors)
    _apply_env_overrides(expanded, env)
    try:
        config = HubConfig.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(_validation_errors(exc)) from None
    return LoadedConfig(config=config, warnings=warnings)


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read and validate a config file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: {exc.strerror}"]) from None
    return parse_config(text, env)
