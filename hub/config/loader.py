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

from hub.config.lint import delivery_warnings, unknown_key_message
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


@dataclass
class _Unset:
    """``${VAR}`` references with nothing to expand to, by the YAML path that names them."""

    paths: dict[str, str] = field(default_factory=dict)  # path -> variable

    def messages(self) -> list[str]:
        return [
            f"{path}: environment variable {name} is not set" for path, name in self.paths.items()
        ]


def _expand(value: Any, loc: tuple[int | str, ...], env: Mapping[str, str], unset: _Unset) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*loc, str(k)), env, unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*loc, i), env, unset) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        unset.paths.setdefault(format_path(loc), name)
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


def _validation_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """Each problem as (YAML path, text); whole-model checks name their path in the text."""
    errors = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = unknown_key_message(loc)
        errors.append((format_path(loc), f"{format_path(loc)}: {message}" if loc else message))
    return errors


def _leans_on_unset(path: str, unset: _Unset) -> str | None:
    """The unset variable an error at ``path`` may come from (the value, or one inside it)."""
    for where, name in unset.paths.items():
        if where == path or where.startswith((f"{path}.", f"{path}[")):
            return name
    return None


def _validate(
    text: str, env: Mapping[str, str], allow_unset_env: bool
) -> tuple[HubConfig | None, list[str]]:
    """The config (None when only unset variables kept it from building) and its warnings."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([f"(yaml): {exc}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(["(root): the config must be a mapping"])
    warnings = _literal_secret_warnings(raw, ())
    unset = _Unset()
    expanded = _expand(raw, (), env, unset)
    if unset.paths and not allow_unset_env:
        raise ConfigError(unset.messages())
    warnings.extend(unset.messages())
    _apply_env_overrides(expanded, env)
    try:
        config = HubConfig.model_validate(expanded)
    except ValidationError as exc:
        errors = []
        for path, message in _validation_errors(exc):
            name = _leans_on_unset(path, unset) if allow_unset_env else None
            if name is None:
                errors.append(message)
            else:
                warnings.append(f"{message} (not checked: {name} is not set)")
        if errors:
            raise ConfigError(errors) from None
        return None, warnings
    return config, [*warnings, *delivery_warnings(config)]


def parse_config(text: str, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Validate config text; raise ConfigError listing every problem by YAML path."""
    config, warnings = _validate(text, os.environ if env is None else env, False)
    assert config is not None  # without allow_unset_env every problem is an error
    return LoadedConfig(config=config, warnings=warnings)


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: {exc.strerror}"]) from None


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read and validate a config file."""
    return parse_config(_read(path), env)


@dataclass(frozen=True)
class ConfigCheck:
    """What ``check-config`` reports: the config when it could be built, and the warnings."""

    config: HubConfig | None
    warnings: list[str]


def check_config(
    path: str | Path, env: Mapping[str, str] | None = None, *, allow_unset_env: bool = False
) -> ConfigCheck:
    """Validate a file for ``check-config``; ``allow_unset_env`` lints without the secrets.

    With it an unset ``${VAR}`` is a warning, and so is any error in a value built from
    one: that value cannot be checked without it.
    """
    env = os.environ if env is None else env
    config, warnings = _validate(_read(path), env, allow_unset_env)
    return ConfigCheck(config=config, warnings=warnings)
