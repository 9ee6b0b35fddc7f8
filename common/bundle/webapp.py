"""The webapp bundle hash Mattermost puts in the client manifest's ``bundle_path``."""

from __future__ import annotations

from pathlib import Path

import fnv_c

_FNV64_OFFSET = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF
# Files up to this size are hashed in one C call (Mattermost itself reads the whole bundle);
# larger ones stream through the slow pure-Python loop so memory stays bounded.
_IN_MEMORY_MAX = 256 * 1024 * 1024
_CHUNK = 1024 * 1024


def fnv1a_64(data: bytes, value: int = _FNV64_OFFSET) -> int:
    """64-bit FNV-1a of ``data``, continuing from ``value`` (so it can be fed in chunks)."""
    if value == _FNV64_OFFSET:
        return int(fnv_c.fnv1a_64(bytes(data)))
    for byte in data:
        value = ((value ^ byte) * _FNV64_PRIME) & _MASK64
    return value


def webapp_bundle_hash(path: Path | str) -> str:
    """Lower-case hex of the FNV-1a-64 of the file: 16 characters, zero-padded.

    Mattermost names the served bundle ``<id>_<hash>_bundle.js``; the webapp reloads a plugin
    only when that name changes, so the hash must be exactly this function of the file bytes.
    """
    path = Path(path)
    if path.stat().st_size <= _IN_MEMORY_MAX:
        return f"{fnv1a_64(path.read_bytes()):016x}"
    value = _FNV64_OFFSET
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            for byte in chunk:
                value = ((value ^ byte) * _FNV64_PRIME) & _MASK64
    return f"{value:016x}"
