"""common.versions: strict semver as Mattermost parses it, ordering with pre-releases."""

from __future__ import annotations

import pytest

from common.errors import InvalidInput
from common.versions import compare_versions, is_valid_version, parse_version, version_key


@pytest.mark.parametrize(
    "text",
    [
        "0.0.0",
        "1.2.3",
        "10.20.30",
        "1.0.0-rc.1",
        "1.0.0-alpha.beta+build.1",
        "1.6.0-cloud",
        "1.0.0+20130313144700",
    ],
)
def test_valid_versions(text: str) -> None:
    assert is_valid_version(text)
    assert str(parse_version(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v1.2.3",
        "1.2",
        "1",
        "01.2.3",
        "1.02.3",
        "1.2.3-01",
        "1.2.3-",
        "1.2.3+",
        " 1.2.3",
        "1.2.3\n",
        "1.2.3.4",
        "18446744073709551616.0.0",
        None,
        1,
    ],
)
def test_invalid_versions(text: object) -> None:
    assert not is_valid_version(text)
    with pytest.raises(InvalidInput):
        parse_version(text)


def test_prerelease_sorts_before_its_release() -> None:
    assert compare_versions("1.6.0-cloud", "1.6.0") == -1
    assert compare_versions("1.6.0", "1.6.0-cloud") == 1
    assert compare_versions("1.0.0-alpha", "1.0.0-alpha.1") == -1
    assert compare_versions("1.0.0-2", "1.0.0-10") == -1  # numeric identifiers compare as numbers
    assert compare_versions("1.0.0+a", "1.0.0+b") == 0  # build metadata has no precedence
    assert compare_versions("1.10.0", "1.9.0") == 1


def test_version_key_sorts_by_precedence_with_invalid_first() -> None:
    texts = [
        "1.10.0",
        "1.2.0",
        "bogus",
        "1.6.0",
        "1.6.0-cloud",
        "1.6.0-beta.2",
        "1.6.0-beta.11",
        "0.9.0",
    ]
    assert sorted(texts, key=version_key) == [
        "bogus",
        "0.9.0",
        "1.2.0",
        "1.6.0-beta.2",
        "1.6.0-beta.11",
        "1.6.0-cloud",
        "1.6.0",
        "1.10.0",
    ]


def test_version_key_is_total_with_build_metadata() -> None:
    assert sorted(["1.0.0+b", "1.0.0+a", "1.0.0"], key=version_key) == [
        "1.0.0",
        "1.0.0+a",
        "1.0.0+b",
    ]
