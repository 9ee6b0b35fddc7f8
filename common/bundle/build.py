"""Build plugin bundles (``.tar.gz``) from a manifest and files: used by demo data and tests."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
from collections.abc import Mapping
from typing import Any

#: A file's content, or (content, mode) to set permission bits (e.g. 0o755 for executables).
FileSpec = bytes | str | tuple[bytes | str, int]


def build_bundle(
    manifest: Mapping[str, Any],
    files: Mapping[str, FileSpec] | None = None,
    *,
    top_dir: str | None = "",
    manifest_name: str = "plugin.json",
    mtime: float | None = None,
) -> bytes:
    """Return the bytes of a gzip-compressed tar bundle.

    ``top_dir`` is the single top-level folder Mattermost's build tooling writes (default: the
    plugin id); pass ``None`` for a bundle whose files sit at the archive root. The manifest is
    written as JSON, or as YAML when ``manifest_name`` ends in ``.yml``/``.yaml``.
    """
    if top_dir == "":
        top_dir = str(manifest.get("id", "plugin"))
    stamp = int(mtime if mtime is not None else time.time())
    entries: dict[str, tuple[bytes, int]] = {}
    if manifest_name.endswith((".yml", ".yaml")):
        import yaml

        entries[manifest_name] = (yaml.safe_dump(dict(manifest), sort_keys=False).encode(), 0o644)
    else:
        entries[manifest_name] = (json.dumps(manifest, indent=2).encode(), 0o644)
    for name, spec in (files or {}).items():
        content, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
        entries[name] = (content.encode() if isinstance(content, str) else content, mode)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        if top_dir:
            dirs.add(top_dir)
        for name in entries:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join([top_dir, *parts[:i]] if top_dir else parts[:i]))
        for d in sorted(dirs):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = stamp
            tar.addfile(info)
        for name, (content, mode) in entries.items():
            info = tarfile.TarInfo(f"{top_dir}/{name}" if top_dir else name)
            info.size = len(content)
            info.mode = mode
            info.mtime = stamp
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=stamp)
