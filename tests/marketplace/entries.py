"""Builders of catalog entries (the plugins.json shape) for tests."""

from __future__ import annotations

import json
from typing import Any


def make_entry(
    plugin_id: str = "com.example.demo",
    version: str = "1.0.0",
    *,
    name: str | None = None,
    description: str = "A demo plugin",
    min_server_version: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A plugins.json entry, key order as the generator writes it."""
    manifest: dict[str, Any] = {
        "id": plugin_id,
        "name": name if name is not None else plugin_id.rsplit(".", 1)[-1].title(),
        "description": description,
        "version": version,
    }
    if min_server_version is not None:
        manifest["min_server_version"] = min_server_version
    entry: dict[str, Any] = {
        "homepage_url": f"https://example.org/{plugin_id}",
        "icon_data": "",
        "download_url": f"https://example.org/{plugin_id}-{version}.tar.gz",
        "release_notes_url": "",
        "hosting": "",
        "author_type": "mattermost",
        "release_stage": "production",
        "enterprise": False,
        "signature": "c2ln",
        "repo_name": plugin_id,
        "manifest": manifest,
        "platforms": {"linux-amd64": {}, "darwin-amd64": {}, "windows-amd64": {}},
        "updated_at": "2024-10-11T16:52:57.080352964Z",
    }
    for key, value in fields.items():
        if key == "manifest_extra":
            manifest.update(value)
        else:
            entry[key] = value
    return entry


def dump(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps(entries, indent=2).encode()
