"""``alerthub check-runbooks [DIR]``: exit 0 on the shipped runbooks, else name file and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import main

REPO = Path(__file__).resolve().parents[2]
GOOD = """---
alert: HighErrorRate
severity: critical
owner: ml-platform
summary: Too many 5xx.
loki_query: '{namespace="{{ labels.namespace }}", app="{{ labels.service }}"} |= "error"'
dashboards:
  - title: Overview
    url: https://grafana.example.com/d/x
actions:
  - kind: rollout_restart
    target: "{{ labels.service }}"
---

# HighErrorRate

Look at the logs.
"""


def check_runbooks(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The real entry point, as an operator or CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "hub", "check-runbooks", *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
    )  # fmt: skip


def test_shipped_runbooks_pass_with_the_default_dir() -> None:
    result = check_runbooks()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "runbooks: OK · 5 runbook(s)"
    assert result.stderr == ""


def test_broken_runbook_fails_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "HighErrorRate.md").write_text(GOOD, encoding="utf-8")
    broken = GOOD.replace("alert: HighErrorRate", "alert: ModelServiceDown").replace(
        "severity: critical", "severity: urgent"
    )
    (tmp_path / "ModelServiceDown.md").write_text(broken, encoding="utf-8")
    result = check_runbooks(str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{tmp_path}/ModelServiceDown.md: front matter.severity: ")
    assert "'critical', 'warning' or 'info'" in line


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("owner: ml-platform\n", "", "front matter.owner: Field required"),
        ("kind: rollout_restart", "kind: reboot", "front matter.actions[0].kind: "),
        ("url: https://grafana", "url: ftp://grafana", "front matter.dashboards[0].url: "),
        ('{{ labels.service }}"}', '{{ labels.service }"}', "front matter.loki_query: "),
        ("alert: HighErrorRate\n", "", "front matter: set alert (the alert name) or matchers"),
        ("---\nalert", "alert", "front matter: missing"),
        ("owner: ml-platform", "owner: [unclosed", "front matter: invalid YAML"),
        ("actions:\n", "colour: red\nactions:\n", "front matter.colour: Extra inputs"),
    ],
    ids=[
        "missing-owner",
        "unknown-action",
        "dashboard-not-http",
        "bad-logql-template",
        "selects-nothing",
        "no-front-matter",
        "invalid-yaml",
        "unknown-field",
    ],
)
def test_each_error_names_its_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, field: str
) -> None:
    assert old in GOOD
    (tmp_path / "Bad.md").write_text(GOOD.replace(old, new), encoding="utf-8")
    assert main(["check-runbooks", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/Bad.md: {field}" in err, err


def test_missing_directory_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-runbooks", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope'}: not a directory"
