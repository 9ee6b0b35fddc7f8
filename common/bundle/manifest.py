"""Parsing the plugin manifest like Mattermost's FindManifest (validation: ``validation.py``).

Parsing refuses what Go's decoders refuse (wrong JSON types, a non-object document) plus what
could hurt us (YAML anchors/aliases, oversize or deeply nested documents).
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from common.errors import BundleRejected

from .limits import DEFAULT_LIMITS, BundleLimits, Check

__all__ = ["parse_manifest"]

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def reject(reason: str) -> BundleRejected:
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
MANIFEST_SCHEMA: dict[str, Any] = {
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


def conform(value: Any, raw: Any, spec: Any, where: str) -> Any:
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
        raise reject(f"{where} must be a string, not {type_name(value)}")
    if spec == _BOOL:
        if isinstance(value, bool):
            return value
        raise reject(f"{where} must be true or false, not {type_name(value)}")
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise reject(f"{where} must be an object, not {type_name(value)}")
        raw_map = raw if isinstance(raw, dict) else {}
        return {
            key: conform(item, raw_map.get(key), spec[key], f"{where}.{key}")
            if key in spec
            else item
            for key, item in value.items()
        }
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise reject(f"{where} must be a list, not {type_name(value)}")
        raw_list = raw if isinstance(raw, list) and len(raw) == len(value) else [None] * len(value)
        return [
            conform(item, raw_item, spec[0], f"{where}[{index}]")
            for index, (item, raw_item) in enumerate(zip(value, raw_list, strict=True))
        ]
    # tuple: a map of string keys to spec[0]
    if not isinstance(value, dict):
        raise reject(f"{where} must be an object, not {type_name(value)}")
    raw_map = raw if isinstance(raw, dict) else {}
    return {
        key: conform(item, raw_map.get(key), spec[0], f"{where}.{key}")
        for key, item in value.items()
    }


def type_name(value: Any) -> str:
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
        raise reject(f"plugin.json is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_json_constant)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise reject(f"plugin.json is not valid JSON: {exc}") from None


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
        raise reject(f"{where}: {value} is not a JSON number")
    if isinstance(value, dict):
        raw_items = list(raw.items()) if isinstance(raw, dict) else []
        if len(raw_items) != len(value):
            raise reject(f"{where} has duplicate or unusual keys")
        out: dict[str, Any] = {}
        for (key, item), (raw_key, raw_item) in zip(value.items(), raw_items, strict=True):
            name = key if isinstance(key, str) else raw_key
            if not isinstance(name, str):
                raise reject(f"{where} has a key that is not a string")
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
    raise reject(f"{where}: YAML type {type(value).__name__} is not supported in a manifest")


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
        raise reject(f"{filename} is not valid YAML: {reason[:300]}") from None
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
            raise reject(f"{filename} must hold an object, not {type_name(document)}")
        manifest = conform(document, raw, MANIFEST_SCHEMA, "manifest")
    except RecursionError:
        raise reject(f"{filename} is nested too deeply") from None
    if isinstance(manifest.get("id"), str):
        manifest["id"] = manifest["id"].lower()
    return manifest
