from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from marketplace import selectors
from marketplace.services import catalog_import
from tests.marketplace.entries import dump


@pytest.fixture
def import_entries(db: None) -> Callable[[list[dict[str, Any]]], Any]:
    def run(entries: list[dict[str, Any]]) -> Any:
        return catalog_import(data=dump(entries))

    return run


@pytest.fixture(autouse=True)
def _fresh_catalog_cache() -> None:
    # Each test's database starts at revision 0 again: forget what a previous test loaded.
    selectors.reset_caches()
