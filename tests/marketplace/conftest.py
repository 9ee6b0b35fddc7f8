from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
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


SVG_ICON = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle r="4"/></svg>'


def bundle_bytes(
    plugin_id: str = "com.example.hosted", version: str = "1.0.0", **extra: Any
) -> bytes:
    """A real, valid plugin bundle with a webapp, a server executable and an SVG icon."""
    from common.bundle.build import build_bundle

    manifest = {
        "id": plugin_id,
        "name": extra.pop("name", "Hosted Example"),
        "description": "A plugin the portal hosts",
        "version": version,
        "min_server_version": "9.0.0",
        "homepage_url": "https://github.com/example/mattermost-plugin-hosted",
        "release_notes_url": f"https://example.org/{plugin_id}/v{version}",
        "icon_path": "assets/icon.svg",
        "server": {"executables": {"linux-amd64": "server/dist/plugin-linux-amd64"}},
        "webapp": {"bundle_path": "webapp/dist/main.js"},
        **extra,
    }
    return build_bundle(
        manifest,
        {
            "assets/icon.svg": SVG_ICON,
            "webapp/dist/main.js": "console.log('hosted');\n",
            "server/dist/plugin-linux-amd64": ("#!/bin/sh\necho ok\n", 0o755),
        },
    )


@pytest.fixture
def bundle_file(tmp_path: Path) -> Callable[..., Path]:
    def make(plugin_id: str = "com.example.hosted", version: str = "1.0.0", **extra: Any) -> Path:
        path = tmp_path / f"{plugin_id}-{version}.tar.gz"
        path.write_bytes(bundle_bytes(plugin_id, version, **extra))
        return path

    return make


@pytest.fixture
def local_storage(settings: Any, tmp_path: Path) -> Path:
    """Django's default storage on a fresh local folder."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
