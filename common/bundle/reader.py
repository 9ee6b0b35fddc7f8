"""read_bundle and extract_bundle: the two ways the portal takes in a plugin bundle."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from common.errors import BundleRejected

from .archive import MANIFEST_NAMES, ArchiveFile, ArchiveScan, scan_archive
from .limits import DEFAULT_LIMITS, BundleLimits, Check
from .manifest import parse_manifest
from .validation import clean_bundle_path, validate_manifest, webapp_bundle_path

__all__ = ["BundleInfo", "extract_bundle", "read_bundle"]

_COPY_CHUNK = 1024 * 1024

#: A path, an open binary stream (read from its current position), or the bytes themselves.
Source = Path | str | BinaryIO | bytes | bytearray | memoryview


@dataclasses.dataclass(frozen=True)
class BundleInfo:
    """What a valid bundle holds. Paths in ``files`` are relative to the bundle root."""

    manifest: dict
    plugin_id: str
    version: str
    sha256: str  # of the compressed bytes, lower-case hex
    size: int  # compressed bytes
    root: str  # the archive's top directory when it is the bundle root, else ""
    icon_svg: bytes | None
    has_server: bool
    has_webapp: bool
    entries: int
    uncompressed_size: int
    manifest_name: str = "plugin.json"
    files: tuple[ArchiveFile, ...] = ()
    warnings: tuple[str, ...] = ()


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[tuple[BinaryIO, Callable[[], bool]]]:
    """The source as a binary stream, and a function that rewinds it (False if it cannot)."""
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as handle:
            yield handle, lambda: handle.seek(0) == 0
        return
    start: int | None = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if source.seekable():
            start = source.tell()

    def rewind() -> bool:
        if start is None:
            return False
        source.seek(start)
        return True

    yield source, rewind


def _in_root(scan: ArchiveScan, relative: str) -> str:
    return f"{scan.root}/{relative}" if scan.root else relative


def _find_manifest(scan: ArchiveScan, limits: BundleLimits) -> tuple[dict, str]:
    """Mattermost's FindManifest at the bundle root: plugin.yml, plugin.yaml, then plugin.json."""
    for name in MANIFEST_NAMES:
        path = _in_root(scan, name)
        if path in scan.oversize:
            size = scan.files[path].size
            raise BundleRejected(
                Check.MANIFEST_SIZE,
                f"{name} is {size} bytes, over the {limits.max_manifest_size} byte limit",
            )
        if path in scan.files:
            return parse_manifest(scan.captured[path], name, limits=limits), name
        if path in scan.dirs:
            raise BundleRejected(Check.MANIFEST, f"{name} is a directory")
    where = f"in {scan.root}/" if scan.root else "at the archive root"
    raise BundleRejected(Check.MANIFEST, f"no plugin.yml, plugin.yaml or plugin.json found {where}")


def _check_files(manifest: dict, scan: ArchiveScan) -> list[str]:
    """Files the manifest names must be in the bundle; returns warnings for softer problems."""
    warnings: list[str] = []
    server = manifest.get("server") or {}
    executables = dict(server.get("executables") or {})
    if server.get("executable"):
        executables["executable"] = server["executable"]
    for platform, path in executables.items():
        if not path:
            continue
        relative = clean_bundle_path(path)
        entry = scan.files.get(_in_root(scan, relative or ""))
        if entry is None:
            raise BundleRejected(
                Check.FILES, f"server executable {platform} {path!r} is not in the bundle"
            )
        if not entry.executable:
            warnings.append(f"server executable {path!r} is not marked executable")
    webapp = manifest.get("webapp")
    if webapp is not None:
        relative = webapp_bundle_path(webapp.get("bundle_path") or "") or ""
        if _in_root(scan, relative) not in scan.files:
            raise BundleRejected(
                Check.FILES, f"webapp bundle {webapp.get('bundle_path')!r} is not in the bundle"
            )
    return warnings


def _icon_path(manifest: dict, scan: ArchiveScan, limits: BundleLimits, strict: bool) -> str | None:
    """Archive path of the icon to embed, or None; refuses a missing/oversize icon if strict."""
    icon = manifest.get("icon_path") or ""
    if not icon:
        return None
    relative = clean_bundle_path(icon)
    path = _in_root(scan, relative) if relative not in (None, ".") else None
    entry = scan.files.get(path) if path else None
    if entry is None:
        if strict:
            raise BundleRejected(Check.ICON, f"icon_path {icon!r} is not in the bundle")
        return None
    if entry.size > limits.max_icon_size:
        if strict:
            raise BundleRejected(
                Check.ICON,
                f"icon {icon!r} is {entry.size} bytes, over the {limits.max_icon_size} byte limit",
            )
        return None
    return path


def _info(
    scan: ArchiveScan,
    *,
    limits: BundleLimits,
    strict: bool,
    load_icon: Callable[[str], bytes | None],
) -> BundleInfo:
    manifest, manifest_name = _find_manifest(scan, limits)
    manifest = validate_manifest(manifest, strict=strict)
    warnings = _check_files(manifest, scan) if strict else []
    icon_path = _icon_path(manifest, scan, limits, strict)
    icon = None
    if icon_path is not None:
        icon = scan.captured.get(icon_path)
        if icon is None:
            icon = load_icon(icon_path)
        if icon is not None and b"<svg" not in icon[:4096].lower():
            # Mattermost's marketplace labels it SVG regardless; bitmaps will not render.
            warnings.append(f"icon {manifest['icon_path']!r} does not look like an SVG image")
    prefix = f"{scan.root}/" if scan.root else ""
    cut = len(prefix)
    files = tuple(
        ArchiveFile(entry.path[cut:], entry.size, entry.mode)
        for entry in scan.files.values()
        if entry.path.startswith(prefix)
    )
    return BundleInfo(
        manifest=manifest,
        plugin_id=manifest["id"],
        version=str(manifest.get("version") or ""),
        sha256=scan.sha256,
        size=scan.size,
        root=scan.root,
        icon_svg=icon,
        has_server=manifest.get("server") is not None,
        has_webapp=manifest.get("webapp") is not None,
        entries=scan.entries,
        uncompressed_size=scan.uncompressed_size,
        manifest_name=manifest_name,
        files=files,
        warnings=tuple(warnings),
    )


def read_bundle(
    source: Source,
    *,
    limits: BundleLimits = DEFAULT_LIMITS,
    strict: bool = True,
) -> BundleInfo:
    """Validate a plugin bundle (``.tar.gz``) in one streaming pass; raise ``BundleRejected``.

    ``source`` is a path or a binary stream (read from its current position). Memory stays
    bounded whatever the size. ``strict`` validates the manifest with Mattermost's full
    ``IsValid`` rules and requires the files it names (executables, webapp bundle, icon);
    ``strict=False`` checks what a Mattermost server checks on upload (archive, manifest, id).
    """
    with _opened(source) as (raw, rewind):
        scan = scan_archive(raw, limits)

        def load_icon(path: str) -> bytes | None:
            # The icon came before the manifest told us its name: read it in a second pass.
            if not rewind():
                return None
            return scan_archive(raw, limits, capture_paths={path}).captured.get(path)

        return _info(scan, limits=limits, strict=strict, load_icon=load_icon)


class _DirectorySink:
    """Writes entries under ``base``: regular files and directories only, modes 0755/0644."""

    def __init__(self, base: Path) -> None:
        self.real_base = base.resolve()
        self._dirs: dict[str, Path] = {"": self.real_base}  # created and checked

    def _directory(self, relative: str) -> Path:
        """Create ``relative`` (and its parents) under the base; return its absolute path."""
        known = self._dirs.get(relative)
        if known is not None:
            return known
        parent, _, name = relative.rpartition("/")
        absolute = self._directory(parent) / name
        with contextlib.suppress(FileExistsError):
            absolute.mkdir(0o755)
        # A real containment check on the resolved directory, not a string prefix test:
        # nothing we write is a link, but the check must not depend on that.
        real = absolute.resolve()
        if not real.is_relative_to(self.real_base) or not real.is_dir():
            raise BundleRejected(
                Check.PARENT_PATH, f"{relative!r} would be written outside the target"
            )
        absolute.chmod(0o755)
        self._dirs[relative] = absolute
        return absolute

    def directory(self, path: str) -> None:
        self._directory(path)

    def file(self, entry: ArchiveFile, content: IO[bytes]) -> None:
        parent, _, name = entry.path.rpartition("/")
        target = self._directory(parent) / name
        mode = 0o755 if entry.executable else 0o644
        # O_EXCL + O_NOFOLLOW: never overwrite, never write through a link.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(target, flags, mode)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(fd, mode)  # the umask may have removed bits
            shutil.copyfileobj(content, out, _COPY_CHUNK)


def _make_parents(directory: Path) -> list[Path]:
    """Create missing ancestors of ``directory``; return them, deepest first, for cleanup."""
    created: list[Path] = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        created.append(parent)
    for parent in reversed(created):
        parent.mkdir(mode=0o755)
    return created


def extract_bundle(
    source: Source,
    target_dir: Path | str,
    *,
    limits: BundleLimits = DEFAULT_LIMITS,
    strict: bool = True,
) -> BundleInfo:
    """Validate and extract the bundle ROOT's contents into ``target_dir`` (which must not exist).

    Everything is written into a temporary sibling directory that is renamed into place only
    after every check passed; on any failure nothing is left behind (no target, no temporary
    directory, no parents we created). Executable bits are kept (files 0755 or 0644).
    """
    target = Path(target_dir).absolute()
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"extraction target {target} already exists")
    created_parents = _make_parents(target.parent)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    moved = False
    try:
        with _opened(source) as (raw, _rewind):
            scan = scan_archive(raw, limits, sink=_DirectorySink(temp))
        root_dir = temp / scan.root if scan.root else temp

        def load_icon(path: str) -> bytes | None:
            return temp.joinpath(*path.split("/")).read_bytes()

        info = _info(scan, limits=limits, strict=strict, load_icon=load_icon)
        root_dir.chmod(0o755)
        root_dir.rename(target)
        moved = True
        if scan.root:
            temp.rmdir()  # held only the root directory, now moved
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        if moved:
            shutil.rmtree(target, ignore_errors=True)
        for parent in created_parents:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    return info
