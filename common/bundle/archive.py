"""One streaming pass over a .tar.gz: every archive-safety check, nothing held but small files.

The walk never seeks backwards and never keeps more than one read buffer, the names and sizes of
the entries, and the few small files a bundle needs (manifest candidates, SVG icons), so memory
stays bounded whatever the bundle size.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tarfile
from collections.abc import Collection
from typing import IO, BinaryIO, Protocol, Self

from common.errors import BundleRejected

from .limits import BundleLimits, Check
from .stream import GzipStream

MANIFEST_NAMES = ("plugin.yml", "plugin.yaml", "plugin.json")  # Mattermost's lookup order

# tarfile's read buffer. Each header read copies what is left of it, so a small buffer keeps
# many-small-files archives cheap; big members are skipped in buffer-sized reads either way.
TAR_BUFSIZE = 64 * 1024
_BLOCK = tarfile.BLOCKSIZE
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
# tarfile's header errors are not in its __all__ (nor in typeshed), but stable since Python 3.2.
_END_OF_ARCHIVE: tuple[type[Exception], ...] = (
    tarfile.EOFHeaderError,  # type: ignore[attr-defined]
    tarfile.EmptyHeaderError,  # type: ignore[attr-defined]
)
_TRUNCATED_HEADER: type[Exception] = tarfile.TruncatedHeaderError  # type: ignore[attr-defined]
_INVALID_HEADER: type[Exception] = tarfile.InvalidHeaderError  # type: ignore[attr-defined]
_TYPE_NAMES = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
    tarfile.CONTTYPE: "contiguous file",
    tarfile.GNUTYPE_SPARSE: "sparse file",
}


@dataclasses.dataclass(frozen=True, slots=True)
class ArchiveFile:
    """A regular file in the archive: normalized path, size and permission bits."""

    path: str
    size: int
    mode: int

    @property
    def executable(self) -> bool:
        return bool(self.mode & 0o111)


@dataclasses.dataclass
class ArchiveScan:
    """What one pass learned about an archive that passed every check."""

    sha256: str
    size: int
    entries: int
    uncompressed_size: int
    files: dict[str, ArchiveFile]
    dirs: set[str]
    root: str  # the bundle root ("" = archive root), by Mattermost's rule
    captured: dict[str, bytes]  # small files kept in memory, by archive path
    oversize: set[str]  # manifest candidates too large to capture


class Sink(Protocol):
    """Receives entries as they stream past (extraction)."""

    def directory(self, path: str) -> None: ...

    def file(self, entry: ArchiveFile, content: IO[bytes]) -> None: ...


class _StrictTarInfo(tarfile.TarInfo):
    """tarfile treats a corrupt header after the first as a silent end of archive; we refuse."""

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tar)
        except _END_OF_ARCHIVE:
            raise  # end-of-archive marker, or end of data exactly at a header boundary
        except _TRUNCATED_HEADER:
            raise BundleRejected(Check.TRUNCATED, "the tar archive ends inside a header") from None
        except _INVALID_HEADER as exc:
            if tar.offset == 0:
                raise BundleRejected(Check.TAR, f"not a tar archive ({exc})") from None
            raise BundleRejected(
                Check.TAR, f"invalid tar header at offset {tar.offset}: {exc}"
            ) from None


def normalize_name(name: str, limits: BundleLimits) -> str:
    """The entry's path relative to the archive root, or a refusal naming the broken rule."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise BundleRejected(
            Check.FILENAME_ENCODING, f"entry name {shown!r} is not valid UTF-8"
        ) from None
    if _BAD_NAME_CHARS.search(name):
        raise BundleRejected(
            Check.FILENAME_CHARS,
            f"entry name {name!r} contains a control character or a backslash",
        )
    if name.startswith("/"):
        raise BundleRejected(Check.ABSOLUTE_PATH, f"entry {name!r} has an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise BundleRejected(Check.PARENT_PATH, f"entry {name!r} has a '..' component")
    path = "/".join(parts)
    if len(path.encode()) > limits.max_path_length:
        raise BundleRejected(
            Check.PATH_LENGTH, f"entry path is longer than {limits.max_path_length} bytes"
        )
    if any(len(part.encode()) > limits.max_name_length for part in parts):
        raise BundleRejected(
            Check.PATH_LENGTH,
            f"entry {path[:80]!r}… has a name longer than {limits.max_name_length} bytes",
        )
    if len(parts) > limits.max_path_depth:
        raise BundleRejected(
            Check.PATH_DEPTH, f"entry {path[:80]!r}… is nested deeper than {limits.max_path_depth}"
        )
    return path


def _check_type(member: tarfile.TarInfo, path: str) -> None:
    if member.issym():
        raise BundleRejected(Check.LINK, f"{path!r} is a symbolic link (to {member.linkname!r})")
    if member.islnk():
        raise BundleRejected(Check.LINK, f"{path!r} is a hard link (to {member.linkname!r})")
    if member.isdir():
        return
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and member.sparse is None:
        return
    kind = _TYPE_NAMES.get(member.type, f"entry of unknown type {member.type!r}")
    if member.sparse is not None:
        kind = "sparse file"
    raise BundleRejected(Check.ENTRY_TYPE, f"{path!r} is a {kind}; only files and directories")


def _block(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


class _Walker:
    def __init__(
        self, limits: BundleLimits, sink: Sink | None, capture_paths: Collection[str]
    ) -> None:
        self.limits = limits
        self.sink = sink
        self.capture_paths = capture_paths
        self.entries = 0
        self.total = 0
        self.files: dict[str, ArchiveFile] = {}
        self.dirs: set[str] = set()
        self.explicit_dirs: set[str] = set()
        self.top: dict[str, bool] = {}  # top-level name -> is a directory
        self.captured: dict[str, bytes] = {}
        self.oversize: set[str] = set()
        self.svg_budget = 4 * limits.max_icon_size

    def _claim(self, path: str, is_dir: bool) -> None:
        """Record the path; refuse a second entry for it or a file where a directory must be."""
        if path in self.files or (path in self.explicit_dirs) or (not is_dir and path in self.dirs):
            raise BundleRejected(Check.DUPLICATE_ENTRY, f"{path!r} appears more than once")
        parent = path.rpartition("/")[0]
        while parent and parent not in self.dirs:
            if parent in self.files:
                raise BundleRejected(
                    Check.DUPLICATE_ENTRY, f"{parent!r} is both a file and a directory"
                )
            self.dirs.add(parent)
            parent = parent.rpartition("/")[0]
        if parent in self.files:
            raise BundleRejected(
                Check.DUPLICATE_ENTRY, f"{parent!r} is both a file and a directory"
            )
        first, _, rest = path.partition("/")
        self.top[first] = self.top.get(first, False) or is_dir or bool(rest)

    def _wants(self, path: str, size: int) -> bool:
        """Keep this file's bytes in memory? Manifest candidates, icons, asked-for paths."""
        if path in self.capture_paths:
            return size <= max(self.limits.max_icon_size, self.limits.max_manifest_size)
        base = path.rpartition("/")[2]
        depth = path.count("/")
        if base in MANIFEST_NAMES and (depth == 0 or (depth == 1 and len(self.top) == 1)):
            if size > self.limits.max_manifest_size:
                self.oversize.add(path)
                return False
            return True
        small = size <= min(self.limits.max_icon_size, self.svg_budget)
        if base.lower().endswith(".svg") and small:
            self.svg_budget -= size
            return True
        return False

    def _prune_candidates(self) -> None:
        """Manifests one level down only count under a single top directory: drop the rest so
        an archive with many top-level folders cannot make us keep many manifests."""
        if len(self.top) > 1:
            for path in [p for p in self.captured if p.count("/") == 1]:
                if path.rpartition("/")[2] in MANIFEST_NAMES:
                    del self.captured[path]

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        limits = self.limits
        self.entries += 1
        if self.entries > limits.max_entries:
            raise BundleRejected(
                Check.ENTRY_COUNT, f"the archive has more than {limits.max_entries} entries"
            )
        if member.size < 0:
            raise BundleRejected(Check.TAR, f"entry {member.name!r} has a negative size")
        path = normalize_name(member.name, limits)
        _check_type(member, path)
        if member.isdir():
            if not path:
                return  # "./": the archive root itself
            self._claim(path, is_dir=True)
            self.explicit_dirs.add(path)
            self.dirs.add(path)
            if self.sink is not None:
                self.sink.directory(path)
            return
        if not path:
            raise BundleRejected(Check.FILENAME_CHARS, f"file entry {member.name!r} has no name")
        if member.size > limits.max_file_size:
            raise BundleRejected(
                Check.FILE_SIZE,
                f"{path!r} is {member.size} bytes, over the {limits.max_file_size} byte limit",
            )
        self.total += member.size
        if self.total > limits.max_total_size:
            raise BundleRejected(
                Check.TOTAL_SIZE,
                f"the files add up to more than {limits.max_total_size} bytes uncompressed",
            )
        self._claim(path, is_dir=False)
        entry = ArchiveFile(path=path, size=member.size, mode=member.mode & 0o7777)
        self.files[path] = entry
        if len(self.top) > 1:
            self._prune_candidates()
        if self._wants(path, member.size):
            data = _read_member(tar, member)
            self.captured[path] = data
            if self.sink is not None:
                self.sink.file(entry, io.BytesIO(data))
        elif self.sink is not None:
            content = tar.extractfile(member)
            assert content is not None  # a regular file always has content
            self.sink.file(entry, content)

    def root(self) -> str:
        if len(self.top) == 1:
            name, is_dir = next(iter(self.top.items()))
            if is_dir:
                return name
        return ""


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    content = tar.extractfile(member)
    assert content is not None
    return content.read()


def _tar_error(exc: tarfile.TarError) -> BundleRejected:
    text = str(exc)
    if "unexpected end of data" in text:
        return BundleRejected(Check.TRUNCATED, "the tar archive ends inside a file")
    if text == "empty file":
        return BundleRejected(Check.TAR, "the archive is empty")
    return BundleRejected(Check.TAR, f"invalid tar archive: {text}")


def scan_archive(
    raw: BinaryIO,
    limits: BundleLimits,
    *,
    sink: Sink | None = None,
    capture_paths: Collection[str] = (),
) -> ArchiveScan:
    """Stream the archive in ``raw`` once, checking everything; raise ``BundleRejected``."""
    stream = GzipStream(raw, limits)
    slack = TAR_BUFSIZE + 3 * _BLOCK  # tarfile reads ahead up to one buffer
    stream.read_limit = limits.max_header_size + slack
    walker = _Walker(limits, sink, capture_paths)
    try:
        with tarfile.open(
            fileobj=stream,  # type: ignore[call-overload]
            mode="r|",
            bufsize=TAR_BUFSIZE,
            tarinfo=_StrictTarInfo,
            encoding="utf-8",
            errors="surrogateescape",
        ) as tar:
            while (member := tar.next()) is not None:
                # Stream mode still appends every member to tar.members; we never look them up,
                # and dropping them keeps memory flat for archives with many entries.
                tar.members.clear()
                # Allow the member's data and the next headers; a member too large for the
                # limits is refused by the walker before any of its data is read.
                stream.read_limit = (
                    member.offset_data + _block(member.size) + limits.max_header_size + slack
                )
                walker.member(tar, member)
            _drain_after_end(tar, stream)
    except tarfile.TarError as exc:
        raise _tar_error(exc) from None
    return ArchiveScan(
        sha256=stream.sha256.hexdigest(),
        size=stream.compressed,
        entries=walker.entries,
        uncompressed_size=walker.total,
        files=walker.files,
        dirs=walker.dirs,
        root=walker.root(),
        captured=walker.captured,
        oversize=walker.oversize,
    )


def _drain_after_end(tar: tarfile.TarFile, stream: GzipStream) -> None:
    """Read to the end of the file so the hash covers it and the gzip trailer is verified.

    After the end-of-archive marker only zero padding may follow: Go's tar reader (Mattermost)
    refuses other data there, and data hidden past the end would be invisible to reviewers.
    """
    stream.read_limit = 1 << 62
    fileobj = tar.fileobj
    assert fileobj is not None
    while chunk := fileobj.read(TAR_BUFSIZE):
        if chunk.count(0) != len(chunk):
            raise BundleRejected(Check.TAR, "data after the tar end-of-archive marker")
    stream.drain()
