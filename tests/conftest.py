"""Fixtures shared by the whole suite.

Fixtures that belong to one app live in ``tests/<app>/conftest.py``; what several apps need
(paths to shared reference data, users) lives here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Public reference data that CI provides beside the repository; never committed into it.
SHARED_DIR = Path(os.environ.get("PORTAL_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED_DIR


def require_shared(relative: str) -> Path:
    """Path of a file under shared/, or a skip that says clearly it is absent."""
    path = SHARED_DIR / relative
    if not path.exists():
        if os.environ.get("PORTAL_REQUIRE_SHARED") == "1":
            pytest.fail(f"reference data {path} is required here but missing")
        pytest.skip(f"reference data {path} is absent (it is public data kept outside the repo)")
    return path
