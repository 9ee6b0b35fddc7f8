"""Every hostile-archive check: the refusal names the check, and nothing is written.

Each archive is built for real with tarfile/gzip. A valid manifest and a file come first, so
extraction has already written something when the hostile entry arrives: the test then proves
the temporary directory was removed and the target never appeared.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from common.bundle import BundleLimits, extract_bundle, read_bundle
from common.errors import BundleRejected

from .conftest import VALID_FILES, VALID_MANIFEST, raw_tar, tar_blocks, tar_entry, tar_gz

MANIFEST = {"id": "com.example.hostile", "name": "Hostile", "version": "1.0.0"}
MiB = 1024 * 1024


def _head() -> list:
    """A harmless start: the root directory, a valid manifest, one file."""
    return [
        tar_entry("p", type=tarfile.DIRTYPE),
        tar_entry("p/plugin.json", json.dumps(MANIFEST)),
        tar_entry("p/readme.txt", "hello " * 100),
    ]


def with_entries(*entries) -> Callable[[], bytes]:
    return lambda: tar_gz([*_head(), *entries])


def _not_gzip() -> bytes:
    return raw_tar(_head())


def _corrupt_gzip() -> bytes:
    data = bytearray(tar_gz([*_head(), tar_entry("p/big.bin", os.urandom(64 * 1024))]))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # garbled deflate data and a failing CRC
    return bytes(data)


def _truncated_gzip() -> bytes:
    data = tar_gz([*_head(), tar_entry("p/big.bin", os.urandom(64 * 1024))])
    return data[: len(data) - 2000]


def _truncated_tar() -> bytes:
    tar = raw_tar([*_head(), tar_entry("p/big.bin", os.urandom(64 * 1024))])
    return gzip.compress(tar[: 3 * 512 + 2048 + 30_000])  # ends inside big.bin's data


def _not_tar() -> bytes:
    return gzip.compress(b"this is a gzip file, but what it holds is not a tar archive\n" * 50)


def _trailing_garbage() -> bytes:
    return tar_gz(_head()) + b"GARBAGE AFTER THE GZIP STREAM"


def _data_after_end_marker() -> bytes:
    return gzip.compress(raw_tar(_head()) + b"hidden payload after the end marker".ljust(512))


def _corrupt_header_mid_archive() -> bytes:
    tar = bytearray(raw_tar([*_head(), tar_entry("p/second.txt", "x")]))
    # The header of p/second.txt: after three headers + readme data (600 bytes → 2 blocks)
    # + plugin.json data (1 block); garble its checksum field.
    offset = tar.index(b"p/second.txt") // 512 * 512
    tar[offset + 148 : offset + 156] = b"9999999\0"
    return gzip.compress(bytes(tar))


def _empty_file() -> bytes:
    return b""


def _huge_declared_file() -> bytes:
    info, _ = tar_entry("p/huge.bin", size=5 * 1024 * MiB)
    # A header that claims 5 GiB, followed by a little data: refused on the header alone.
    return gzip.compress(tar_blocks([*_head(), (info, None)]) + bytes(4096))


def _bomb() -> bytes:
    """1 GiB of zeros in one file from ~1 MiB of gzip: 64 identical gzip members.

    Concatenated gzip members are one valid gzip stream, so the bomb is cheap to build.
    """
    info, _ = tar_entry("p/zeros.bin", size=1024 * MiB)
    head = tar_blocks([*_head(), (info, None)])
    zeros_member = gzip.compress(bytes(16 * MiB), compresslevel=9, mtime=0)
    return (
        gzip.compress(head, mtime=0)
        + zeros_member * 64
        + gzip.compress(bytes(1024 + 10240), mtime=0)
    )


def _negative_size() -> bytes:
    info, _ = tar_entry("p/neg.bin")
    header = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    header[124:136] = b"\xff" * 12  # base-256 encoding of -1
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return gzip.compress(tar_blocks(_head()) + bytes(header) + bytes(4096))


def _many_entries() -> bytes:
    return tar_gz([*_head(), *(tar_entry(f"p/f{i}.txt", "x") for i in range(20))])


def _yaml_alias_bomb() -> bytes:
    lines = ["id: com.example.hostile", "name: Hostile", 'a: &a ["lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    return tar_gz(
        [tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.yml", "\n".join(lines))]
    )


def _big_manifest() -> bytes:
    manifest = {**MANIFEST, "description": "x" * (300 * 1024)}
    return tar_gz(
        [tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.json", json.dumps(manifest))]
    )


def _non_utf8_name() -> bytes:
    name = b"p/caf\xe9.txt".decode("utf-8", "surrogateescape")
    return tar_gz([*_head(), tar_entry(name, "x")], fmt=tarfile.GNU_FORMAT)


def _huge_pax_header() -> bytes:
    info, _ = tar_entry("p/long.txt", "x")
    info.pax_headers = {"comment": os.urandom(200 * 1024).hex()}
    return tar_gz([*_head(), (info, b"x")])


def _missing_manifest() -> bytes:
    return tar_gz([tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/readme.txt", "no manifest")])


def _unparseable_manifest() -> bytes:
    return tar_gz([tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.json", "{not json")])


def _invalid_id() -> bytes:
    manifest = {**MANIFEST, "id": "a/b"}
    return tar_gz(
        [tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.json", json.dumps(manifest))]
    )


def _missing_executable() -> bytes:
    manifest = {**MANIFEST, "server": {"executables": {"linux-amd64": "server/dist/plugin"}}}
    return tar_gz(
        [tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.json", json.dumps(manifest))]
    )


def _missing_icon() -> bytes:
    manifest = {**MANIFEST, "icon_path": "assets/icon.svg"}
    return tar_gz(
        [tar_entry("p", type=tarfile.DIRTYPE), tar_entry("p/plugin.json", json.dumps(manifest))]
    )


SMALL = BundleLimits(max_entries=10, max_total_size=4096, max_bundle_size=2048)

# (id, archive builder, expected check, limits or None for the defaults)
CASES: list[tuple[str, Callable[[], bytes], str, BundleLimits | None]] = [
    ("not-gzip", _not_gzip, "gzip", None),
    ("empty-file", _empty_file, "gzip", None),
    ("corrupt-gzip", _corrupt_gzip, "gzip", None),
    ("trailing-garbage", _trailing_garbage, "gzip", None),
    ("truncated-gzip", _truncated_gzip, "truncated", None),
    ("truncated-tar", _truncated_tar, "truncated", None),
    ("not-tar", _not_tar, "tar", None),
    ("corrupt-header", _corrupt_header_mid_archive, "tar", None),
    ("data-after-end", _data_after_end_marker, "tar", None),
    ("absolute-path", with_entries(tar_entry("/etc/cron.d/evil", "x")), "absolute_path", None),
    ("dotdot", with_entries(tar_entry("p/../../evil.sh", "x")), "parent_path", None),
    ("dotdot-dir", with_entries(tar_entry("p/../x", type=tarfile.DIRTYPE)), "parent_path", None),
    (
        "symlink",
        with_entries(tar_entry("p/link", None, type=tarfile.SYMTYPE, linkname="/etc/passwd")),
        "link",
        None,
    ),
    (
        "hardlink",
        with_entries(tar_entry("p/hard", None, type=tarfile.LNKTYPE, linkname="p/readme.txt")),
        "link",
        None,
    ),
    (
        "char-device",
        with_entries(tar_entry("p/tty", None, type=tarfile.CHRTYPE)),
        "entry_type",
        None,
    ),
    (
        "block-device",
        with_entries(tar_entry("p/sda", None, type=tarfile.BLKTYPE)),
        "entry_type",
        None,
    ),
    ("fifo", with_entries(tar_entry("p/pipe", None, type=tarfile.FIFOTYPE)), "entry_type", None),
    ("contiguous", with_entries(tar_entry("p/c", "x", type=tarfile.CONTTYPE)), "entry_type", None),
    ("unknown-type", with_entries(tar_entry("p/u", "x", type=b"Z")), "entry_type", None),
    ("too-many-entries", _many_entries, "entry_count", SMALL),
    ("total-size", with_entries(tar_entry("p/big.txt", "y" * 5000)), "total_size", SMALL),
    ("file-size", _huge_declared_file, "file_size", None),
    ("negative-size", _negative_size, "tar", None),
    ("bundle-size", with_entries(tar_entry("p/rand", os.urandom(4096))), "bundle_size", SMALL),
    ("compression-bomb", _bomb, "compression_ratio", None),
    ("manifest-size", _big_manifest, "manifest_size", None),
    ("yaml-alias-bomb", _yaml_alias_bomb, "yaml_alias", None),
    ("duplicate", with_entries(tar_entry("p/readme.txt", "again")), "duplicate_entry", None),
    (
        "file-then-dir",
        with_entries(tar_entry("p/readme.txt/inner", "x")),
        "duplicate_entry",
        None,
    ),
    (
        "path-too-long",
        with_entries(tar_entry("p/" + ("d" * 200 + "/") * 6 + "f", "x")),
        "path_length",
        None,
    ),
    ("name-too-long", with_entries(tar_entry("p/" + "n" * 300, "x")), "path_length", None),
    ("path-too-deep", with_entries(tar_entry("p/" + "d/" * 40 + "f", "x")), "path_depth", None),
    ("non-utf8-name", _non_utf8_name, "filename_encoding", None),
    ("control-char", with_entries(tar_entry("p/bad\x1bname", "x")), "filename_chars", None),
    ("backslash", with_entries(tar_entry("p/..\\..\\evil", "x")), "filename_chars", None),
    ("huge-pax-header", _huge_pax_header, "header_size", None),
    ("missing-manifest", _missing_manifest, "manifest", None),
    ("unparseable-manifest", _unparseable_manifest, "manifest", None),
    ("invalid-id", _invalid_id, "manifest", None),
    ("missing-executable", _missing_executable, "files", None),
    ("missing-icon", _missing_icon, "icon", None),
]


@pytest.fixture(scope="module")
def archives() -> dict[str, bytes]:
    """Build each archive once per module (the bomb takes a moment)."""
    return {case_id: build() for case_id, build, _, _ in CASES}


@pytest.mark.parametrize(
    ("case_id", "check", "limits"), [(c[0], c[2], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_read_bundle_refuses_hostile_archive(
    archives: dict[str, bytes], case_id: str, check: str, limits: BundleLimits | None
) -> None:
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(archives[case_id]), **({"limits": limits} if limits else {}))
    assert caught.value.check == check, caught.value.reason
    assert caught.value.reason
    assert str(caught.value).startswith(f"{check}: ")


@pytest.mark.parametrize(
    ("case_id", "check", "limits"), [(c[0], c[2], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_extract_bundle_refuses_hostile_archive_and_leaves_nothing(
    archives: dict[str, bytes],
    case_id: str,
    check: str,
    limits: BundleLimits | None,
    write_bundle: Callable[[bytes], Path],
    extract_parent: Path,
) -> None:
    source = write_bundle(archives[case_id])
    target = extract_parent / "plugin"
    with pytest.raises(BundleRejected) as caught:
        extract_bundle(source, target, **({"limits": limits} if limits else {}))
    assert caught.value.check == check, caught.value.reason
    assert not target.exists()
    assert list(extract_parent.iterdir()) == []  # no temporary sibling either
    assert not Path("/etc/cron.d/evil").exists()


class _CountingReader(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self.consumed += len(chunk)
        return chunk


def test_compression_bomb_is_stopped_before_most_of_it_is_read(archives: dict[str, bytes]) -> None:
    bomb = archives["compression-bomb"]
    reader = _CountingReader(bomb)
    with pytest.raises(BundleRejected) as caught:
        read_bundle(reader)  # type: ignore[arg-type]
    assert caught.value.check == "compression_ratio"
    assert reader.consumed <= len(bomb) // 2


def test_symlink_is_refused_even_when_it_points_inside(write_bundle, extract_parent) -> None:
    data = tar_gz(
        [*_head(), tar_entry("p/alias.txt", None, type=tarfile.SYMTYPE, linkname="readme.txt")]
    )
    with pytest.raises(BundleRejected) as caught:
        extract_bundle(write_bundle(data), extract_parent / "t")
    assert caught.value.check == "link"
    assert list(extract_parent.iterdir()) == []


def test_refusal_after_many_written_files_leaves_nothing(write_bundle, extract_parent) -> None:
    entries = [
        tar_entry("p", type=tarfile.DIRTYPE),
        tar_entry("p/plugin.json", json.dumps(MANIFEST)),
    ]
    entries += [tar_entry(f"p/d{i}/f{i}.bin", os.urandom(2048), mode=0o755) for i in range(50)]
    entries.append(tar_entry("p/evil", None, type=tarfile.SYMTYPE, linkname="/"))
    with pytest.raises(BundleRejected):
        extract_bundle(write_bundle(tar_gz(entries)), extract_parent / "deep" / "target")
    assert list(extract_parent.iterdir()) == []  # the parents we created are gone too


def test_valid_bundle_used_by_these_tests_is_accepted() -> None:
    """Guards the fixtures: the harmless head alone, and the shared valid bundle, pass."""
    assert read_bundle(io.BytesIO(tar_gz(_head()))).plugin_id == "com.example.hostile"
    from common.bundle.build import build_bundle

    assert read_bundle(io.BytesIO(build_bundle(VALID_MANIFEST, VALID_FILES))).version == "1.2.3"


def test_gzip_of_zeros_is_not_mistaken_for_an_archive() -> None:
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(gzip.compress(bytes(2048))))
    assert caught.value.check in {"tar", "manifest"}


def test_raw_deflate_without_gzip_header_is_refused() -> None:
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(zlib.compress(raw_tar(_head()))))
    assert caught.value.check == "gzip"
