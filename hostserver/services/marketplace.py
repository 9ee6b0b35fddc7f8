"""``GET /plugins/marketplace``: the remote list merged with what is installed (Mattermost's
``GetMarketplacePlugins``), filtered and sorted like Mattermost does it locally."""

from __future__ import annotations

import base64
from typing import Any

from hostserver import config as mmconfig
from hostserver.manifests import manifest_json
from hostserver.models import HostPlugin, HostServer
from hostserver.selectors import plugin_list
from hostserver.services.remote import marketplace_fetch, require_marketplace

LOCAL_LABEL = {
    "name": "Local",
    "description": "This plugin is not listed in the marketplace",
    "url": "",
    "color": "",
}

_REMOTE_FIELDS = (
    "homepage_url",
    "icon_data",
    "download_url",
    "release_notes_url",
    "hosting",
    "author_type",
    "release_stage",
    "enterprise",
    "signature",
)


def _marketplace_plugin(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _REMOTE_FIELDS:
        default: Any = False if key == "enterprise" else ""
        value = entry.get(key, default)
        out[key] = value if value is not None else default
    labels = entry.get("labels")
    if labels:
        out["labels"] = labels
    out["manifest"] = manifest_json(entry["manifest"])
    out["installed_version"] = ""
    return out


def _icon_data(plugin: HostPlugin) -> str:
    icon_path = str((plugin.manifest or {}).get("icon_path") or "")
    if not icon_path.lower().endswith(".svg"):
        return ""
    root = (plugin.host.plugin_dir / plugin.plugin_id).resolve()
    icon = (root / icon_path).resolve()
    if not icon.is_relative_to(root) or not icon.is_file() or icon.stat().st_size > 1 << 20:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(icon.read_bytes()).decode()


def _local_plugin(plugin: HostPlugin, *, remote_enabled: bool) -> dict[str, Any]:
    manifest = manifest_json(plugin.manifest or {"id": plugin.plugin_id})
    out: dict[str, Any] = {
        "homepage_url": manifest.get("homepage_url", ""),
        "icon_data": _icon_data(plugin),
        "download_url": "",
        "release_notes_url": manifest.get("release_notes_url", ""),
        "hosting": "",
        "author_type": "",
        "release_stage": "",
        "enterprise": False,
        "signature": "",
        "manifest": manifest,
        "installed_version": plugin.version,
    }
    if remote_enabled:
        out["labels"] = [dict(LOCAL_LABEL)]
    return out


def _matches(entry: dict[str, Any], text: str) -> bool:
    if not text:
        return True
    manifest = entry["manifest"]
    needle = text.lower()
    return (
        str(manifest.get("id", "")).lower() == needle
        or needle in str(manifest.get("name", "")).lower()
        or needle in str(manifest.get("description", "")).lower()
    )


def marketplace_list(
    *, host: HostServer, filter_text: str = "", local_only: bool = False, remote_only: bool = False
) -> list[dict[str, Any]]:
    require_marketplace(host)
    remote_enabled = bool(mmconfig.plugin_setting(host.config, "EnableRemoteMarketplace"))
    result: dict[str, dict[str, Any]] = {}
    if remote_enabled and not local_only:
        for entry in marketplace_fetch(host=host, remote_only=remote_only):
            plugin = _marketplace_plugin(entry)
            result.setdefault(str(plugin["manifest"].get("id", "")).lower(), plugin)
    if not remote_only:
        for installed in plugin_list(host=host).select_related("host"):
            existing = result.get(installed.plugin_id)
            if existing is not None:
                existing["installed_version"] = installed.version
            else:
                result[installed.plugin_id] = _local_plugin(
                    installed, remote_enabled=remote_enabled
                )
    entries = [entry for entry in result.values() if _matches(entry, filter_text)]
    entries.sort(key=lambda e: str(e["manifest"].get("name", "")).lower())
    return entries
