"""Parsing of ``GET /api/v1/plugins`` query parameters (spec section 2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from common.errors import InvalidInput
from marketplace.compat.wire import PLATFORMS
from marketplace.versions import VersionKey, version_key

DEFAULT_PER_PAGE = 100
ALL_PER_PAGE = -1

# strconv.Atoi: an optional sign and ASCII digits, nothing else (no spaces, no underscores).
_ATOI = re.compile(r"\A[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# strconv.ParseBool.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True, slots=True)
class MarketplaceQuery:
    """A parsed, validated query. Every field takes part in the cache key."""

    page: int = 0
    per_page: int = DEFAULT_PER_PAGE
    filter: str = ""  # already trimmed and lower-cased
    server_version: VersionKey | None = None
    enterprise_plugins: bool = False
    cloud: bool = False
    platform: str = ""
    plugin_id: str = ""
    return_all_versions: bool = False

    def cache_key(self) -> tuple[object, ...]:
        return (
            self.page,
            self.per_page,
            self.filter,
            self.server_version,
            self.enterprise_plugins,
            self.cloud,
            self.platform,
            self.plugin_id,
            self.return_all_versions,
        )


def _parse_int(name: str, text: str) -> int:
    if not _ATOI.match(text):
        raise InvalidInput(f"{name} must be an integer")
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise InvalidInput(f"{name} is out of range")
    return value


def _parse_bool(name: str, text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{name} must be a boolean")


def parse_query(getlist: Callable[[str], list[str]]) -> MarketplaceQuery:
    """Parse the parameters given by ``getlist`` (e.g. ``request.GET.getlist``).

    The first value of a repeated key wins and an empty value counts as absent, as with Go's
    ``url.Values.Get``. Raises ``InvalidInput`` where the Go service answers 400, and also where
    it would crash or answer 500 (negative page, per_page below -1, malformed server_version).
    """

    def first(name: str) -> str:
        values = getlist(name)
        return values[0] if values else ""

    page_text, per_page_text = first("page"), first("per_page")
    page = _parse_int("page", page_text) if page_text else 0
    per_page = _parse_int("per_page", per_page_text) if per_page_text else DEFAULT_PER_PAGE
    flags = {}
    for name in ("enterprise_plugins", "cloud", "return_all_versions"):
        text = first(name)
        flags[name] = _parse_bool(name, text) if text else False
    if per_page == 0:
        # Go returns [] before looking at anything else; nothing else can fail then.
        return MarketplaceQuery(page=0, per_page=0)
    if page < 0:
        raise InvalidInput("page must not be negative")
    if per_page < ALL_PER_PAGE:
        raise InvalidInput("per_page must be -1 (all) or positive")
    if per_page == ALL_PER_PAGE:
        page = 0  # ignored without paging; normalised so it does not split the cache
    server_text = first("server_version")
    server_version = version_key(server_text) if server_text else None
    return MarketplaceQuery(
        page=page,
        per_page=per_page,
        filter=first("filter").strip().lower(),
        server_version=server_version,
        enterprise_plugins=flags["enterprise_plugins"],
        cloud=flags["cloud"],
        # Only the three known platforms change a response; any other value acts as none.
        platform=platform if (platform := first("platform")) in PLATFORMS else "",
        plugin_id=first("plugin_id"),
        return_all_versions=flags["return_all_versions"],
    )
