"""The plugin manifest: parsing like Mattermost's FindManifest, validating like Manifest.IsValid.

Parsing refuses what Go's decoders refuse (wrong JSON types, a non-object document) plus what
could hurt us (YAML anchors/aliases, oversize or deeply nested documents). Validation
(``validate_manifest``) applies ``IsValid()`` and the settings-schema rules, plus the path rules
Mattermost applies at launch/unpack time.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import yaml

from common.errors import BundleRejected, InvalidInput
from common.versions import parse_version

from .limits import DEFAULT_LIMITS, BundleLimits, Check

__all__ = [
    "SETTING_TYPES",
    "clean_bundle_path",
    "is_valid_http_url",
    "is_valid_plugin_id",
    "parse_manifest",
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

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _reject(reason: str) -> BundleRejected:
    return BundleRejected(Check.MANIFEST, reason)


# ---------------------------------------------------------------------------------------------
# Structure: the Go struct the manifest decodes into. A spec is a type name, a dict of fields
# (an object; unknown keys kept and not checked), or a one-element list/tuple (list of / map of).

_STR, _BOOL, _ANY = "string", "bool", "any"
_OPTION = {"display_name": _STR, "value": _STR}
_SETTING = {
    "key": _STR,
    "display_name": _STR,
    "type": _STR,
    "help_text": _STR,
    "regenerate_help_text": _STR,
    "placeholder": _STR,
    "default": _ANY,
    "options": [_OPTION],
    "hosting": _STR,
    "secret": _BOOL,
}
_SECTION = {
    "key": _STR,
    "title": _STR,
    "subtitle": _STR,
    "settings": [_SETTING],
    "header": _STR,
    "footer": _STR,
    "custom": _BOOL,
    "fallback": _BOOL,
}
_MANIFEST: dict[str, Any] = {
    "id": _STR,
    "name": _STR,
    "description": _STR,
    "homepage_url": _STR,
    "support_url": _STR,
    "release_notes_url": _STR,
    "icon_path": _STR,
    "version": _STR,
    "min_server_version": _STR,
    "server": {"executables": (_STR,), "executable": _STR},
    "webapp": {"bundle_path": _STR},
    "settings_schema": {
        "header": _STR,
        "footer": _STR,
        "settings": [_SETTING],
        "sections": [_SECTION],
    },
    "props": (_ANY,),
}


def _conform(value: Any, raw: Any, spec: Any, where: str) -> Any:
    """Check ``value`` against ``spec``; ``raw`` is YAML's untyped text for the same node.

    null is accepted everywhere (Go leaves the field at its zero value). In YAML a scalar in a
    string field keeps its source text, as yaml.v2 does (``version: 1.10`` is "1.10").
    """
    if value is None or spec == _ANY:
        return value
    if spec == _STR:
        if isinstance(value, str):
            return value
        if isinstance(raw, str) and isinstance(value, int | float | bool):
            return raw
        raise _reject(f"{where} must be a string, not {_type_name(value)}")
    if spec == _BOOL:
        if isinstance(value, bool):
            return value
        raise _reject(f"{where} must be true or false, not {_type_name(value)}")
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise _reject(f"{where} must be an object, not {_type_name(value)}")
        raw_map = raw if isinstance(raw, dict) else {}
        return {
            key: _conform(item, raw_map.get(key), spec[key], f"{where}.{key}")
            if key in spec
            else item
            for key, item in value.items()
        }
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise _reject(f"{where} must be a list, not {_type_name(value)}")
        raw_list = raw if isinstance(raw, list) and len(raw) == len(value) else [None] * len(value)
        return [
            _conform(item, raw_item, spec[0], f"{where}[{index}]")
            for index, (item, raw_item) in enumerate(zip(value, raw_list, strict=True))
        ]
    # tuple: a map of string keys to spec[0]
    if not isinstance(value, dict):
        raise _reject(f"{where} must be an object, not {_type_name(value)}")
    raw_map = raw if isinstance(raw, dict) else {}
    return {
        key: _conform(item, raw_map.get(key), spec[0], f"{where}.{key}")
        for key, item in value.items()
    }


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# ---------------------------------------------------------------------------------------------
# Parsing


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _reject(f"plugin.json is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_json_constant)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise _reject(f"plugin.json is not valid JSON: {exc}") from None


def _check_no_aliases(data: bytes, filename: str) -> None:
    """Refuse anchors and aliases outright: a manifest never needs them, and expanding them is
    how a few hundred bytes of YAML become gigabytes (the "billion laughs")."""
    for event in yaml.parse(data, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise BundleRejected(
                Check.YAML_ALIAS, f"{filename} uses a YAML alias (*{event.anchor}); not allowed"
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise BundleRejected(
                Check.YAML_ALIAS, f"{filename} defines a YAML anchor (&{anchor}); not allowed"
            )


def _json_compatible(value: Any, raw: Any, where: str) -> Any:
    """YAML-only types (dates, binary, sets, NaN) become their source text or are refused, so
    a parsed manifest is always JSON-serializable."""
    if isinstance(value, str | bool | int) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if isinstance(raw, str):
            return raw
        raise _reject(f"{where}: {value} is not a JSON number")
    if isinstance(value, dict):
        raw_items = list(raw.items()) if isinstance(raw, dict) else []
        if len(raw_items) != len(value):
            raise _reject(f"{where} has duplicate or unusual keys")
        out: dict[str, Any] = {}
        for (key, item), (raw_key, raw_item) in zip(value.items(), raw_items, strict=True):
            name = key if isinstance(key, str) else raw_key
            if not isinstance(name, str):
                raise _reject(f"{where} has a key that is not a string")
            out[name] = _json_compatible(item, raw_item, f"{where}.{name}")
        return out
    if isinstance(value, list):
        raw_list = raw if isinstance(raw, list) and len(raw) == len(value) else [None] * len(value)
        return [
            _json_compatible(item, raw_item, f"{where}[{index}]")
            for index, (item, raw_item) in enumerate(zip(value, raw_list, strict=True))
        ]
    if isinstance(raw, str) and not isinstance(value, set | tuple):
        return raw  # dates, timestamps, !!binary: keep what the author wrote
    raise _reject(f"{where}: YAML type {type(value).__name__} is not supported in a manifest")


def _node_text(node: yaml.Node | None) -> Any:
    """The document as plain lists, dicts and the source text of every scalar."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_node_text(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {_node_text(key): _node_text(value) for key, value in node.value}
    return None


def _parse_yaml(data: bytes, filename: str) -> tuple[Any, Any]:
    try:
        _check_no_aliases(data, filename)
        # Only the safe loader builds values; the node tree gives the source text of each
        # scalar (what yaml.v2 puts in a string field). libyaml's versions when available.
        if yaml.__with_libyaml__:
            typed = yaml.load(data, Loader=yaml.CSafeLoader)
        else:  # pragma: no cover - PyYAML wheels ship libyaml
            typed = yaml.safe_load(data)
        raw = _node_text(yaml.compose(data, Loader=_SafeLoader))
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise _reject(f"{filename} is not valid YAML: {reason[:300]}") from None
    return typed, raw


def parse_manifest(data: bytes, filename: str, *, limits: BundleLimits = DEFAULT_LIMITS) -> dict:
    """Parse a manifest file's bytes as Mattermost does; ``id`` is lower-cased.

    ``filename`` picks the format (``.yml``/``.yaml`` → YAML, anything else → JSON). Unknown
    keys are kept. Raises ``BundleRejected`` (check ``manifest_size``, ``yaml_alias`` or
    ``manifest``) with a readable reason.
    """
    if len(data) > limits.max_manifest_size:
        raise BundleRejected(
            Check.MANIFEST_SIZE,
            f"{filename} is {len(data)} bytes, over the {limits.max_manifest_size} byte limit",
        )
    is_yaml = filename.lower().endswith((".yml", ".yaml"))
    try:
        if is_yaml:
            document, raw = _parse_yaml(data, filename)
            if document is None:
                document, raw = {}, {}  # an empty YAML file decodes to an empty manifest in Go
            document = _json_compatible(document, raw, "manifest")
        else:
            document, raw = _parse_json(data), None
        if not isinstance(document, dict):
            raise _reject(f"{filename} must hold an object, not {_type_name(document)}")
        manifest = _conform(document, raw, _MANIFEST, "manifest")
    except RecursionError:
        raise _reject(f"{filename} is nested too deeply") from None
    if isinstance(manifest.get("id"), str):
        manifest["id"] = manifest["id"].lower()
    return manifest


# ---------------------------------------------------------------------------------------------
# Validation


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
        raise _reject(f"{where}: invalid setting type: {kind}")
    if (setting.get("regenerate_help_text") or "") and kind != "generated":
        raise _reject(
            f"{where}: should not set regenerate_help_text for a setting type that is not generated"
        )
    if (setting.get("placeholder") or "") and kind not in _PLACEHOLDER_TYPES:
        raise _reject(
            f"{where}: should not set placeholder for setting type {kind} (only text, longtext, "
            "generated, number, username or custom)"
        )
    options = setting.get("options")
    if options is not None:
        if kind not in _OPTION_TYPES:
            raise _reject(f"{where}: should not set options for setting type {kind}")
        for index, option in enumerate(options):
            if not (option or {}).get("display_name") or not (option or {}).get("value"):
                raise _reject(f"{where}.options[{index}]: display_name and value must be set")


def _check_settings_schema(schema: Mapping[str, Any]) -> None:
    for index, setting in enumerate(schema.get("settings") or []):
        _check_setting(setting or {}, f"settings_schema.settings[{index}]")
    for index, section in enumerate(schema.get("sections") or []):
        section = section or {}
        if not section.get("key"):
            raise _reject(f"settings_schema.sections[{index}]: invalid empty key")
        for number, setting in enumerate(section.get("settings") or []):
            _check_setting(setting or {}, f"settings_schema.sections[{index}].settings[{number}]")


def _check_version(manifest: Mapping[str, Any], field: str) -> None:
    text = manifest.get(field) or ""
    if text:
        try:
            parse_version(text)
        except InvalidInput as exc:
            raise _reject(f"failed to parse {field}: {exc}") from None


def _check_paths(manifest: Mapping[str, Any]) -> None:
    server = manifest.get("server") or {}
    executables: dict[str, str] = dict(server.get("executables") or {})
    if server.get("executable"):
        executables["executable"] = server["executable"]
    for platform, path in executables.items():
        if path and clean_bundle_path(path) is None:
            raise _reject(f"server executable {platform} ({path!r}) points outside the bundle")
    webapp = manifest.get("webapp")
    if webapp is not None and webapp_bundle_path(webapp.get("bundle_path") or "") is None:
        raise _reject(
            f"webapp.bundle_path {webapp.get('bundle_path')!r} is invalid: it must be a relative "
            "path inside the bundle, not starting with '.'"
        )
    icon = manifest.get("icon_path") or ""
    if icon and clean_bundle_path(icon) in (None, "."):
        raise _reject(f"icon_path {icon!r} points outside the bundle")


def validate_manifest(manifest: Mapping[str, Any], *, strict: bool = True) -> dict:
    """Validate a parsed manifest; return it (id lower-cased). Raises ``BundleRejected``.

    ``strict=False`` applies only what Mattermost checks when a plugin is installed (the id).
    ``strict=True`` applies ``Manifest.IsValid()`` in full (id, name, URLs, version,
    min_server_version, settings schema incl. sections) and the path rules Mattermost applies
    when it launches the server executable and unpacks the webapp bundle.
    """
    if not isinstance(manifest, Mapping):
        raise _reject(f"the manifest must be an object, not {_type_name(manifest)}")
    try:
        result = _conform(dict(manifest), None, _MANIFEST, "manifest")
    except RecursionError:
        raise _reject("the manifest is nested too deeply") from None
    plugin_id = result.get("id")
    if isinstance(plugin_id, str):
        result["id"] = plugin_id = plugin_id.lower()
    if not is_valid_plugin_id(plugin_id):
        raise _reject(
            f"invalid plugin id {plugin_id!r}: it must be {PLUGIN_ID_MIN} to {PLUGIN_ID_MAX} "
            "characters of letters, digits, '-', '_' and '.'"
        )
    if not strict:
        return result
    if not str(result.get("name") or "").strip():
        raise _reject("a plugin name is needed")
    for field in ("homepage_url", "support_url", "release_notes_url"):
        url = result.get(field) or ""
        if url and not is_valid_http_url(url):
            raise _reject(f"invalid {field} {url!r}: it must be an http(s) URL with a host")
    _check_version(result, "version")
    _check_version(result, "min_server_version")
    schema = result.get("settings_schema")
    if schema is not None:
        _check_settings_schema(schema)
    _check_paths(result)
    return result
