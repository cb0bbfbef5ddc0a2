"""Config loading: YAML paths in errors, ${VAR} expansion, overrides, tokens, durations."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from hub.config.loader import ConfigError, parse_config
from hub.config.types import format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[2]
BASE = "intake: {token: t-1234}\napi: {token: a-1234}\n"


def errors_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env or {})
    return info.value.errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(BASE + "bogus: 1\n", "bogus: unknown key", id="unknown-key"),
        pytest.param(
            BASE + "server: {listen: nope}\n", "server.listen: 'nope' is not host:port", id="listen"
        ),
        pytest.param(
            BASE + "server: {shutdown_timeout: 10}\n",
            "server.shutdown_timeout: durations are written with a unit",
            id="duration-unitless",
        ),
        pytest.param(
            BASE + "database: {url: 'mysql://x'}\n",
            "database.url: must be a sqlite+aiosqlite:// or postgresql+asyncpg://",
            id="db-driver",
        ),
        pytest.param(
            "api: {token: a-1234}\n", "intake.token: no intake token", id="intake-token-required"
        ),
        pytest.param("intake: {token: t-1234}\n", "api.token: no API token", id="api-token"),
        pytest.param(BASE + "external_url: hub.local\n", "external_url: must be", id="url"),
        pytest.param("- a\n- b\n", "(root): the config must be a mapping", id="not-mapping"),
    ],
)
def test_errors_name_the_yaml_path(text: str, expected: str) -> None:
    errors = errors_of(text)
    assert any(e.startswith(expected) for e in errors), errors


def test_every_error_is_reported_at_once() -> None:
    errors = errors_of(BASE + "bogus: 1\nserver: {listen: x, shutdown_timeout: 5}\n")
    assert len(errors) == 3


def test_env_expansion_with_defaults_and_missing_vars() -> None:
    text = "intake: {token: '${TOKEN}'}\napi: {token: '${API:-fallback-token}'}\n"
    cfg = parse_config(text, {"TOKEN": "from-env-1"}).config
    assert cfg.intake.token is not None
    assert cfg.intake.token.get_secret_value() == "from-env-1"
    assert cfg.api.token is not None
    assert cfg.api.token.get_secret_value() == "fallback-token"
    assert errors_of(text) == ["intake.token: environment variable TOKEN is not set"]


def test_environment_overrides_apply_on_top() -> None:
    env = {
        "ALERTHUB_LISTEN": "127.0.0.1:1234",
        "ALERTHUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/x",
        "ALERTHUB_INTAKE_TOKEN": "env-intake",
        "ALERTHUB_API_TOKEN": "env-api",
    }
    cfg = parse_config("server: {listen: '0.0.0.0:1'}\n", env).config
    assert cfg.server.listen == "127.0.0.1:1234"
    assert cfg.database.url == env["ALERTHUB_DATABASE_URL"]
    assert cfg.intake.token is not None
    assert cfg.intake.token.get_secret_value() == "env-intake"


def test_explicit_opt_out_of_tokens() -> None:
    text = "intake: {allow_unauthenticated: true}\napi: {allow_unauthenticated: true}\n"
    assert parse_config(text, {}).config.intake.token is None


def test_literal_secrets_warn_but_env_ones_do_not() -> None:
    loaded = parse_config("intake: {token: literal-1}\napi: {token: '${A:-x}'}\n", {})
    assert (
        loaded.warnings[0] == "intake.token: literal secret in the YAML; use ${ENV} or token_file"
    )
    assert not any("literal secret" in w for w in loaded.warnings[1:])


def test_secret_values_never_in_errors() -> None:
    errors = errors_of("intake: {token: [supersecret-value]}\napi: {token: a}\n")
    assert errors
    assert all("supersecret-value" not in e for e in errors)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("4h", 14400), ("1h30m", 5400), ("500ms", 0.5), ("0", 0)],
)
def test_durations_read_like_alertmanager(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "m5", "5 m", "1h 30m", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert parse_duration(format_duration(timedelta(seconds=90))) == timedelta(seconds=90)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_check_config_accepts_the_demo() -> None:
    result = run_cli("check-config", "config/demo.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert "OK" in result.stdout


def test_check_config_names_paths_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "server: {listen: x}\ndatabase: {nope: 1}\n")
    result = run_cli("check-config", str(bad))
    assert result.returncode != 0
    assert "server.listen:" in result.stderr
    assert "database.nope:" in result.stderr
