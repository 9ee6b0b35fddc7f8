"""The wire shape of a catalog entry (spec section 4) and Go's JSON encoding of it.

``normalize_entry`` turns one element of a ``plugins.json`` (or an entry we build for a release
we host) into the exact object the Go service would hold: every known key present, in section 4
order, with Go's zero values; ``platforms`` with its three known keys; ``updated_at`` in Go's
RFC 3339 form. The manifest and any unknown keys are passed through untouched so that nothing
an operator imported is lost.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from marketplace.versions import is_valid_version

#: Keys of an entry in serialisation order (``labels`` is left out when empty).
ENTRY_KEYS: tuple[str, ...] = (
    "homepage_url",
    "icon_data",
    "download_url",
    "release_notes_url",
    "labels",
    "hosting",
    "author_type",
    "release_stage",
    "enterprise",
    "signature",
    "repo_name",
    "manifest",
    "platforms",
    "updated_at",
)
_STRING_KEYS = (
    "homepage_url",
    "icon_data",
    "download_url",
    "release_notes_url",
    "hosting",
    "author_type",
    "release_stage",
    "signature",
    "repo_name",
)
#: The platforms the Marketplace knows, in the order it writes them.
PLATFORMS: tuple[str, ...] = ("linux-amd64", "darwin-amd64", "windows-amd64")
ZERO_TIME = "0001-01-01T00:00:00Z"

_RFC3339 = re.compile(
    r"\A(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:\d{2})\Z"
)


class EntryError(ValueError):
    """An entry that cannot be imported; the message says which field and why."""


class FileError(ValueError):
    """A catalog file that cannot be imported at all."""


def parse_go_time(text: str) -> tuple[str, datetime]:
    """Parse an RFC 3339 time as Go's ``time.Time`` does; return Go's re-encoding and a datetime.

    Go writes ``RFC3339Nano``: fractional seconds without trailing zeros, ``Z`` for a zero
    offset. Nanoseconds survive in the text; the datetime carries microseconds.
    """
    match = _RFC3339.match(text)
    if match is None:
        raise EntryError(f"updated_at {text!r} is not an RFC 3339 time")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or "").rstrip("0")
    zone = match.group(8)
    if zone == "Z":
        tz: timezone = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise EntryError(f"updated_at {text!r} has an invalid offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise EntryError(f"updated_at {text!r} is not a valid time: {exc}") from exc
    offset = tz.utcoffset(None)
    if offset == timedelta(0):
        suffix = "Z"
    else:
        total = int(offset.total_seconds())
        sign_char = "-" if total < 0 else "+"
        total = abs(total)
        suffix = f"{sign_char}{total // 3600:02d}:{total % 3600 // 60:02d}"
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if fraction:
        stamp += "." + fraction
    return stamp + suffix, moment


def format_go_time(moment: datetime) -> str:
    """Go's RFC3339Nano text of an aware datetime (UTC written as ``Z``)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _string(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EntryError(f"{key} must be a string, not {type(value).__name__}")
    return value


def _labels(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EntryError("labels must be an array of label objects")
    labels = []
    for item in value:
        if not isinstance(item, dict):
            raise EntryError("labels must be an array of label objects")
        label: dict[str, Any] = {}
        for key in ("name", "description", "url", "color"):
            value_ = item.get(key)
            if value_ is not None and not isinstance(value_, str):
                raise EntryError(f"labels[].{key} must be a string")
            label[key] = value_ or ""
        label.update({k: v for k, v in item.items() if k not in label})
        labels.append(label)
    return labels


def _platform_bundle(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EntryError(f"platforms.{name} must be an object")
    bundle: dict[str, str] = {}
    for key in ("download_url", "signature"):
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            raise EntryError(f"platforms.{name}.{key} must be a string")
        if item:
            bundle[key] = item
    return bundle


def _platforms(value: Any) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise EntryError("platforms must be an object")
    platforms: dict[str, Any] = {n: _platform_bundle(n, value.get(n)) for n in PLATFORMS}
    # Keys the Marketplace does not know are kept as they are; servers ignore them.
    platforms.update({k: v for k, v in value.items() if k not in platforms})
    return platforms


def validate_manifest_fields(manifest: dict[str, Any]) -> None:
    """The manifest fields the Marketplace reads must be usable; raises ``EntryError``."""
    plugin_id = manifest.get("id")
    if not isinstance(plugin_id, str) or not plugin_id.strip():
        raise EntryError("manifest.id is missing or empty")
    if len(plugin_id) > 190:
        raise EntryError(f"manifest.id {plugin_id[:40]!r}... is longer than 190 characters")
    for key in ("name", "description"):
        if manifest.get(key) is not None and not isinstance(manifest[key], str):
            raise EntryError(f"manifest.{key} must be a string")
    version = manifest.get("version")
    if not isinstance(version, str) or not is_valid_version(version) or len(version) > 128:
        raise EntryError(f"manifest.version {version!r} is not a valid semantic version")
    minimum = manifest.get("min_server_version")
    if minimum not in (None, "") and (
        not isinstance(minimum, str) or not is_valid_version(minimum) or len(minimum) > 128
    ):
        raise EntryError(f"manifest.min_server_version {minimum!r} is not a valid semantic version")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    """Go's decoder turns a lone surrogate escape into U+FFFD; a NUL no database text holds."""
    if isinstance(value, str):
        if "\x00" in value:
            raise EntryError("a string contains a NUL character (\\u0000)")
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def normalize_entry(entry: Any) -> dict[str, Any]:
    """The entry as the Go service holds it; raises ``EntryError`` (refuse it) or ``FileError``."""
    if not isinstance(entry, dict):
        kind = type(entry).__name__
        raise FileError(f"an element of the array is not an object (it is a JSON {kind})")
    if not isinstance(entry.get("manifest"), dict):
        raise FileError("an entry has no manifest object")
    entry = _scrub(entry)
    manifest = entry.get("manifest")
    if not isinstance(manifest, dict):
        raise FileError("an entry has no manifest object")
    validate_manifest_fields(manifest)
    result: dict[str, Any] = {}
    for key in ENTRY_KEYS:
        if key == "labels":
            labels = _labels(entry.get("labels"))
            if labels:
                result["labels"] = labels
        elif key == "enterprise":
            value = entry.get("enterprise")
            if value is not None and not isinstance(value, bool):
                raise EntryError("enterprise must be true or false")
            result["enterprise"] = bool(value)
        elif key == "manifest":
            result["manifest"] = manifest
        elif key == "platforms":
            result["platforms"] = _platforms(entry.get("platforms"))
        elif key == "updated_at":
            value = entry.get("updated_at")
            if value is None:
                result["updated_at"] = ZERO_TIME
            elif not isinstance(value, str):
                raise EntryError("updated_at must be an RFC 3339 string")
            else:
                parse_go_time(value)  # refuse what Go could not read; serve the text as given
                result["updated_at"] = value
        else:
            result[key] = _string(entry, key)
    # Unknown keys stay, after the known ones, so an import keeps every field.
    result.update({k: v for k, v in entry.items() if k not in result and k not in ENTRY_KEYS})
    return result


def _no_constants(name: str) -> Any:
    raise FileError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise FileError(f"the number {text[:40]} is out of range")
    return value


def load_json(data: bytes | str) -> Any:
    """Parse JSON strictly: no NaN/Infinity and no out-of-range numbers, which Go refuses."""
    return json.loads(data, parse_constant=_no_constants, parse_float=_finite)


_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_json(value: Any) -> str:
    """JSON text as Go's ``json.Encoder`` writes it, without the trailing newline.

    Compact, UTF-8 kept as is, and ``<``, ``>``, ``&``, U+2028, U+2029 escaped. Those characters
    can only occur inside strings, so escaping them in the whole text is safe.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _ESCAPES:
        if char in text:  # str.replace runs in C; most entries need none of them
            text = text.replace(char, escape)
    return text
