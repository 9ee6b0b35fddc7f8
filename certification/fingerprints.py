"""Starter-template fingerprints: build them from a template, and use them to hide boilerplate.

Format (the same as ``shared/data/starter-template/fingerprints.json``)::

    {"source": ..., "normalisation": ..., "files": {path: {
        "sha256": [...],             # exact bytes of every version of the path
        "normalised_sha256": [...],  # after normalising (text files only)
        "line_hashes": [...]}}}      # 12 hex chars per stripped non-blank line (text files)

A file is text when it decodes as UTF-8 and has no NUL byte. ``package-lock.json`` and
``go.sum`` get no line hashes (they are generated, and their lines would hide nothing useful).
From a git checkout every version of every path in the history (all refs) is fingerprinted;
from a plain folder or an archive, the files as they are.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess  # nosec B404  # external tools run with argument lists only
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from common.errors import InvalidInput

NORMALISATION = (
    "text files: CRLF->LF, each line stripped of surrounding whitespace, blank lines dropped; "
    "content hash = sha256 of remaining lines joined by LF; line hash = first 12 hex chars of "
    "sha256 of one stripped non-blank line (UTF-8)"
)
NO_LINE_HASHES = frozenset({"package-lock.json", "go.sum"})
LINE_HASH_CHARS = 12


def text_of(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def normalised_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    return [s for s in (line.strip() for line in lines) if s]


def line_hash(line: str) -> str:
    return hashlib.sha256(line.strip().encode("utf-8")).hexdigest()[:LINE_HASH_CHARS]


def normalised_sha256(text: str) -> str:
    return hashlib.sha256("\n".join(normalised_lines(text)).encode("utf-8")).hexdigest()


@dataclass
class _Acc:
    sha256: set[str] = field(default_factory=set)
    normalised: set[str] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)


def _add(acc: dict[str, _Acc], path: str, data: bytes) -> None:
    entry = acc.setdefault(path, _Acc())
    entry.sha256.add(hashlib.sha256(data).hexdigest())
    text = text_of(data)
    if text is None:
        return
    entry.normalised.add(normalised_sha256(text))
    if path.rsplit("/", 1)[-1] not in NO_LINE_HASHES:
        entry.lines.update(line_hash(line) for line in normalised_lines(text))


def _git_versions(repo: Path) -> Iterator[tuple[str, bytes]]:
    """Every (path, content) of every blob reachable from any ref of a git repository."""
    git = shutil.which("git")
    if git is None:
        raise InvalidInput("git is needed to read a template checkout's history")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1"}
    listing = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        [git, "-C", str(repo), "log", "--all", "--format=", "--raw", "--no-abbrev", "-r", "-m",
         "--root", "--no-renames"],
        capture_output=True, check=True, env=env, timeout=600,
    )  # fmt: skip
    wanted: dict[str, set[str]] = {}
    for raw in listing.stdout.decode("utf-8", errors="replace").splitlines():
        # ":100644 100644 <old> <new> M\tpath"
        if not raw.startswith(":") or "\t" not in raw:
            continue
        meta, path = raw.split("\t", 1)
        parts = meta.split()
        blob, mode = parts[3], parts[1]
        if set(blob) == {"0"} or not mode.startswith("100"):
            continue
        wanted.setdefault(blob, set()).add(path)
    if not wanted:
        return
    blobs = sorted(wanted)
    batch = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        [git, "-C", str(repo), "cat-file", "--batch"],
        input="\n".join(blobs).encode() + b"\n",
        capture_output=True, check=True, env=env, timeout=600,
    )  # fmt: skip
    out = io.BytesIO(batch.stdout)
    for blob in blobs:
        header = out.readline().split()
        size = int(header[2])
        content = out.read(size)
        out.read(1)
        for path in wanted[blob]:
            yield path, content


def _tree_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath) / name
            if full.is_file() and not full.is_symlink():
                yield full.relative_to(root).as_posix(), full.read_bytes()


def _archive_files(path: Path) -> Iterator[tuple[str, bytes]]:
    from certification import sources

    normal = sources.normalise_upload(path.read_bytes(), path.name)
    yield from sources.iter_files(normal.data)


def build_fingerprints(source: Path, *, label: str = "") -> dict[str, Any]:
    """Fingerprints of a template checkout (all git history), folder, or archive."""
    if source.is_dir() and (source / ".git").exists():
        files = _git_versions(source)
        kind = "git history"
    elif source.is_dir():
        files = _tree_files(source)
        kind = "folder"
    elif source.is_file() and source.name.endswith((".tar.gz", ".tgz", ".zip", ".tar")):
        files = _archive_files(source)
        kind = "archive"
    else:
        raise InvalidInput(f"{source} is not a template checkout, folder or archive")
    acc: dict[str, _Acc] = {}
    for path, data in files:
        _add(acc, path, data)
    return {
        "source": label or f"{source.name} ({kind})",
        "normalisation": NORMALISATION,
        "files": {
            path: {
                "sha256": sorted(a.sha256),
                "normalised_sha256": sorted(a.normalised),
                "line_hashes": sorted(a.lines),
            }
            for path, a in sorted(acc.items())
        },
    }


@dataclass(frozen=True)
class Fingerprints:
    files: dict[str, dict[str, frozenset[str]]]
    source: str

    def entry(self, path: str) -> dict[str, frozenset[str]] | None:
        return self.files.get(path)


def load(path: str | Path) -> Fingerprints | None:
    """The configured fingerprints (cached per file version), or None when absent."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        return None
    return _load(str(p), stat.st_mtime_ns, stat.st_size)


_KEYS = ("sha256", "normalised_sha256", "line_hashes")


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int, _size: int) -> Fingerprints:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    files = {
        name: {key: frozenset(entry.get(key, ())) for key in _KEYS}
        for name, entry in data.get("files", {}).items()
    }
    return Fingerprints(files=files, source=str(data.get("source", "")))
