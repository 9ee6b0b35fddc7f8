"""Bundle fixtures: real .tar.gz archives built with tarfile, valid and hostile."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from common.bundle.build import build_bundle

#: A manifest that passes every strict check, with files for each path it names.
VALID_MANIFEST: dict[str, Any] = {
    "id": "com.example.demo",
    "name": "Demo",
    "description": "A demo plugin",
    "homepage_url": "https://example.com/demo",
    "version": "1.2.3",
    "min_server_version": "9.0.0",
    "icon_path": "assets/icon.svg",
    "server": {"executables": {"linux-amd64": "server/dist/plugin-linux-amd64"}},
    "webapp": {"bundle_path": "webapp/dist/main.js"},
    "settings_schema": {
        "header": "",
        "footer": "",
        "settings": [{"key": "Greeting", "type": "text", "placeholder": "hi", "default": "hello"}],
    },
}
VALID_FILES: dict[str, Any] = {
    "server/dist/plugin-linux-amd64": (b"\x7fELF fake binary", 0o755),
    "webapp/dist/main.js": "window.registerPlugin('com.example.demo', {});",
    "assets/icon.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
}

Entry = tuple[tarfile.TarInfo, bytes | None]


def tar_entry(
    name: str,
    data: bytes | str | None = b"",
    *,
    type: bytes = tarfile.REGTYPE,
    mode: int = 0o644,
    size: int | None = None,
    linkname: str = "",
) -> Entry:
    """One tar member; ``size`` overrides the header's size (to lie about it)."""
    info = tarfile.TarInfo(name)
    info.type = type
    info.mode = mode
    info.mtime = 1_700_000_000
    info.linkname = linkname
    content = data.encode() if isinstance(data, str) else data
    if type == tarfile.DIRTYPE:
        info.mode = 0o755
        content = None
    info.size = size if size is not None else len(content or b"")
    return info, content


def raw_tar(entries: Iterable[Entry], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape"
    ) as tar:
        for info, content in entries:
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def tar_blocks(entries: Iterable[Entry], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """Headers and data only: no end-of-archive marker, no record padding (to append to)."""
    out = bytearray()
    for info, content in entries:
        out += info.tobuf(fmt, "utf-8", "surrogateescape")
        if content:
            out += content + bytes(-len(content) % tarfile.BLOCKSIZE)
    return bytes(out)


def tar_gz(entries: Iterable[Entry], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A real .tar.gz of the given members, in order, nothing added."""
    return gzip.compress(raw_tar(entries, fmt=fmt), mtime=0)


def manifest_entry(manifest: dict[str, Any] | None = None, prefix: str = "p/") -> Entry:
    import json

    return tar_entry(f"{prefix}plugin.json", json.dumps(manifest or {"id": "com.example.demo"}))


@pytest.fixture
def valid_bundle_bytes() -> bytes:
    return build_bundle(VALID_MANIFEST, VALID_FILES)


@pytest.fixture
def write_bundle(tmp_path: Path) -> Callable[[bytes, str], Path]:
    """Write bundle bytes to a file under tmp_path/in and return its path."""
    folder = tmp_path / "in"
    folder.mkdir()

    def write(data: bytes, name: str = "bundle.tar.gz") -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def extract_parent(tmp_path: Path) -> Path:
    """An empty directory to extract into (as parent/target): must stay empty on failure."""
    parent = tmp_path / "out"
    parent.mkdir()
    return parent
