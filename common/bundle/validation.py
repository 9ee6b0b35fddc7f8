"""Validating a parsed manifest like Mattermost's ``Manifest.IsValid()``, plus path rules.

``IsValid()`` and the settings-schema rules, plus the path rules Mattermost applies when it
launches the server executable and unpacks the webapp bundle.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from common.errors import InvalidInput
from common.versions import parse_version

from .manifest import MANIFEST_SCHEMA, conform, reject, type_name

__all__ = [
    "PLUGIN_ID_MAX",
    "PLUGIN_ID_MIN",
    "SETTING_TYPES",
    "clean_bundle_path",
    "is_valid_http_url",
    "is_valid_plugin_id",
    "validate_manifest",
    "webapp_bundle_path",
]

PLUGIN_ID_MIN, PLUGIN_ID_MAX = 3, 190
_PLUGIN_ID = re.compile(r"[a-zA-Z0-9_.-]+")
SETTING_TYPES = frozenset(
    {"bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom"}
)
_PLACEHOLDER_TYPES = frozenset({"generated", "text", "longtext", "number", "username", "custom"})
_OPTION_TYPES = frozenset({"radio", "dropdown"})


def is_valid_plugin_id(plugin_id: object) -> bool:
    """Mattermost's IsValidPluginId: 3..190 characters of ``[a-zA-Z0-9-_.]``."""
    return (
        isinstance(plugin_id, str)
        and PLUGIN_ID_MIN <= len(plugin_id) <= PLUGIN_ID_MAX
        and _PLUGIN_ID.fullmatch(plugin_id) is not None
    )


_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")
_BAD_HOST_CHARS = re.compile(r"[^A-Za-z0-9.\-_~!$&'()*+,;=:\[\]%]")


def is_valid_http_url(url: object) -> bool:
    """Mattermost's IsValidHTTPURL: starts with http:// or https:// and has a host."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return False
    if _BAD_URL_CHARS.search(url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port, as Go's parser does
    except ValueError:
        return False
    host = parts.netloc.rpartition("@")[2]
    return bool(parts.hostname) and not _BAD_HOST_CHARS.search(host)


def clean_bundle_path(path: str) -> str | None:
    """A path from the manifest as Mattermost resolves it under the plugin directory.

    ``filepath.Clean(filepath.Join(".", path))``: absolute paths become relative; a result that
    climbs out (``..``) is refused (None). "" and "." stay "." (no file).
    """
    cleaned = posixpath.normpath("/".join(["."] + [p for p in path.split("/") if p]))
    if cleaned == ".." or cleaned.startswith("../"):
        return None
    return cleaned


def webapp_bundle_path(path: str) -> str | None:
    """The webapp bundle path Mattermost accepts at unpack time, or None.

    ``filepath.Clean(bundle_path)`` must be non-empty and must not start with ".".
    """
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if not cleaned or cleaned.startswith("."):
        return None
    return cleaned.lstrip("/")


def _check_setting(setting: Mapping[str, Any], where: str) -> None:
    kind = setting.get("type") or ""
    if kind not in SETTING_TYPES:
        raise reject(f"{where}: invalid setting type: {kind}")
    if (setting.get("regenerate_help_text") or "") and kind != "generated":
        raise reject(
            f"{where}: should not set regenerate_help_text for a setting type that is not generated"
        )
    if (setting.get("placeholder") or "") and kind not in _PLACEHOLDER_TYPES:
        raise reject(
            f"{where}: should not set placeholder for setting type {kind} (only text, longtext, "
            "generated, number, username or custom)"
        )
    options = setting.get("options")
    if options is not None:
        if kind not in _OPTION_TYPES:
            raise reject(f"{where}: should not set options for setting type {kind}")
        for index, option in enumerate(options):
            if not (option or {}).get("display_name") or not (option or {}).get("value"):
                raise reject(f"{where}.options[{index}]: display_name and value must be set")


def _check_settings_schema(schema: Mapping[str, Any]) -> None:
    for index, setting in enumerate(schema.get("settings") or []):
        _check_setting(setting or {}, f"settings_schema.settings[{index}]")
    for index, section in enumerate(schema.get("sections") or []):
        section = section or {}
        if not section.get("key"):
            raise reject(f"settings_schema.sections[{index}]: invalid empty key")
        for number, setting in enumerate(section.get("settings") or []):
            _check_setting(setting or {}, f"settings_schema.sections[{index}].settings[{number}]")


def _check_version(manifest: Mapping[str, Any], field: str) -> None:
    text = manifest.get(field) or ""
    if text:
        try:
            parse_version(text)
        except InvalidInput as exc:
            raise reject(f"failed to parse {field}: {exc}") from None


def _check_paths(manifest: Mapping[str, Any]) -> None:
    server = manifest.get("server") or {}
    executables: dict[str, str] = dict(server.get("executables") or {})
    if server.get("executable"):
        executables["executable"] = server["executable"]
    for platform, path in executables.items():
        if path and clean_bundle_path(path) is None:
            raise reject(f"server executable {platform} ({path!r}) points outside the bundle")
    webapp = manifest.get("webapp")
    if webapp is not None and webapp_bundle_path(webapp.get("bundle_path") or "") is None:
        raise reject(
            f"webapp.bundle_path {webapp.get('bundle_path')!r} is invalid: it must be a relative "
            "path inside the bundle, not starting with '.'"
        )
    icon = manifest.get("icon_path") or ""
    if icon and clean_bundle_path(icon) in (None, "."):
        raise reject(f"icon_path {icon!r} points outside the bundle")


def validate_manifest(manifest: Mapping[str, Any], *, strict: bool = True) -> dict:
    """Validate a parsed manifest; return it (id lower-cased). Raises ``BundleRejected``.

    ``strict=False`` applies only what Mattermost checks when a plugin is installed (the id).
    ``strict=True`` applies ``Manifest.IsValid()`` in full (id, name, URLs, version,
    min_server_version, settings schema incl. sections) and the path rules Mattermost applies
    when it launches the server executable and unpacks the webapp bundle.
    """
    if not isinstance(manifest, Mapping):
        raise reject(f"the manifest must be an object, not {type_name(manifest)}")
    try:
        result = conform(dict(manifest), None, MANIFEST_SCHEMA, "manifest")
    except RecursionError:
        raise reject("the manifest is nested too deeply") from None
    plugin_id = result.get("id")
    if isinstance(plugin_id, str):
        result["id"] = plugin_id = plugin_id.lower()
    if not is_valid_plugin_id(plugin_id):
        raise reject(
            f"invalid plugin id {plugin_id!r}: it must be {PLUGIN_ID_MIN} to {PLUGIN_ID_MAX} "
            "characters of letters, digits, '-', '_' and '.'"
        )
    if not strict:
        return result
    if not str(result.get("name") or "").strip():
        raise reject("a plugin name is needed")
    for field in ("homepage_url", "support_url", "release_notes_url"):
        url = result.get(field) or ""
        if url and not is_valid_http_url(url):
            raise reject(f"invalid {field} {url!r}: it must be an http(s) URL with a host")
    _check_version(result, "version")
    _check_version(result, "min_server_version")
    schema = result.get("settings_schema")
    if schema is not None:
        _check_settings_schema(schema)
    _check_paths(result)
    return result
