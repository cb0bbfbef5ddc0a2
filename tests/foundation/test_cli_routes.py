"""``alerthub routes test`` agrees with amtool; ``alerthub check-config`` names YAML paths."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.alertmanager import AMTOOL_BIN

ALERTHUB = str(Path(sys.executable).with_name("alerthub"))
RECEIVERS = ["default", "pager", "team", "ml", "not-staging", "audit"]
# One tree with the features whose semantics users carry over from Alertmanager:
# ``continue``, nesting, inherited receivers, negative matchers and anchored regexes.
ROUTE: dict[str, Any] = {
    "receiver": "default",
    "routes": [
        {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
        {
            "matchers": ['namespace=~"prod|staging"'],
            "receiver": "team",
            "routes": [
                {"matchers": ['service=~"model-.*"'], "receiver": "ml"},
                {"matchers": ['namespace!~"stag.*"', 'team!="db"'], "receiver": "not-staging"},
            ],
        },
        {"matchers": ['audit="yes"'], "receiver": "audit"},
    ],
}
CASES: dict[str, list[str]] = {
    "nothing-matches": ["alertname=X"],
    "continue-then-nested": ["severity=critical", "namespace=prod", "service=model-api"],
    "regex-is-anchored": ["namespace=production", "service=model-api"],
    "regex-alternative": ["namespace=staging"],
    "negative-matchers": ["namespace=prod", "team=web"],
    "negative-excludes": ["namespace=prod", "team=db"],
    "first-match-stops": ["namespace=prod", "audit=yes"],
    "no-continue-falls-through": ["audit=yes", "severity=warning"],
    "critical-only": ["severity=critical"],
}


def write_configs(directory: Path) -> tuple[Path, Path]:
    """The same route tree as an alerthub config and as an alertmanager.yml."""
    hub = directory / "hub.yaml"
    hub.write_text(
        yaml.safe_dump(
            {
                "intake": {"allow_unauthenticated": True},
                "api": {"allow_unauthenticated": True},
                "route": ROUTE,
                "receivers": [{"name": name} for name in RECEIVERS],
            }
        )
    )
    am = directory / "alertmanager.yml"
    am.write_text(
        yaml.safe_dump({"route": ROUTE, "receivers": [{"name": name} for name in RECEIVERS]})
    )
    return hub, am


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Per case, what ``alerthub routes test`` and ``amtool config routes test`` print."""
    hub, am = write_configs(tmp_path_factory.mktemp("routes"))

    def both(labels: list[str]) -> tuple[str, str]:
        ours = run(ALERTHUB, "routes", "test", "--config", str(hub), *labels)
        theirs = run(str(AMTOOL_BIN), "config", "routes", "test", f"--config.file={am}", *labels)
        assert ours.returncode == 0, ours.stderr
        assert theirs.returncode == 0, theirs.stderr
        return ours.stdout.strip(), theirs.stdout.strip()

    with ThreadPoolExecutor(8) as pool:
        return dict(zip(CASES, pool.map(both, CASES.values()), strict=True))


@pytest.mark.parametrize("case", CASES)
def test_routes_test_matches_amtool(case: str, answers: dict[str, tuple[str, str]]) -> None:
    ours, theirs = answers[case]
    assert ours == theirs
    assert ours, "an empty answer would agree vacuously"


def test_routes_test_names_every_receiver_reached(answers: dict[str, tuple[str, str]]) -> None:
    """The table is worth something only if the answers differ across cases."""
    reached = {r for ours, _ in answers.values() for r in ours.split(",")}
    assert reached == set(RECEIVERS)


def _config_with(tmp_path: Path, **changes: Any) -> Path:
    hub, _ = write_configs(tmp_path)
    raw = yaml.safe_load(hub.read_text())
    raw["route"] = {**raw["route"], **changes}
    hub.write_text(yaml.safe_dump(raw))
    return hub


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (
            [{"matchers": ['namespace=~"prod'], "receiver": "team"}],
            "route.routes[0].matchers[0]: invalid matcher",
        ),
        (
            [{"matchers": ['severity="critical"', "sev erity=x"], "receiver": "pager"}],
            "route.routes[0].matchers[1]: invalid matcher",
        ),
        (
            [{"matchers": ["team=db"], "routes": [{"matchers": ["x=~("], "receiver": "ml"}]}],
            "route.routes[0].routes[0].matchers[0]",
        ),
        (
            [{"matchers": ["team=db"], "receiver": "dba"}],
            "route.routes[0].receiver: no receiver named 'dba'",
        ),
    ],
    ids=["unclosed-quote", "bad-label-name", "bad-regex-nested", "unknown-receiver"],
)
def test_check_config_rejects_naming_the_yaml_path(
    tmp_path: Path, routes: list[dict[str, Any]], expected: str
) -> None:
    result = run(ALERTHUB, "check-config", str(_config_with(tmp_path, routes=routes)))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "OK" not in result.stdout


def test_check_config_accepts_the_tree(tmp_path: Path) -> None:
    hub, _ = write_configs(tmp_path)
    result = run(ALERTHUB, "check-config", str(hub))
    assert result.returncode == 0, result.stderr
    assert ": OK" in result.stdout


def test_routes_test_refuses_a_malformed_label(tmp_path: Path) -> None:
    hub, _ = write_configs(tmp_path)
    result = run(ALERTHUB, "routes", "test", "--config", str(hub), "severity")
    assert result.returncode == 2
    assert "is not label=value" in result.stderr
