"""``GET /api/v1/plugins`` over a list of catalog entries: the Marketplace semantics, once.

This module is pure: no database, no Django. ``CatalogEntry`` holds one normalised entry with
everything a query needs precomputed (it is built once per catalog revision, then shared by all
requests), and ``query_plugins`` runs the processing order of spec section 2.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from marketplace.compat.gosort import stable_sort
from marketplace.compat.labels import computed_labels
from marketplace.compat.params import ALL_PER_PAGE, MarketplaceQuery
from marketplace.compat.wire import ENTRY_KEYS, PLATFORMS, go_json
from marketplace.versions import VersionKey, version_key

# Servers below this version never sent enterprise_plugins (MM-26507): show them everything.
_ENTERPRISE_FLAG_SINCE = version_key("5.25.0")


def _served(data: dict[str, Any]) -> dict[str, Any]:
    """The entry as served: computed labels appended to stored ones, keys in section 4 order."""
    labels = list(data.get("labels") or []) + computed_labels(
        author_type=data.get("author_type", ""),
        release_stage=data.get("release_stage", ""),
        enterprise=bool(data.get("enterprise")),
    )
    served: dict[str, Any] = {}
    for key in ENTRY_KEYS:
        if key == "labels":
            if labels:  # left out when empty
                served["labels"] = labels
        elif key in data:
            served[key] = data[key]
    served.update({k: v for k, v in data.items() if k not in served and k != "labels"})
    return served


@dataclass(eq=False, slots=True)
class CatalogEntry:
    """One release entry as the Marketplace serves it, with its query keys precomputed.

    The entry itself is parsed from ``text`` only when it is first rendered: a query touches
    the keys of every entry but renders few, and a catalog's entries are mostly icon data.
    """

    plugin_id: str
    version: VersionKey
    name_lower: str = ""
    description_lower: str = ""
    min_server_version: VersionKey | None = None
    enterprise: bool = False
    hosting: str = ""
    text: str = ""  # the normalised entry as JSON text, when built from storage
    row_id: int = 0  # where ``text`` can be loaded from, when built from storage
    id_lower: str = ""
    _data: dict[str, Any] | None = None
    _json: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.id_lower = self.plugin_id.lower()

    @classmethod
    def from_entry(cls, data: dict[str, Any]) -> CatalogEntry:
        """Build from a normalised entry (``wire.normalize_entry``)."""
        manifest = data["manifest"]
        minimum = manifest.get("min_server_version") or ""
        entry = cls(
            plugin_id=manifest["id"],
            version=version_key(manifest["version"]),
            name_lower=(manifest.get("name") or "").lower(),
            description_lower=(manifest.get("description") or "").lower(),
            min_server_version=version_key(minimum) if minimum else None,
            enterprise=bool(data.get("enterprise")),
            hosting=data.get("hosting") or "",
        )
        entry._data = _served(data)
        return entry

    @property
    def data(self) -> dict[str, Any]:
        """The entry as served (without platform substitution)."""
        if self._data is None:
            if not self.text:
                raise LookupError(f"entry {self.plugin_id} {self.version} has no text loaded")
            self._data = _served(json.loads(self.text))
            self.text = ""  # parsed; keep one copy
        return self._data

    @property
    def needs_text(self) -> bool:
        return self._data is None and not self.text

    def visible_to(self, query: MarketplaceQuery) -> bool:
        """The enterprise rule, then the hosting rule, then the min_server_version rule."""
        server = query.server_version
        if (
            self.enterprise
            and not query.enterprise_plugins
            and (server is None or server >= _ENTERPRISE_FLAG_SINCE)
        ):
            return False
        if query.cloud and self.hosting == "on-prem":
            return False
        if not query.cloud and self.hosting == "cloud":
            return False
        return not (
            server is not None
            and self.min_server_version is not None
            and server < self.min_server_version
        )

    def matches(self, text: str) -> bool:
        """``filter``: id equality, or a substring of the name or the description."""
        return self.id_lower == text or text in self.name_lower or text in self.description_lower

    def rendered(self, platform: str) -> dict[str, Any]:
        """A copy of the entry as served for ``platform`` (bundle substitution applied)."""
        result = copy.deepcopy(self.data)
        bundle = self._platform_bundle(platform)
        if bundle is not None:
            result["download_url"], result["signature"] = bundle
        return result

    def json(self, platform: str) -> str:
        """The entry's JSON text for ``platform``, computed once per catalog revision."""
        bundle = self._platform_bundle(platform)
        key = platform if bundle is not None else ""
        text = self._json.get(key)
        if text is None:
            served = self.data
            if bundle is not None:  # a shallow copy is enough: encoding does not mutate
                served = {**served, "download_url": bundle[0], "signature": bundle[1]}
            text = go_json(served)
            self._json[key] = text
        return text

    def _platform_bundle(self, platform: str) -> tuple[str, str] | None:
        if platform not in PLATFORMS:
            return None
        bundle = (self.data.get("platforms") or {}).get(platform)
        if not isinstance(bundle, dict):
            return None
        url, signature = bundle.get("download_url"), bundle.get("signature")
        # Both must be present and non-empty; otherwise the generic bundle is kept.
        if isinstance(url, str) and url and isinstance(signature, str) and signature:
            return url, signature
        return None


def _reduce_to_latest(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """One entry per id: the highest version; on equal versions the later entry wins."""
    best: dict[str, CatalogEntry] = {}
    for entry in entries:
        current = best.get(entry.plugin_id)
        if current is None or entry.version >= current.version:
            best[entry.plugin_id] = entry
    return list(best.values())


def _less(a: CatalogEntry, b: CatalogEntry) -> bool:
    if a.plugin_id == b.plugin_id:
        return a.version > b.version  # newest version first
    return a.name_lower < b.name_lower


def _order_is_consistent(items: Sequence[CatalogEntry]) -> bool:
    """True when ``_less`` is a strict weak order on ``items``: every stable sort agrees then.

    It is not when an id has entries under different names, or when a name is shared by
    several ids one of which has several entries.
    """
    names: dict[str, str] = {}
    ids_by_name: dict[str, set[str]] = {}
    repeated: set[str] = set()
    for item in items:
        known = names.setdefault(item.plugin_id, item.name_lower)
        if known != item.name_lower:
            return False
        ids = ids_by_name.setdefault(item.name_lower, set())
        if item.plugin_id in ids:
            repeated.add(item.plugin_id)
        ids.add(item.plugin_id)
    return all(len(ids) == 1 or not (ids & repeated) for ids in ids_by_name.values())


def sort_entries(items: list[CatalogEntry]) -> None:
    """Order as the Marketplace does: by lower-case name, an id's versions newest first.

    Go's ``sort.SliceStable`` step for step where the comparison is inconsistent; a native
    stable sort (same result, much faster) where it is not.
    """
    if not _order_is_consistent(items):
        stable_sort(items, _less)
        return
    items.sort(key=lambda item: item.name_lower)
    start = 0
    while start < len(items):
        end = start + 1
        while end < len(items) and items[end].name_lower == items[start].name_lower:
            end += 1
        if end - start > 1 and items[start].plugin_id == items[end - 1].plugin_id:
            # One id under this name (consistency guarantees it): newest version first.
            items[start:end] = sorted(items[start:end], key=lambda i: i.version, reverse=True)
        start = end


def select_entries(entries: Sequence[CatalogEntry], query: MarketplaceQuery) -> list[CatalogEntry]:
    """The entries a query returns, in order, before rendering (spec section 2)."""
    if query.per_page == 0:
        return []
    kept = [entry for entry in entries if entry.visible_to(query)]
    if not query.return_all_versions:
        kept = _reduce_to_latest(kept)
    if query.plugin_id:
        kept = [entry for entry in kept if entry.plugin_id == query.plugin_id]
    if query.filter:
        kept = [entry for entry in kept if entry.matches(query.filter)]
    sort_entries(kept)
    if query.per_page == ALL_PER_PAGE:
        return kept
    start = query.page * query.per_page
    if start >= len(kept):
        return []
    return kept[start : start + query.per_page]


def query_plugins(entries: Sequence[CatalogEntry], query: MarketplaceQuery) -> list[dict[str, Any]]:
    """The response items of ``GET /api/v1/plugins`` as Python objects."""
    return [entry.rendered(query.platform) for entry in select_entries(entries, query)]


def render_json(items: Sequence[CatalogEntry], platform: str) -> bytes:
    """The response body of selected entries, as Go's encoder writes it (trailing newline)."""
    return ("[" + ",".join(e.json(platform) for e in items) + "]\n").encode()


def query_plugins_json(entries: Sequence[CatalogEntry], query: MarketplaceQuery) -> bytes:
    """The response body of a query exactly as Go's encoder writes it."""
    return render_json(select_entries(entries, query), query.platform)
