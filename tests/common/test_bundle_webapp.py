"""webapp_bundle_hash: FNV-1a-64 of the file, as Mattermost names served webapp bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.bundle import webapp_bundle_hash


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Published FNV-1a 64-bit test vectors.
        (b"", "cbf29ce484222325"),
        (b"a", "af63dc4c8601ec8c"),
        (b"foobar", "85944171f73967e8"),
    ],
)
def test_known_fnv1a_64_vectors(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "main.js"
    path.write_bytes(content)
    assert webapp_bundle_hash(path) == expected
    assert webapp_bundle_hash(str(path)) == expected


def test_hash_is_16_lowercase_hex_and_changes_with_the_content(tmp_path: Path) -> None:
    path = tmp_path / "main.js"
    path.write_bytes(b"window.x = 1;")
    first = webapp_bundle_hash(path)
    path.write_bytes(b"window.x = 2;")
    second = webapp_bundle_hash(path)
    assert first != second
    for value in (first, second):
        assert len(value) == 16
        assert value == value.lower()
        int(value, 16)


def test_large_files_stream_to_the_same_hash(tmp_path: Path, monkeypatch) -> None:
    from common.bundle import webapp

    path = tmp_path / "main.js"
    path.write_bytes(bytes(range(256)) * 5000)
    in_memory = webapp_bundle_hash(path)
    monkeypatch.setattr(webapp, "_IN_MEMORY_MAX", 10)  # force the streaming path
    assert webapp_bundle_hash(path) == in_memory
