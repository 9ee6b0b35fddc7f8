"""extract_bundle: the bundle root's contents land in the target, modes normalised."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest

from common.bundle import extract_bundle, read_bundle
from common.bundle.build import build_bundle
from common.errors import BundleRejected

from .conftest import VALID_FILES, VALID_MANIFEST, tar_entry, tar_gz


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_extract_writes_the_root_contents_and_keeps_the_exec_bit(
    valid_bundle_bytes: bytes, write_bundle, extract_parent: Path
) -> None:
    target = extract_parent / "com.example.demo"
    info = extract_bundle(write_bundle(valid_bundle_bytes), target)
    assert info == read_bundle(io.BytesIO(valid_bundle_bytes))
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "assets/icon.svg",
        "plugin.json",
        "server/dist/plugin-linux-amd64",
        "webapp/dist/main.js",
    ]
    assert (target / "server/dist/plugin-linux-amd64").read_bytes() == b"\x7fELF fake binary"
    assert _mode(target / "server/dist/plugin-linux-amd64") == 0o755
    assert _mode(target / "webapp/dist/main.js") == 0o644
    assert _mode(target) == 0o755
    assert _mode(target / "server/dist") == 0o755
    assert [p.name for p in extract_parent.iterdir()] == ["com.example.demo"]


def test_extract_of_an_archive_root_bundle(write_bundle, extract_parent: Path) -> None:
    data = build_bundle(VALID_MANIFEST, VALID_FILES, top_dir=None)
    target = extract_parent / "t"
    assert extract_bundle(write_bundle(data), target).root == ""
    assert (target / "plugin.json").is_file()
    assert [p.name for p in extract_parent.iterdir()] == ["t"]


def test_modes_are_masked_setuid_and_world_write_dropped(write_bundle, extract_parent) -> None:
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A"}), mode=0o666),
            tar_entry("p/suid", "x", mode=0o4777),
            tar_entry("p/group-exec", "x", mode=0o610),
            tar_entry("p/d", type=tarfile.DIRTYPE),
        ]
    )
    target = extract_parent / "t"
    extract_bundle(write_bundle(data), target)
    assert _mode(target / "plugin.json") == 0o644
    assert _mode(target / "suid") == 0o755
    assert _mode(target / "group-exec") == 0o755
    assert _mode(target / "d") == 0o755


def test_extract_accepts_a_stream(valid_bundle_bytes: bytes, extract_parent: Path) -> None:
    target = extract_parent / "t"
    extract_bundle(io.BytesIO(valid_bundle_bytes), target)
    assert (target / "plugin.json").is_file()


def test_existing_target_is_refused_and_left_alone(
    valid_bundle_bytes, write_bundle, extract_parent
):
    target = extract_parent / "t"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        extract_bundle(write_bundle(valid_bundle_bytes), target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in extract_parent.iterdir()] == ["t"]


def test_missing_parents_are_created(valid_bundle_bytes, write_bundle, extract_parent) -> None:
    target = extract_parent / "a" / "b" / "plugin"
    extract_bundle(write_bundle(valid_bundle_bytes), target)
    assert (target / "plugin.json").is_file()


def test_invalid_manifest_after_full_extraction_leaves_nothing(
    write_bundle, extract_parent
) -> None:
    data = tar_gz(
        [
            tar_entry("p/big.bin", b"\0" * 100_000),
            tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A", "version": "v1.0"})),
        ]
    )
    with pytest.raises(BundleRejected) as caught:
        extract_bundle(write_bundle(data), extract_parent / "t")
    assert caught.value.check == "manifest"
    assert list(extract_parent.iterdir()) == []


def test_io_errors_during_extraction_leave_nothing(valid_bundle_bytes, extract_parent) -> None:
    class Exploding(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            if self.tell() > 200:
                raise OSError("disk went away")
            return super().read(min(size, 100) if size and size > 0 else 100)

    with pytest.raises(OSError, match="disk went away"):
        extract_bundle(Exploding(valid_bundle_bytes), extract_parent / "t")
    assert list(extract_parent.iterdir()) == []


def test_non_strict_extraction_accepts_what_mattermost_installs(
    write_bundle, extract_parent
) -> None:
    # No name, executable missing: Mattermost installs it (and fails later at activation).
    data = tar_gz(
        [tar_entry("p/plugin.json", json.dumps({"id": "Abc", "server": {"executable": "x"}}))]
    )
    info = extract_bundle(write_bundle(data), extract_parent / "t", strict=False)
    assert info.plugin_id == "abc"
    with pytest.raises(BundleRejected):
        extract_bundle(write_bundle(data, "again.tar.gz"), extract_parent / "u")
    assert [p.name for p in extract_parent.iterdir()] == ["t"]


def test_bundle_made_by_gnu_tar_round_trips(tmp_path: Path, extract_parent: Path) -> None:
    """The way Mattermost's plugin Makefile bundles: ``tar -czf`` of dist/<plugin id>."""
    import shutil
    import subprocess

    tar = shutil.which("tar")
    assert tar, "tar is part of every Debian install"
    source = tmp_path / "dist" / "com.example.gnu"
    (source / "server" / "dist").mkdir(parents=True)
    (source / "webapp" / "dist").mkdir(parents=True)
    (source / "plugin.json").write_text(
        json.dumps(
            {
                "id": "com.example.gnu",
                "name": "GNU",
                "version": "0.1.0",
                "server": {"executables": {"linux-amd64": "server/dist/plugin-linux-amd64"}},
                "webapp": {"bundle_path": "webapp/dist/main.js"},
            }
        )
    )
    binary = source / "server" / "dist" / "plugin-linux-amd64"
    binary.write_bytes(b"\x7fELF" + bytes(5000))
    binary.chmod(0o755)
    (source / "webapp" / "dist" / "main.js").write_text("console.log('hi');\n" * 500)
    bundle = tmp_path / "com.example.gnu-0.1.0.tar.gz"
    subprocess.run([tar, "-czf", bundle, "-C", tmp_path / "dist", "com.example.gnu"], check=True)
    listed = subprocess.run([tar, "-tzf", bundle], check=True, capture_output=True, text=True)

    target = extract_parent / "gnu"
    info = extract_bundle(bundle, target)
    assert info.root == "com.example.gnu"
    assert info.entries == len(listed.stdout.split())
    assert _mode(target / "server/dist/plugin-linux-amd64") == 0o755
    assert (target / "webapp/dist/main.js").read_text() == "console.log('hi');\n" * 500
