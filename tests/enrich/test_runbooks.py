"""Runbooks as code: front matter validation, lookup, sanitised HTML, and the shipped runbooks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hub.enrich.runbooks import RunbookIndex, parse_runbook, render_runbook_html

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ("## What it means", "## Confirm", "## Diagnose", "## Safe fix", "## Escalate")
ALERTS = ["HighErrorRate", "ModelServiceDown", "ModelLatencyHigh", "DataDrift", "PodCrashLooping"]

GOOD = """---
alert: HighErrorRate
severity: critical
owner: ml-platform
summary: Too many 5xx.
loki_query: '{namespace="{{ labels.namespace }}"} |= "error"'
dashboards:
  - {title: Overview, url: "https://grafana.example.com/d/x"}
actions:
  - {kind: rollout_restart, target: "{{ labels.service }}"}
  - {kind: scale, target: "{{ labels.service }}", replicas: 3}
---
# HighErrorRate

Check the **logs**.
"""


def write(directory: Path, name: str, text: str) -> None:
    (directory / f"{name}.md").write_text(text, encoding="utf-8")


def test_parse_good_runbook() -> None:
    runbook, errors = parse_runbook("HighErrorRate", GOOD)
    assert errors == []
    assert runbook is not None
    assert runbook.front.actions[1].kind == "scale"
    assert runbook.body.startswith("# HighErrorRate")


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        pytest.param(
            "severity: critical\nowner: a\nsummary: s\n",
            "front matter: set alert (the alert name) or matchers",
            id="no-selector",
        ),
        pytest.param(
            "alert: A\nseverity: loud\nowner: a\nsummary: s\n",
            "front matter.severity: Input should be 'critical', 'warning' or 'info'",
            id="bad-severity",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\n"
            "actions:\n  - {kind: reboot, target: x}\n",
            "front matter.actions[0].kind: ",
            id="unknown-action-kind",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\n"
            "actions:\n  - {kind: scale, target: x}\n",
            "front matter.actions[0].replicas: Field required",
            id="scale-without-replicas",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\nmatchers: ['a=~(']\n",
            "front matter.matchers: ",
            id="bad-matcher",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\nloki_query: '{a={{ labels.a }}}'\n",
            'front matter.loki_query: line 1: {{ ... }} must be inside a "double-quoted"',
            id="unsafe-loki-query",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\n"
            "dashboards: [{title: t, url: 'javascript:alert(1)'}]\n",
            "front matter.dashboards[0].url: must be an absolute http",
            id="javascript-dashboard",
        ),
        pytest.param(
            "alert: A\nseverity: info\nowner: a\nsummary: s\ncolour: red\n",
            "front matter.colour: Extra inputs are not permitted",
            id="unknown-key",
        ),
        pytest.param("alert: [unclosed\n", "front matter: invalid YAML", id="bad-yaml"),
    ],
)
def test_front_matter_errors(front: str, expected: str) -> None:
    runbook, errors = parse_runbook("A", f"---\n{front}---\nbody\n")
    assert runbook is None
    assert any(e.startswith(expected) for e in errors), errors


def test_missing_front_matter() -> None:
    assert parse_runbook("A", "# no front matter\n")[1] == [
        "front matter: missing (the file must start with a --- YAML block ---)"
    ]


def test_check_runbooks_reports_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "Good", GOOD)
    write(tmp_path, "Bad", GOOD.replace("kind: rollout_restart", "kind: reboot"))
    write(tmp_path, "Dup", GOOD)
    errors = list(RunbookIndex.load(tmp_path).errors)
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"{tmp_path}/Bad.md: front matter.actions[0].kind: ")
    assert errors[1] == (f"{tmp_path}/Good.md: front matter: selects the same alerts as Dup.md")
    assert list(RunbookIndex.load(tmp_path / "nope").errors) == [
        f"{tmp_path / 'nope'}: not a directory"
    ]


def test_find_prefers_most_specific(tmp_path: Path) -> None:
    write(tmp_path, "HighErrorRate", GOOD)
    write(
        tmp_path,
        "HighErrorRate-llm",
        GOOD.replace("alert: HighErrorRate", "alert: HighErrorRate\nmatchers: ['service=\"llm\"']"),
    )
    write(tmp_path, "Any-prod", GOOD.replace("alert: HighErrorRate", "matchers: ['env=prod']"))
    index = RunbookIndex.load(tmp_path)
    assert index.errors == ()
    found = index.find({"alertname": "HighErrorRate", "service": "llm"})
    assert found is not None
    assert found.name == "HighErrorRate-llm"
    found = index.find({"alertname": "HighErrorRate", "service": "api"})
    assert found is not None
    assert found.name == "HighErrorRate"
    found = index.find({"alertname": "Other", "env": "prod"})
    assert found is not None
    assert found.name == "Any-prod"
    assert index.find({"alertname": "Other"}) is None


def test_html_is_sanitised() -> None:
    hostile = GOOD.replace("summary: Too many 5xx.", "summary: '<b>bold</b>'") + (
        "\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1))\n\n<details><summary>more</summary>ok</details>\n"
    )
    runbook, errors = parse_runbook("HighErrorRate", hostile)
    assert errors == []
    assert runbook is not None
    page = render_runbook_html(runbook)
    assert "<script>alert" not in page
    assert "onerror" not in page
    assert 'href="javascript:' not in page  # shown as text, not a link
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # front matter is escaped, not rendered
    assert "<strong>logs</strong>" in page
    assert "<h1>HighErrorRate</h1>" in page
    assert '<a href="https://grafana.example.com/d/x"' in page


def test_shipped_runbooks_are_valid_and_complete() -> None:
    assert list(RunbookIndex.load(REPO / "runbooks").errors) == []
    index = RunbookIndex.load(REPO / "runbooks")
    for alert in ALERTS:
        runbook = index.find({"alertname": alert, "namespace": "prod", "service": "model-api"})
        assert runbook is not None, alert
        assert runbook.name == alert
        assert runbook.front.loki_query
        for section in (
            "## What it means",
            "## Confirm",
            "## Diagnose",
            "## Safe fix",
            "## Escalate",
        ):
            assert section in runbook.body, (alert, section)
        assert "kubectl" in runbook.body
        assert "```promql" in runbook.body
        assert "```logql" in runbook.body


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args],
        cwd=REPO / "config" / "prometheus",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_promtool_check_and_test_rules() -> None:
    checked = _promtool("check", "rules", "ml-alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout
    tested = _promtool("test", "rules", "ml-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_rule_links_its_runbook() -> None:
    import yaml

    rules = yaml.safe_load((REPO / "config/prometheus/ml-alerts.yml").read_text())
    names = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            names.append(rule["alert"])
            assert rule["labels"]["severity"] in {"critical", "warning"}
            assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
            assert rule["annotations"]["runbook_url"].endswith(f"/runbooks/{rule['alert']}")
    assert sorted(names) == sorted(ALERTS)
