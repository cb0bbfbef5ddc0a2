"""Fixtures for the routing tests: the real ``amtool`` they compare against."""

from __future__ import annotations

import os

import pytest

from tests.support.alertmanager import AMTOOL_BIN


@pytest.fixture(scope="session")
def amtool() -> str:
    """Path to ``amtool``; a missing binary fails the test (never a skip)."""
    if not os.access(AMTOOL_BIN, os.X_OK):
        pytest.fail(
            f"{AMTOOL_BIN} not found or not executable: the amtool parity tests need it "
            "(CI installs it; locally run `bash .ci/setup` as root or set AMTOOL_BIN)",
            pytrace=False,
        )
    return str(AMTOOL_BIN)
