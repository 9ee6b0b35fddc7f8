"""Strict semantic versions, as Mattermost reads plugin and server versions.

Mattermost parses manifest versions with Masterminds' ``StrictNewVersion`` (blang/semver in
older servers): ``MAJOR.MINOR.PATCH[-pre][+build]``, no ``v`` prefix, no leading zeros, no
missing parts. The ``semver`` package implements the same SemVer 2.0 grammar; we only add the
uint64 bound Go's parser has, so a version we accept is one every Mattermost accepts.
"""

from __future__ import annotations

import functools
from typing import Any

import semver

from common.errors import InvalidInput

__all__ = ["compare_versions", "is_valid_version", "parse_version", "version_key"]

# Go parses each numeric part into a uint64; a bigger number is a parse error there.
_MAX_PART = 2**64 - 1


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> semver.Version:
    version = semver.Version.parse(text)  # raises ValueError on anything but strict SemVer 2.0
    if max(version.major, version.minor, version.patch) > _MAX_PART:
        raise ValueError(f"{text} has a number larger than 64 bits")
    return version


def parse_version(text: object) -> semver.Version:
    """Parse a strict semantic version; raise ``InvalidInput`` with a readable reason otherwise."""
    if not isinstance(text, str):
        raise InvalidInput(f"version must be a string, not {type(text).__name__}")
    if not text:
        raise InvalidInput("version is empty")
    try:
        return _parse(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a strict semantic version (MAJOR.MINOR.PATCH[-pre][+build], "
            "no 'v' prefix, no leading zeros)"
        ) from None


def is_valid_version(text: object) -> bool:
    """True when ``text`` is a strict semantic version."""
    try:
        parse_version(text)
    except InvalidInput:
        return False
    return True


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 by SemVer precedence (pre-releases sort before their release; build ignored)."""
    return parse_version(a).compare(parse_version(b))


def version_key(text: str) -> tuple[Any, ...]:
    """A total sort key: SemVer precedence, build metadata as tie-break, invalid versions first.

    Invalid strings never raise here, so sorting a catalog with one bad row still works; they sort
    before every valid version, among themselves by text.
    """
    try:
        version = parse_version(text)
    except InvalidInput:
        return (0, str(text))
    return (1, version, version.build or "")
