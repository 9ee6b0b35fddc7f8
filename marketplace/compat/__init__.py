"""The Mattermost Marketplace semantics (``/api/v1``), in one place and free of Django.

- ``wire``: the entry shape (spec section 4), normalisation of imported entries, Go's JSON.
- ``params``: parsing of the query parameters (section 2).
- ``query``: compatibility gates, reduction, filter, sort, pagination, platform substitution.
- ``labels``: the five labels (section 5).
"""

from marketplace.compat.labels import ALL_LABELS, LABEL_NAMES, computed_labels
from marketplace.compat.params import MarketplaceQuery, parse_query
from marketplace.compat.query import (
    CatalogEntry,
    query_plugins,
    query_plugins_json,
    select_entries,
)
from marketplace.compat.wire import (
    ENTRY_KEYS,
    PLATFORMS,
    EntryError,
    FileError,
    go_json,
    load_json,
    normalize_entry,
)

__all__ = [
    "ALL_LABELS",
    "ENTRY_KEYS",
    "LABEL_NAMES",
    "PLATFORMS",
    "CatalogEntry",
    "EntryError",
    "FileError",
    "MarketplaceQuery",
    "computed_labels",
    "go_json",
    "load_json",
    "normalize_entry",
    "parse_query",
    "query_plugins",
    "query_plugins_json",
    "select_entries",
]
