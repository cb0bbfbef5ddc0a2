"""Routing-tree semantics, table-tested and compared with ``amtool config routes test``."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from hub.config.route import RootRouteConfig, iter_route_receivers
from hub.routing.matchers import Matcher, MatchType
from hub.routing.tree import (
    Route,
    build_route_tree,
    format_routes_test,
    match_receivers,
    match_routes,
)

TREES: dict[str, dict[str, Any]] = {
    "flat": {
        "receiver": "default",
        "routes": [
            {"receiver": "db", "matchers": ['team="db"']},
            {"receiver": "web", "matchers": ['team=~"web|api"']},
            {"receiver": "noninfo", "matchers": ['severity!="info"']},
        ],
    },
    "continue": {
        "receiver": "default",
        "routes": [
            {"receiver": "pager", "matchers": ['severity="critical"'], "continue": True},
            {"receiver": "db", "matchers": ['team="db"'], "continue": True},
            {"receiver": "db-2", "matchers": ['team="db"']},
            {"receiver": "never-after-stop", "matchers": ['team="db"']},
            {"receiver": "audit", "matchers": ["{audit=yes}"], "continue": True},
        ],
    },
    "nested": {
        "receiver": "default",
        "group_wait": "30s",
        "routes": [
            {
                "receiver": "prod",
                "matchers": ['env="prod"'],
                "routes": [
                    {"receiver": "prod-db", "matchers": ['team="db"']},
                    {"receiver": "prod-api", "matchers": ['service=~"api.*"'], "continue": True},
                    {"receiver": "api-v2", "matchers": ['service="api-v2"']},
                ],
            },
            {
                "matchers": ['env=~"stag.*"'],
                "routes": [{"receiver": "stage-db", "matchers": ["team=db"], "group_wait": "1m"}],
            },
        ],
    },
    "regex-edges": {
        "receiver": "default",
        "routes": [
            {"receiver": "foo", "matchers": ['x=~"foo"'], "continue": True},
            {"receiver": "not-a", "matchers": ['x!~"a.*"', 'x!=""'], "continue": True},
            {"receiver": "x-empty", "matchers": ['x=~""'], "continue": True},
            {"receiver": "has-y", "matchers": ['y!=""'], "continue": True},
            {"receiver": "quirk", "matchers": ['x=~"a)|(b"'], "continue": True},
            {"receiver": "ci-prod", "matchers": ['x=~"(?i)prod"'], "continue": True},
            {"receiver": "dollar", "matchers": ['x=~"a$"'], "continue": True},
        ],
    },
    "duplicates": {
        "receiver": "default",
        "routes": [
            {"receiver": "ops", "matchers": ['team="db"'], "continue": True},
            {"receiver": "default", "matchers": ['severity="critical"'], "continue": True},
            {"receiver": "ops", "matchers": ['severity=~"crit.*"']},
        ],
    },
}

LABEL_SETS: dict[str, dict[str, str]] = {
    "none": {},
    "db": {"team": "db"},
    "web": {"team": "web"},
    "api-info": {"team": "api", "severity": "info"},
    "info": {"severity": "info"},
    "critical-db": {"severity": "critical", "team": "db"},
    "critical-audit": {"severity": "critical", "audit": "yes"},
    "prod-db": {"env": "prod", "team": "db"},
    "prod-api-v2": {"env": "prod", "service": "api-v2"},
    "prod-api-v1": {"env": "prod", "service": "api-v1"},
    "staging-db": {"env": "staging", "team": "db"},
    "staging-web": {"env": "staging", "team": "web"},
    "x-foo": {"x": "foo"},
    "x-foobar": {"x": "foobar"},
    "x-empty": {"x": ""},
    "x-a-newline": {"x": "a\n"},
    "x-axyz": {"x": "axyz", "y": "1"},
    "x-PROD": {"x": "PROD"},
    "odd-chars": {"team": 'd"b,\\'},
}

EXPECTED: list[tuple[str, str, list[str]]] = [
    ("flat", "none", ["noninfo"]),  # missing severity reads as "" != "info"
    ("flat", "db", ["db"]),
    ("flat", "api-info", ["web"]),
    ("flat", "info", ["default"]),
    ("continue", "none", ["default"]),
    ("continue", "critical-db", ["pager", "db", "db-2"]),
    ("continue", "critical-audit", ["pager", "audit"]),
    ("continue", "db", ["db", "db-2"]),
    ("nested", "prod-db", ["prod-db"]),
    ("nested", "prod-api-v2", ["prod-api", "api-v2"]),
    ("nested", "prod-api-v1", ["prod-api"]),
    ("nested", "staging-db", ["stage-db"]),
    ("nested", "staging-web", ["default"]),  # inherited receiver, from the parent node
    ("nested", "none", ["default"]),
    ("regex-edges", "x-foobar", ["not-a"]),
    ("regex-edges", "x-foo", ["foo", "not-a"]),
    ("regex-edges", "x-empty", ["x-empty"]),
    ("regex-edges", "x-axyz", ["has-y", "quirk"]),
    ("regex-edges", "x-PROD", ["not-a", "ci-prod"]),
    ("regex-edges", "x-a-newline", ["not-a", "quirk"]),  # "a$" refuses a trailing newline
    ("duplicates", "critical-db", ["ops", "default"]),
]


def _tree(name: str) -> Route:
    return build_route_tree(RootRouteConfig.model_validate(TREES[name]))


@pytest.mark.parametrize(
    ("tree", "labels", "expected"), EXPECTED, ids=[f"{t}-{labels}" for t, labels, _ in EXPECTED]
)
def test_match_receivers(tree: str, labels: str, expected: list[str]) -> None:
    assert match_receivers(_tree(tree), LABEL_SETS[labels]) == expected


def test_match_routes_keeps_duplicates_like_alertmanager() -> None:
    routes = match_routes(_tree("duplicates"), LABEL_SETS["critical-db"])
    assert [r.receiver for r in routes] == ["ops", "default", "ops"]
    assert match_receivers(_tree("duplicates"), LABEL_SETS["critical-db"]) == ["ops", "default"]


def test_inherited_options() -> None:
    root = _tree("nested")
    stage, stage_db = root.routes[1], root.routes[1].routes[0]
    assert (stage.receiver, stage.group_wait) == ("default", timedelta(seconds=30))
    assert (stage_db.receiver, stage_db.group_wait) == ("stage-db", timedelta(minutes=1))


def test_matchers_reach_the_tree() -> None:
    assert _tree("flat").routes[1].matchers == (Matcher("team", MatchType.REGEX, "web|api"),)


def test_format_routes_test() -> None:
    assert format_routes_test(["a", "b"]) == "a,b"
    assert format_routes_test([]) == ""


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"routes": []}, "must specify a default receiver"),
        ({"receiver": "r", "matchers": ["a=b"]}, "must not have any matchers"),
        ({"receiver": "r", "continue": True}, "cannot have continue"),
        ({"receiver": "r", "match": {"a": "b"}}, "Extra inputs are not permitted"),
    ],
    ids=["no-receiver", "root-matchers", "root-continue", "legacy-match"],
)
def test_root_route_checks(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RootRouteConfig.model_validate(config)


def test_config_errors_name_the_path() -> None:
    config = {"receiver": "r", "routes": [{"routes": [{"matchers": ["a=b", 'c=~"("']}]}]}
    with pytest.raises(ValidationError) as caught:
        RootRouteConfig.model_validate(config)
    assert caught.value.errors()[0]["loc"] == ("routes", 0, "routes", 0, "matchers", 1)


def test_iter_route_receivers() -> None:
    receivers = iter_route_receivers(RootRouteConfig.model_validate(TREES["nested"]))
    assert receivers == ["default", "prod", "prod-db", "prod-api", "api-v2", "stage-db"]


# --- the same trees and label sets through the real amtool ------------------------------------


def _write_alertmanager_yml(tree: dict[str, Any], path: Path) -> None:
    names = dict.fromkeys(iter_route_receivers(RootRouteConfig.model_validate(tree)))
    config = {"route": tree, "receivers": [{"name": name} for name in names]}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def _amtool_routes_test(amtool: str, config: Path, labels: dict[str, str]) -> str:
    args = [str(Matcher(name, MatchType.EQUAL, value)) for name, value in labels.items()]
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", "--", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.removesuffix("\n")


@pytest.fixture(scope="module")
def amtool_answers(
    amtool: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], str]:
    """amtool's answer for every tree and label set, run in parallel to keep this fast."""
    folder = tmp_path_factory.mktemp("trees")
    configs = {tree: folder / f"{tree}.yml" for tree in TREES}
    for tree, path in configs.items():
        _write_alertmanager_yml(TREES[tree], path)
    cases = [(tree, labels) for tree in TREES for labels in LABEL_SETS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = pool.map(
            lambda c: _amtool_routes_test(amtool, configs[c[0]], LABEL_SETS[c[1]]), cases
        )
        return dict(zip(cases, answers, strict=True))


@pytest.mark.e2e
@pytest.mark.parametrize("labels", list(LABEL_SETS))
@pytest.mark.parametrize("tree", list(TREES))
def test_same_answer_as_amtool(
    tree: str, labels: str, amtool_answers: dict[tuple[str, str], str]
) -> None:
    theirs = amtool_answers[tree, labels]
    root, alert = _tree(tree), LABEL_SETS[labels]
    # amtool prints every matching node, duplicates included; match_receivers drops them.
    assert format_routes_test([r.receiver for r in match_routes(root, alert)]) == theirs
    assert match_receivers(root, alert) == list(dict.fromkeys(theirs.split(",")))
