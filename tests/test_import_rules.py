"""The package's rooms point one way: lower rooms never import higher ones.

Walks every module under ``hub/`` with ``ast`` (no import side effects) and checks each
``import``/``from`` statement, including those inside functions, against the rules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parent.parent / "hub"

# room → rooms it must never import (a room is ``hub.<name>`` or a module of ``hub``).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "hub.model": ("hub.config", "hub.store", "hub.pipeline", "hub.channels", "hub.api"),
    "hub.metrics": ("hub.store", "hub.pipeline", "hub.channels", "hub.api"),
    "hub.store": ("hub.pipeline", "hub.channels", "hub.api"),
    "hub.pipeline": ("hub.api",),
    "hub.config": ("hub.pipeline", "hub.api", "hub.store"),
    "hub.channels": ("hub.pipeline", "hub.api", "hub.store"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(HUB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _is_in(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


def _violations() -> list[str]:
    found = []
    for path in sorted(HUB.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        for room, forbidden in FORBIDDEN.items():
            if not _is_in(module, room):
                continue
            for imported in _imports(path):
                if any(_is_in(imported, bad) for bad in forbidden):
                    found.append(f"{module} imports {imported} ({room} must not)")
    return found


def test_rooms_point_one_way() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("module", "room", "expected"),
    [
        ("hub.store.outbox", "hub.store", True),
        ("hub.storefront", "hub.store", False),
        ("hub.store", "hub.store", True),
    ],
    ids=["submodule", "prefix-only", "package"],
)
def test_room_membership(module: str, room: str, expected: bool) -> None:
    assert _is_in(module, room) is expected
