"""check-config: typo hints, routes that deliver nothing, linting without secrets, examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.cli import main
from hub.config.lint import delivery_warnings, known_keys, suggest_key
from hub.config.loader import ConfigError, check_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "config" / "examples").glob("*.yaml"))
BASE = "intake: {token: t-1234}\napi: {token: a-1234}\n"
TELEGRAM = "{name: tg, telegram_configs: [{bot_token: '${TG:-1:x}', chat_id: 1}]}"
_NAMES_ONLY = re.compile(r"#\s+(?:[A-Z_]+,\s*)*[A-Z_]+,?\s*")


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, {})
    return info.value.errors


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("recievers: []\n", "recievers: unknown key; did you mean receivers?"),
        ("route: {reciever: x}\n", "route.reciever: unknown key; did you mean receiver?"),
        (
            "receivers: [{name: a, telegram_config: []}]\n",
            "receivers[0].telegram_config: unknown key; did you mean telegram_configs?",
        ),
        ("fatigue: {escalaton: {}}\n", "fatigue.escalaton: unknown key; did you mean escalation?"),
        ("zzz: 1\n", "zzz: unknown key"),
    ],
    ids=["top", "route", "receiver-part", "nested", "no-guess"],
)
def test_unknown_key_suggests_the_likely_one(text: str, error: str) -> None:
    assert error in _errors(BASE + text)


def test_known_keys_walk_lists_and_optionals() -> None:
    assert "chat_id" in known_keys(("receivers", 0, "telegram_configs", 0))
    assert "from" in known_keys(("receivers", 0, "email_configs", 0))  # the YAML name
    assert "continue" in known_keys(("route", "routes", 2))
    assert known_keys(("external_url",)) == []
    assert suggest_key("qqqq", ["receivers"]) is None


NOTHING = "nothing will be delivered"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", [f"route: no route, so no receiver is reached; {NOTHING}"]),
        (
            "route: {receiver: empty}\nreceivers: [{name: empty}]\n",
            [
                "receivers[0]: 'empty' has no telegram_configs, email_configs or slack_configs;"
                " alerts routed to it reach nobody",
                f"route: no route reaches a receiver with a channel; {NOTHING}",
            ],
        ),
        (
            f"route: {{receiver: tg, routes: [{{receiver: empty}}]}}\n"
            f"receivers: [{TELEGRAM}, {{name: empty}}]\n",
            [
                "receivers[1]: 'empty' has no telegram_configs, email_configs or slack_configs;"
                " alerts routed to it reach nobody"
            ],
        ),
        (f"route: {{receiver: tg}}\nreceivers: [{TELEGRAM}]\n", []),
    ],
    ids=["no-route", "receiver-without-channels", "one-empty-branch", "delivers"],
)
def test_delivery_warnings(extra: str, expected: list[str]) -> None:
    config = parse_config(BASE + extra, {}).config
    assert delivery_warnings(config) == expected


def test_serve_and_check_config_share_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert f"route: no route, so no receiver is reached; {NOTHING}" in (
        parse_config(BASE, {}).warnings
    )
    assert main(["check-config", str(path)]) == 0
    assert NOTHING in capsys.readouterr().err


LINT = (
    "intake: {token: '${INTAKE}'}\napi: {token: '${API:-a-1234}'}\n"
    "route: {receiver: mail}\n"
    "receivers: [{name: mail, email_configs: [{to: a@example.org, from: b@example.org,"
    " smarthost: '${SMTP_HOST}:587'}]}]\n"
)


def test_unset_variables_are_errors_by_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(LINT, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check_config(path, {})
    assert info.value.errors == [
        "intake.token: environment variable INTAKE is not set",
        "receivers[0].email_configs[0].smarthost: environment variable SMTP_HOST is not set",
    ]


def test_allow_unset_env_lints_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(LINT, encoding="utf-8")
    checked = check_config(path, {}, allow_unset_env=True)
    assert checked.config is None  # the smarthost could not be built without SMTP_HOST
    assert checked.warnings == [
        "intake.token: environment variable INTAKE is not set",
        "receivers[0].email_configs[0].smarthost: environment variable SMTP_HOST is not set",
        "receivers[0].email_configs[0].smarthost: smarthost must be host:port,"
        " e.g. smtp.example.org:587 (not checked: SMTP_HOST is not set)",
    ]


def test_allow_unset_env_still_fails_real_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(LINT.replace("from:", "form:"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check_config(path, {}, allow_unset_env=True)
    assert "receivers[0].email_configs[0].form: unknown key; did you mean from?" in (
        info.value.errors
    )


def test_check_config_flag_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTAKE", raising=False)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    path = tmp_path / "c.yaml"
    path.write_text(LINT, encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    assert "config error: intake.token: environment variable INTAKE is not set" in (
        capsys.readouterr().err
    )
    assert main(["check-config", "--allow-unset-env", str(path)]) == 0
    out = capsys.readouterr()
    assert "OK as far as it can be checked without its unset variables · 3 warning(s)" in out.out
    assert "warning: intake.token: environment variable INTAKE is not set" in out.err


def _named_variables(text: str) -> list[str]:
    """The variables the example's header names: ``# Environment: A, B,`` and name-only lines."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("# Environment: ")]
    assert starts, "the example names its environment variables at the top"
    found = [lines[starts[0]].removeprefix("# Environment: ")]
    for line in lines[starts[0] + 1 :]:
        if not _NAMES_ONLY.fullmatch(line):
            break
        found.append(line)
    return re.findall(r"[A-Z][A-Z_]+", " ".join(found))


def test_there_is_an_example_per_channel_and_a_full_one() -> None:
    assert [p.name for p in EXAMPLES] == ["email.yaml", "full.yaml", "slack.yaml", "telegram.yaml"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_passes_check_config_with_its_variables(
    example: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = example.read_text(encoding="utf-8")
    named = _named_variables(text)
    used = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert used == set(named), "every ${VAR} the example uses is named at its top, and no more"
    for name in named:
        monkeypatch.setenv(name, "-1001234567890" if name.endswith("CHAT_ID") else f"x-{name}")
    assert main(["check-config", str(example)]) == 0
    out = capsys.readouterr()
    assert out.out.strip().endswith("· 0 warning(s)"), out
    assert out.err == ""
    for name in named:
        monkeypatch.delenv(name)
    assert main(["check-config", "--allow-unset-env", str(example)]) == 0
    assert "OK" in capsys.readouterr().out
