"""Strict semantic versions, exactly as the Go marketplace (blang/semver ``Parse``) reads them.

One parser for the whole app: the Marketplace query (comparisons in memory), the import (refusal
of invalid versions) and the catalog API (a sortable text key stored in the database).
"""

from __future__ import annotations

import re

from common.errors import InvalidInput

# MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; no leading "v", no leading zeros in numbers.
_SEMVER = re.compile(
    r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z"
)
# blang/semver stores numbers as uint64: bigger ones do not parse.
_UINT64_MAX = 2**64 - 1

#: A comparable key: (major, minor, patch, is_release, prerelease identifiers). Build metadata is
#: ignored, as semver precedence says. Numeric identifiers rank below alphanumeric ones.
VersionKey = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]


def version_key(text: str) -> VersionKey:
    """Key of a strict semver string; raises ``InvalidInput`` when it is not one."""
    match = _SEMVER.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f"{text!r} is not a valid semantic version (MAJOR.MINOR.PATCH)")
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    if max(major, minor, patch) > _UINT64_MAX:
        raise InvalidInput(f"{text!r} has a version number that is too large")
    pre: list[tuple[int, int | str]] = []
    if match.group(4) is not None:
        for ident in match.group(4).split("."):
            if ident.isdigit():
                if int(ident) > _UINT64_MAX:
                    raise InvalidInput(f"{text!r} has a pre-release number that is too large")
                pre.append((0, int(ident)))
            else:
                pre.append((1, ident))
    return (major, minor, patch, 0 if pre else 1, tuple(pre))


def is_valid_version(text: object) -> bool:
    try:
        version_key(text)  # type: ignore[arg-type]
    except InvalidInput:
        return False
    return True


def _encode_number(value: int) -> str:
    digits = str(value)
    # Length-prefixed, so that text order equals numeric order for any size.
    return f"{len(digits):02d}{digits}"


def db_version_key(text: str) -> str:
    """A text key whose byte order is semver precedence, for ``ORDER BY`` and range filters.

    It is hex-encoded so that any database collation (PostgreSQL's locale collations ignore
    punctuation) orders it exactly like bytes.
    """
    major, minor, patch, is_release, pre = version_key(text)
    raw = _encode_number(major) + _encode_number(minor) + _encode_number(patch)
    if is_release:
        raw += "\x02"  # a release ranks above every pre-release of the same numbers
    else:
        parts = []
        for _kind, ident in pre:
            if isinstance(ident, int):
                parts.append("\x01" + _encode_number(ident))
            else:
                parts.append("\x02" + ident)
        # "\x00" separates identifiers: lower than any identifier character, so a shorter
        # identifier set ranks first, as semver says.
        raw += "\x01" + "\x00".join(parts)
    return raw.encode().hex()
