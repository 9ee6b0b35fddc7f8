"""Plugin source code: safe reading of uploaded archives, git clones, one normal form.

Whatever the developer sends (a ``.tar.gz``/``.zip`` upload or a git URL and ref), the portal
keeps one normal form: a ``.tar.gz`` of regular files with relative paths, a single wrapping
folder (``repo-main/``) removed, no links, devices or ``.git``. Every reader (review diff,
scanners) works on that form, so the safety checks live in one place.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import subprocess  # nosec B404  # external tools run with argument lists only
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings

from common.errors import InvalidInput, UpstreamError

MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, against zip bombs
GIT_CLONE_TIMEOUT = 120.0
#: Never kept from a source tree: VCS metadata.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class NormalisedSource:
    data: bytes  # the normal-form .tar.gz
    sha256: str
    files: int
    total_bytes: int


def _safe_path(name: str) -> str | None:
    """Relative POSIX path of an entry, or None for entries we drop; raises on escapes."""
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InvalidInput(f"source archive entry {name!r} has an absolute path")
    parts = [p for p in path.parts if p not in ("", ".")]
    if ".." in parts:
        raise InvalidInput(f"source archive entry {name!r} escapes the archive")
    if not parts or any(p in SKIPPED_DIRS for p in parts):
        return None
    return "/".join(parts)


def _iter_upload(data: bytes, filename: str) -> Iterator[tuple[str, bytes]]:
    """Regular files of an uploaded archive; links and special files are refused."""
    lower = filename.lower()
    if lower.endswith(".zip") or data[:4] == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"source archive is not a readable zip file: {exc}") from exc
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise InvalidInput(f"source archive has more than {MAX_ENTRIES} entries")
        for info in infos:
            if info.is_dir():
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode and mode != 0o100000:
                _safe_path(info.filename)  # a link or special file: left out, name still checked
                continue
            if info.file_size > MAX_FILE_BYTES:
                raise InvalidInput(f"source file {info.filename!r} is larger than the limit")
            rel = _safe_path(info.filename)
            if rel is not None:
                yield rel, zf.read(info)
        return
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidInput("source archive is neither a readable .tar.gz nor a .zip file") from exc
    with tf:
        count = 0
        try:
            for member in tf:
                count += 1
                if count > MAX_ENTRIES:
                    raise InvalidInput(f"source archive has more than {MAX_ENTRIES} entries")
                if member.isdir() or member.type in (tarfile.XHDTYPE, tarfile.XGLTYPE):
                    continue
                if not member.isreg():
                    # Links and special files are never extracted or followed; real repositories
                    # do contain symlinks, so they are left out rather than refused. Their names
                    # are still checked, so a hostile archive is refused all the same.
                    _safe_path(member.name)
                    continue
                if member.size > MAX_FILE_BYTES:
                    raise InvalidInput(f"source file {member.name!r} is larger than the limit")
                rel = _safe_path(member.name)
                if rel is None:
                    continue
                fh = tf.extractfile(member)
                yield rel, fh.read() if fh is not None else b""
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise InvalidInput(f"source archive is corrupt: {exc}") from exc


def _strip_wrapper(files: dict[str, bytes]) -> dict[str, bytes]:
    """Drop one folder that wraps everything (GitHub archives, ``tar czf x.tgz dir/``)."""
    tops = {p.split("/", 1)[0] for p in files}
    if len(tops) == 1 and all("/" in p for p in files):
        top = next(iter(tops))
        return {p[len(top) + 1 :]: c for p, c in files.items()}
    return files


def _pack(files: dict[str, bytes]) -> NormalisedSource:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            content = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    data = gzip.compress(raw.getvalue(), mtime=0)
    return NormalisedSource(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        files=len(files),
        total_bytes=sum(len(c) for c in files.values()),
    )


def normalise_upload(upload: BinaryIO | bytes, filename: str) -> NormalisedSource:
    """Read an uploaded ``.tar.gz``/``.tgz``/``.zip`` safely and return its normal form."""
    data = upload if isinstance(upload, bytes) else upload.read(MAX_ARCHIVE_BYTES + 1)
    if len(data) > MAX_ARCHIVE_BYTES:
        raise InvalidInput(f"source archive is larger than {MAX_ARCHIVE_BYTES} bytes")
    if not data:
        raise InvalidInput("source archive is empty")
    files: dict[str, bytes] = {}
    total = 0
    for rel, content in _iter_upload(data, filename):
        total += len(content)
        if total > MAX_TOTAL_BYTES or total > max(len(data), 1024) * MAX_RATIO:
            raise InvalidInput("source archive expands too much (possible archive bomb)")
        if rel in files:
            raise InvalidInput(f"source archive has {rel!r} twice")
        files[rel] = content
    if not files:
        raise InvalidInput("source archive contains no files")
    return _pack(_strip_wrapper(files))


def normalise_tree(root: Path) -> NormalisedSource:
    """Normal form of a directory (a git checkout); links and special files are skipped."""
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for fname in sorted(filenames):
            full = Path(dirpath) / fname
            if full.is_symlink() or not full.is_file():
                continue
            rel = full.relative_to(root).as_posix()
            if full.stat().st_size > MAX_FILE_BYTES:
                raise InvalidInput(f"source file {rel!r} is larger than the limit")
            content = full.read_bytes()
            total += len(content)
            if total > MAX_TOTAL_BYTES or len(files) >= MAX_ENTRIES:
                raise InvalidInput("source tree is too large")
            files[rel] = content
    if not files:
        raise InvalidInput("source tree contains no files")
    return _pack(files)


def check_git_url(url: str) -> None:
    """Refuse git URLs with schemes we do not clone (local paths only where allowed)."""
    scheme = urlsplit(url).scheme.lower()
    allowed = {"https"}
    if getattr(
        settings, "CERTIFICATION_GIT_ALLOW_LOCAL", not getattr(settings, "PRODUCTION", True)
    ):
        allowed |= {"http", "file"}
    if scheme not in allowed:
        raise InvalidInput(
            f"git URL scheme {scheme or '(none)'!r} is not allowed; use one of {sorted(allowed)}"
        )
    if url.startswith("-"):
        raise InvalidInput("git URL must not start with '-'")


def check_git_ref(ref: str) -> None:
    bad = ref.startswith("-") or ".." in ref or any(c in ref for c in " ~^:?*[\\\0")
    if not ref or bad or len(ref) > 255:
        raise InvalidInput(f"{ref!r} is not a valid branch or tag name")


def clone_source(url: str, ref: str, *, timeout: float = GIT_CLONE_TIMEOUT) -> NormalisedSource:
    """Shallow-clone ``ref`` of ``url`` into a temporary folder and return its normal form.

    Raises InvalidInput when the repository or ref does not exist (a developer error) and
    UpstreamError when git times out (worth a retry).
    """
    check_git_url(url)
    check_git_ref(ref)
    git = shutil.which("git")
    if git is None:
        raise UpstreamError("git is not installed on the worker")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": tempfile.gettempdir(),
        "GIT_ASKPASS": "/bin/true",
    }
    with tempfile.TemporaryDirectory(prefix="cert-clone-") as tmp:
        target = Path(tmp) / "src"
        cmd = [
            git,
            "-c",
            "core.symlinks=false",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--no-tags",
            "--single-branch",
            "--branch",
            ref,
            "--",
            url,
            str(target),
        ]
        try:
            proc = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
                cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise UpstreamError(f"git clone timed out after {timeout:.0f} s") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise InvalidInput(
                f"git clone of {url} at {ref!r} failed: {detail[-1] if detail else 'no output'}"
            )
        return normalise_tree(target)


def iter_files(archive: BinaryIO | bytes) -> Iterator[tuple[str, bytes]]:
    """Files of a normal-form archive (as stored by the portal)."""
    data = archive if isinstance(archive, bytes) else archive.read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for member in tf:
            if member.isreg():
                rel = _safe_path(member.name)
                fh = tf.extractfile(member)
                if rel is not None and fh is not None:
                    yield rel, fh.read()


def extract_to(archive: BinaryIO | bytes, target: Path) -> int:
    """Write a normal-form archive's files under ``target``; returns the number of files."""
    count = 0
    root = target.resolve()
    for rel, content in iter_files(archive):
        dest = (root / rel).resolve()
        if not dest.is_relative_to(root):
            raise InvalidInput(f"source path {rel!r} escapes the target folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content)
        count += 1
    return count
