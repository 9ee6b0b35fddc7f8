"""Manifests as Mattermost serializes them (Go ``encoding/json`` with its omitempty rules)."""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["PLUGIN_ID_MAX", "PLUGIN_ID_MIN", "PLUGIN_ID_RE", "is_valid_plugin_id", "manifest_json"]

from common.bundle.validation import PLUGIN_ID_MAX, PLUGIN_ID_MIN, is_valid_plugin_id

# Route-level check of a {plugin_id} URL parameter (Mattermost's mux pattern); the full rule,
# length included, is common.bundle's is_valid_plugin_id.
PLUGIN_ID_RE = re.compile(r"^[a-zA-Z0-9-_\.]+$")

# key -> always serialized (not omitempty)
_TOP_LEVEL = {
    "id": True,
    "name": True,
    "description": False,
    "homepage_url": False,
    "support_url": False,
    "release_notes_url": False,
    "icon_path": False,
    "version": True,
    "min_server_version": False,
    "server": False,
    "webapp": False,
    "settings_schema": False,
    "props": False,
}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def manifest_json(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as a Mattermost server returns it (unknown keys dropped, omitempty applied)."""
    out: dict[str, Any] = {}
    for key, always in _TOP_LEVEL.items():
        value = manifest.get(key)
        if key == "server":
            if isinstance(value, dict):
                server: dict[str, Any] = {}
                executables = value.get("executables")
                if isinstance(executables, dict) and executables:
                    server["executables"] = {str(k): _string(v) for k, v in executables.items()}
                server["executable"] = _string(value.get("executable"))
                if value.get("runtime"):
                    server["runtime"] = _string(value.get("runtime"))
                out[key] = server
            continue
        if key == "webapp":
            if isinstance(value, dict):
                out[key] = {"bundle_path": _string(value.get("bundle_path"))}
            continue
        if key in ("settings_schema", "props"):
            if value:
                out[key] = copy.deepcopy(value)
            continue
        text = _string(value)
        if text or always:
            out[key] = text
    return out


def client_manifest(manifest: dict[str, Any], *, webapp_hash: str) -> dict[str, Any]:
    """What ``GET /plugins/webapp`` lists: no server part, no description, no settings schema,
    and ``bundle_path`` pointing at the hashed bundle under ``/static/``."""
    out = manifest_json(manifest)
    out.pop("server", None)
    out.pop("description", None)
    out.pop("settings_schema", None)
    plugin_id = out["id"]
    out["webapp"] = {"bundle_path": f"/static/{plugin_id}/{plugin_id}_{webapp_hash}_bundle.js"}
    return out


def plugin_status_json(*, plugin: Any) -> dict[str, Any]:
    """A ``PluginStatus`` (all keys always present; ``state`` is Mattermost's integer)."""
    manifest = plugin.manifest or {}
    return {
        "plugin_id": plugin.plugin_id,
        "cluster_id": "",
        "plugin_path": str(plugin.host.plugin_dir / plugin.plugin_id),
        "state": int(plugin.state),
        "error": plugin.error or "",
        "name": _string(manifest.get("name")),
        "description": _string(manifest.get("description")),
        "version": _string(manifest.get("version")),
    }
