"""Property-based tests (hypothesis) for the archive reader and the manifest parser/validator."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from common.bundle import extract_bundle, parse_manifest, read_bundle, validate_manifest
from common.bundle.build import build_bundle
from common.bundle.webapp import _FNV64_OFFSET, _FNV64_PRIME, _MASK64, fnv1a_64
from common.errors import BundleRejected
from common.versions import compare_versions, version_key

from .conftest import VALID_FILES, VALID_MANIFEST, raw_tar, tar_blocks, tar_entry, tar_gz

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- archive reader ------------------------------------------------------------------------

_name_part = st.one_of(
    st.sampled_from(["..", ".", "", "a", "plugin.json", "x\\..\\y", "C:", "~", "\x00", "\x1b"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
member_names = st.lists(_name_part, min_size=1, max_size=6).map("/".join)


@PROPERTY_SETTINGS
@given(
    names=st.lists(member_names, min_size=1, max_size=5),
    as_dirs=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_arbitrary_member_names_never_escape_the_target(
    names: list[str], as_dirs: list[bool]
) -> None:
    entries = [tar_entry("plugin.json", json.dumps({"id": "abc", "name": "A"}))]
    for name, as_dir in zip(names, as_dirs, strict=False):
        assume("\x00" not in name)  # tar headers cannot carry NUL in names
        entries.append(tar_entry(name, type=tarfile.DIRTYPE) if as_dir else tar_entry(name, "x"))
    try:
        data = tar_gz(entries, fmt=tarfile.PAX_FORMAT)
    except (ValueError, UnicodeError):
        assume(False)
    with tempfile.TemporaryDirectory() as outer:
        box = Path(outer) / "box"
        box.mkdir()
        target = box / "target"
        try:
            extract_bundle(io.BytesIO(data), target, strict=False)
        except BundleRejected:
            assert list(box.iterdir()) == []
        else:
            assert [p.name for p in box.iterdir()] == ["target"]
            real_target = target.resolve()
            for path in target.rglob("*"):
                assert not path.is_symlink()
                assert path.resolve().is_relative_to(real_target)
        assert [p.name for p in Path(outer).iterdir()] == ["box"]


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_refused_with_bundle_rejected(data: bytes) -> None:
    for candidate in (data, gzip.compress(data), gzip.compress(raw_tar([tar_entry("f", data)]))):
        try:
            read_bundle(io.BytesIO(candidate))
        except BundleRejected as exc:
            assert exc.check and exc.reason


_VALID = build_bundle(VALID_MANIFEST, VALID_FILES, mtime=0)


@PROPERTY_SETTINGS
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=4
    ),
    cut=st.one_of(st.none(), st.integers(0, len(_VALID))),
)
def test_corrupted_bundles_either_pass_or_are_rejected(
    flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(_VALID)
    for position, value in flips:
        data[position] = value
    if cut is not None:
        del data[cut:]
    with tempfile.TemporaryDirectory() as outer:
        target = Path(outer) / "t"
        try:
            info = extract_bundle(io.BytesIO(bytes(data)), target)
        except BundleRejected:
            assert os.listdir(outer) == []
        else:
            assert info.plugin_id == "com.example.demo"
            assert os.listdir(outer) == ["t"]


# --- manifests -----------------------------------------------------------------------------

_ids = st.from_regex(r"[a-zA-Z0-9_.\-]{3,40}", fullmatch=True)
_nonblank = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "")
_numbers = st.integers(0, 10**6)
_prerelease = st.from_regex(r"(0|[1-9][0-9]{0,3}|[a-zA-Z-][a-zA-Z0-9-]{0,6})", fullmatch=True)
_versions = st.builds(
    lambda a, b, c, pre, build: (
        f"{a}.{b}.{c}" + (f"-{'.'.join(pre)}" if pre else "") + (f"+{build}" if build else "")
    ),
    _numbers,
    _numbers,
    _numbers,
    st.lists(_prerelease, max_size=3),
    st.one_of(st.none(), st.from_regex(r"[a-zA-Z0-9-]{1,8}", fullmatch=True)),
)
_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|io)", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9_/-]{0,20}", fullmatch=True),
)
_relpaths = st.from_regex(r"[a-z][a-z0-9_-]{0,8}(/[a-z][a-z0-9_.-]{0,8}){0,3}", fullmatch=True)
_options = st.lists(
    st.fixed_dictionaries({"display_name": _nonblank, "value": _nonblank}), max_size=3
)


@st.composite
def _settings(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "bool",
                "dropdown",
                "generated",
                "radio",
                "text",
                "longtext",
                "number",
                "username",
                "custom",
            ]
        )
    )
    setting: dict[str, Any] = {
        "key": draw(_nonblank),
        "display_name": draw(st.text(max_size=20)),
        "type": kind,
        "help_text": draw(st.text(max_size=20)),
        "default": draw(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))),
    }
    if kind == "generated":
        setting["regenerate_help_text"] = draw(st.text(max_size=10))
    if kind in {"generated", "text", "longtext", "number", "username", "custom"}:
        setting["placeholder"] = draw(st.text(max_size=10))
    if kind in {"radio", "dropdown"}:
        setting["options"] = draw(_options)
    return setting


@st.composite
def valid_manifests(draw: st.DrawFn) -> dict[str, Any]:
    manifest: dict[str, Any] = {"id": draw(_ids).lower(), "name": draw(_nonblank)}
    optional = {
        "description": st.text(max_size=40),
        "homepage_url": _urls,
        "support_url": _urls,
        "release_notes_url": _urls,
        "version": _versions,
        "min_server_version": _versions,
        "icon_path": _relpaths,
        "server": st.fixed_dictionaries(
            {
                "executables": st.dictionaries(
                    st.sampled_from(["linux-amd64", "darwin-arm64", "windows-amd64"]),
                    _relpaths,
                    max_size=3,
                )
            },
            optional={"executable": _relpaths},
        ),
        "webapp": st.fixed_dictionaries({"bundle_path": _relpaths}),
        "settings_schema": st.fixed_dictionaries(
            {
                "header": st.text(max_size=10),
                "footer": st.text(max_size=10),
                "settings": st.lists(_settings(), max_size=4),
            },
            optional={
                "sections": st.lists(
                    st.fixed_dictionaries(
                        {"key": _nonblank, "settings": st.lists(_settings(), max_size=2)}
                    ),
                    max_size=2,
                )
            },
        ),
        "props": st.dictionaries(
            st.text(max_size=8),
            st.one_of(st.text(max_size=8), st.integers(), st.booleans()),
            max_size=3,
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            manifest[key] = draw(strategy)
    return manifest


@PROPERTY_SETTINGS
@given(manifest=valid_manifests())
def test_valid_manifests_round_trip_through_json_and_yaml(manifest: dict[str, Any]) -> None:
    assert validate_manifest(manifest) == manifest
    assert parse_manifest(json.dumps(manifest).encode(), "plugin.json") == manifest
    text = yaml.safe_dump(manifest, allow_unicode=False).encode()  # escapes NEL and friends
    assert parse_manifest(text, "plugin.yml") == manifest


@PROPERTY_SETTINGS
@given(manifest=valid_manifests(), upper=st.booleans())
def test_valid_manifests_are_accepted_in_a_bundle(manifest: dict[str, Any], upper: bool) -> None:
    files: dict[str, Any] = {}
    server = manifest.get("server") or {}
    for path in [*server.get("executables", {}).values(), server.get("executable")]:
        if path:
            files[path] = (b"bin", 0o755)
    if "webapp" in manifest:
        files[manifest["webapp"]["bundle_path"]] = "js"
    if "icon_path" in manifest:
        files[manifest["icon_path"]] = "<svg/>"
    paths = sorted(files)
    # A path that is also a folder of another (a/b and a/b/c) cannot exist in one bundle.
    assume(not any(b.startswith(a + "/") for a in paths for b in paths))
    assume("plugin.json" not in files)
    shown = {**manifest, "id": manifest["id"].upper()} if upper else manifest
    info = read_bundle(io.BytesIO(build_bundle(shown, files)))
    assert info.manifest == manifest
    assert info.plugin_id == manifest["id"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_manifest_keys = st.sampled_from(
    [
        "id",
        "name",
        "version",
        "min_server_version",
        "homepage_url",
        "server",
        "webapp",
        "settings_schema",
        "icon_path",
        "props",
    ]
)


@PROPERTY_SETTINGS
@given(
    document=st.dictionaries(_manifest_keys | st.text(max_size=5), _json_values, max_size=8),
    strict=st.booleans(),
)
def test_validate_never_fails_with_anything_but_bundle_rejected(
    document: dict[str, Any], strict: bool
) -> None:
    try:
        result = validate_manifest(document, strict=strict)
    except BundleRejected as exc:
        assert exc.check == "manifest"
    else:
        assert isinstance(result["id"], str)


@PROPERTY_SETTINGS
@given(
    data=st.binary(max_size=512) | st.text(max_size=300).map(str.encode),
    name=st.sampled_from(["plugin.json", "plugin.yml", "plugin.yaml"]),
)
def test_parse_never_fails_with_anything_but_bundle_rejected(data: bytes, name: str) -> None:
    try:
        manifest = parse_manifest(data, name)
    except BundleRejected as exc:
        assert exc.check in {"manifest", "yaml_alias", "manifest_size"}
    else:
        assert isinstance(manifest, dict)
        json.dumps(manifest)  # always JSON-serializable


# --- versions and hashing ------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(a=_versions, b=_versions)
def test_version_key_agrees_with_semver_precedence(a: str, b: str) -> None:
    order = compare_versions(a, b)
    if order < 0:
        assert version_key(a) < version_key(b)
    elif order > 0:
        assert version_key(a) > version_key(b)


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=2048), split=st.integers(0, 2048))
def test_fnv_hash_matches_the_definition_and_can_be_chunked(data: bytes, split: int) -> None:
    expected = _FNV64_OFFSET
    for byte in data:
        expected = ((expected ^ byte) * _FNV64_PRIME) & _MASK64
    assert fnv1a_64(data) == expected
    assert fnv1a_64(data[split:], fnv1a_64(data[:split])) == expected


def _with_checksum(header: bytearray) -> bytes:
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


@PROPERTY_SETTINGS
@given(
    header=st.binary(min_size=512, max_size=512),
    body=st.binary(max_size=2048),
    typeflag=st.sampled_from(list(b"0123456789DgKLMNSVxXZ\0")),
)
def test_random_tar_headers_with_valid_checksums_only_raise_bundle_rejected(
    header: bytes, body: bytes, typeflag: int
) -> None:
    block = bytearray(header)
    block[156] = typeflag
    block[257:263] = b"ustar\0"  # make tarfile take it for a real header more often
    data = tar_blocks([tar_entry("p/plugin.json", '{"id": "abc", "name": "A"}')])
    data += _with_checksum(block) + body + bytes(-len(body) % 512) + bytes(1024)
    with tempfile.TemporaryDirectory() as outer:
        try:
            extract_bundle(io.BytesIO(gzip.compress(data)), Path(outer) / "t", strict=False)
        except BundleRejected as exc:
            assert exc.check
            assert os.listdir(outer) == []
