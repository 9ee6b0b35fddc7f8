"""read_bundle on valid bundles: root detection, manifest lookup, hashes, icon, strictness."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml

from common.bundle import BundleLimits, read_bundle
from common.bundle.build import build_bundle
from common.errors import BundleRejected

from .conftest import VALID_FILES, VALID_MANIFEST, tar_entry, tar_gz


def test_read_bundle_returns_manifest_hash_size_and_counts(valid_bundle_bytes: bytes) -> None:
    info = read_bundle(io.BytesIO(valid_bundle_bytes))
    assert info.plugin_id == "com.example.demo"
    assert info.version == "1.2.3"
    assert info.manifest["name"] == "Demo"
    assert info.sha256 == hashlib.sha256(valid_bundle_bytes).hexdigest()
    assert info.size == len(valid_bundle_bytes)
    assert info.root == "com.example.demo"
    assert info.has_server and info.has_webapp
    assert info.icon_svg == VALID_FILES["assets/icon.svg"].encode()
    # root dir + plugin.json + 3 files + their folders (assets, server, server/dist, webapp, ...)
    assert info.entries == 10
    assert info.uncompressed_size == sum(entry.size for entry in info.files)
    assert {entry.path for entry in info.files} == {"plugin.json", *VALID_FILES}
    assert info.manifest_name == "plugin.json"
    assert info.warnings == ()


def test_read_bundle_accepts_a_path(valid_bundle_bytes: bytes, write_bundle) -> None:
    path: Path = write_bundle(valid_bundle_bytes)
    assert read_bundle(path).sha256 == hashlib.sha256(valid_bundle_bytes).hexdigest()
    assert read_bundle(str(path)).plugin_id == "com.example.demo"


def test_plugin_id_is_lower_cased() -> None:
    data = build_bundle({**VALID_MANIFEST, "id": "Com.Example.DEMO"}, VALID_FILES)
    info = read_bundle(io.BytesIO(data))
    assert info.plugin_id == info.manifest["id"] == "com.example.demo"
    assert info.root == "Com.Example.DEMO"  # the directory keeps its name


def test_files_at_the_archive_root_make_the_archive_root_the_bundle_root() -> None:
    info = read_bundle(io.BytesIO(build_bundle(VALID_MANIFEST, VALID_FILES, top_dir=None)))
    assert info.root == ""
    assert info.plugin_id == "com.example.demo"


def test_single_top_directory_without_explicit_entry_is_the_root() -> None:
    data = tar_gz([tar_entry("x/plugin.json", json.dumps({"id": "abc", "name": "A"}))])
    info = read_bundle(io.BytesIO(data), strict=False)
    assert info.root == "x"


def test_dot_slash_prefixed_entries_are_read_like_tar_cf_dot() -> None:
    data = tar_gz(
        [
            tar_entry("./", type=tarfile.DIRTYPE),
            tar_entry("./plugin.json", json.dumps({"id": "dot.plugin", "name": "D"})),
        ]
    )
    info = read_bundle(io.BytesIO(data))
    assert info.root == ""
    assert info.plugin_id == "dot.plugin"


def test_two_top_level_entries_mean_the_archive_root_is_searched() -> None:
    # Like Mattermost: a manifest one level down is not found when it is not the only entry.
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A"})),
            tar_entry("README.md", "readme"),
        ]
    )
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(data))
    assert caught.value.check == "manifest"
    assert "archive root" in caught.value.reason


def test_single_top_level_file_is_not_a_root() -> None:
    data = tar_gz([tar_entry("plugin.json", json.dumps({"id": "abc", "name": "A"}))])
    assert read_bundle(io.BytesIO(data)).root == ""


def test_manifest_in_a_nested_folder_is_not_found() -> None:
    data = tar_gz([tar_entry("p/sub/plugin.json", json.dumps({"id": "abc", "name": "A"}))])
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(data))
    assert caught.value.check == "manifest"


@pytest.mark.parametrize(
    ("names", "winner"),
    [
        (["plugin.json", "plugin.yaml", "plugin.yml"], "plugin.yml"),
        (["plugin.json", "plugin.yaml"], "plugin.yaml"),
        (["plugin.yaml", "plugin.yml"], "plugin.yml"),
        (["plugin.json"], "plugin.json"),
    ],
)
def test_manifest_lookup_order_is_yml_then_yaml_then_json(names: list[str], winner: str) -> None:
    entries = [tar_entry("p", type=tarfile.DIRTYPE)]
    for name in names:
        manifest = {"id": f"id.{name.replace('.', '-')}", "name": name}
        text = json.dumps(manifest) if name.endswith("json") else yaml.safe_dump(manifest)
        entries.append(tar_entry(f"p/{name}", text))
    info = read_bundle(io.BytesIO(tar_gz(entries)))
    assert info.manifest_name == winner
    assert info.plugin_id == f"id.{winner.replace('.', '-')}"


def test_yaml_manifest_is_read() -> None:
    data = build_bundle(VALID_MANIFEST, VALID_FILES, manifest_name="plugin.yml")
    info = read_bundle(io.BytesIO(data))
    assert info.manifest_name == "plugin.yml"
    assert info.manifest["settings_schema"]["settings"][0]["key"] == "Greeting"


def test_unparseable_yml_is_refused_even_when_a_valid_json_exists() -> None:
    data = tar_gz(
        [
            tar_entry("p/plugin.yml", "id: [unclosed"),
            tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A"})),
        ]
    )
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(data))
    assert caught.value.check == "manifest"
    assert "plugin.yml" in caught.value.reason


def test_icon_stored_before_the_manifest_is_found_from_a_non_svg_name() -> None:
    # Not an .svg name, and stored before the manifest: needs the second pass.
    manifest = {"id": "icon.first", "name": "I", "icon_path": "assets/logo.img"}
    data = tar_gz(
        [
            tar_entry("p/assets/logo.img", "<svg>image</svg>"),
            tar_entry("p/plugin.json", json.dumps(manifest)),
        ]
    )
    assert read_bundle(io.BytesIO(data)).icon_svg == b"<svg>image</svg>"


class _OneWayStream(io.RawIOBase):
    """A socket-like stream: readable, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_stream_is_read_in_one_pass(valid_bundle_bytes: bytes) -> None:
    info = read_bundle(_OneWayStream(valid_bundle_bytes))  # type: ignore[arg-type]
    assert info.sha256 == hashlib.sha256(valid_bundle_bytes).hexdigest()
    assert info.icon_svg is not None  # .svg files are kept as they stream past


def test_stream_is_read_from_its_current_position(valid_bundle_bytes: bytes) -> None:
    stream = io.BytesIO(b"PREFIX" + valid_bundle_bytes)
    stream.seek(6)
    assert read_bundle(stream).size == len(valid_bundle_bytes)


def test_missing_executable_is_accepted_when_not_strict() -> None:
    manifest = {"id": "abc", "server": {"executable": "server/plugin"}}
    data = tar_gz([tar_entry("p/plugin.json", json.dumps(manifest))])
    info = read_bundle(io.BytesIO(data), strict=False)
    assert info.has_server and not info.has_webapp


def test_missing_webapp_bundle_is_refused_when_strict() -> None:
    manifest = {"id": "abc", "name": "A", "webapp": {"bundle_path": "webapp/main.js"}}
    data = tar_gz([tar_entry("p/plugin.json", json.dumps(manifest))])
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(data))
    assert caught.value.check == "files"


def test_executable_without_exec_bit_gives_a_warning() -> None:
    manifest = {"id": "abc", "name": "A", "server": {"executable": "./server/plugin"}}
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps(manifest)),
            tar_entry("p/server/plugin", "binary", mode=0o644),
        ]
    )
    info = read_bundle(io.BytesIO(data))
    assert info.warnings == ("server executable './server/plugin' is not marked executable",)


def test_absolute_executable_path_resolves_inside_the_bundle_like_mattermost() -> None:
    manifest = {"id": "abc", "name": "A", "server": {"executable": "/server/plugin"}}
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps(manifest)),
            tar_entry("p/server/plugin", "binary", mode=0o755),
        ]
    )
    assert read_bundle(io.BytesIO(data)).has_server


def test_oversize_icon_is_refused_when_strict_and_dropped_otherwise() -> None:
    manifest = {"id": "abc", "name": "A", "icon_path": "icon.svg"}
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps(manifest)),
            tar_entry("p/icon.svg", "<svg>" + "x" * 2000 + "</svg>"),
        ]
    )
    limits = BundleLimits(max_icon_size=1000)
    with pytest.raises(BundleRejected) as caught:
        read_bundle(io.BytesIO(data), limits=limits)
    assert caught.value.check == "icon"
    assert read_bundle(io.BytesIO(data), limits=limits, strict=False).icon_svg is None


def test_directory_entries_repeated_as_implied_parents_are_fine() -> None:
    data = tar_gz(
        [
            tar_entry("p/a/b.txt", "x"),
            tar_entry("p/a", type=tarfile.DIRTYPE),  # explicit after being implied
            tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A"})),
        ]
    )
    assert read_bundle(io.BytesIO(data)).entries == 3


def test_multi_member_gzip_is_one_archive() -> None:
    from .conftest import raw_tar

    tar = raw_tar([tar_entry("p/plugin.json", json.dumps({"id": "abc", "name": "A"}))])
    import gzip

    data = gzip.compress(tar[:1024]) + gzip.compress(tar[1024:])
    assert read_bundle(io.BytesIO(data)).plugin_id == "abc"


def test_gnu_format_archive_is_read() -> None:
    data = tar_gz(
        [
            tar_entry("p/" + "long" * 40 + "/plugin.txt", "x"),
            tar_entry("p/plugin.json", '{"id":"abc","name":"A"}'),
        ],
        fmt=tarfile.GNU_FORMAT,
    )
    assert read_bundle(io.BytesIO(data)).plugin_id == "abc"


def test_icon_that_is_not_svg_gives_a_warning() -> None:
    manifest = {"id": "abc", "name": "A", "icon_path": "icon.png"}
    data = tar_gz(
        [
            tar_entry("p/plugin.json", json.dumps(manifest)),
            tar_entry("p/icon.png", b"\x89PNG\r\n\x1a\n"),
        ]
    )
    info = read_bundle(io.BytesIO(data))
    assert info.icon_svg == b"\x89PNG\r\n\x1a\n"
    assert info.warnings == ("icon 'icon.png' does not look like an SVG image",)


def test_read_bundle_accepts_bytes(valid_bundle_bytes: bytes) -> None:
    assert read_bundle(valid_bundle_bytes).sha256 == hashlib.sha256(valid_bundle_bytes).hexdigest()
    assert read_bundle(memoryview(valid_bundle_bytes)).plugin_id == "com.example.demo"
