"""Reads of the marketplace app."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from common.errors import NotFound
from marketplace.compat import CatalogEntry, MarketplaceQuery
from marketplace.compat.labels import BETA, COMMUNITY, ENTERPRISE, EXPERIMENTAL, PARTNER
from marketplace.compat.query import render_json, select_entries
from marketplace.models import AuthorType, Plugin, Release, ReleaseStage
from marketplace.versions import VersionKey, db_version_key, version_key

# A constant statement (the table is CatalogState's, checked by a test).
_REVISION_SQL = "SELECT revision FROM marketplace_catalogstate WHERE id = 1"


_revision_memo: tuple[float, str] | None = None


def catalog_revision(*, max_age: float = 0.0) -> str:
    """The current catalog revision token; ``max_age`` > 0 accepts one read that recently.

    A fixed primary-key read on a constant table name: it skips the ORM's query compilation.
    """
    global _revision_memo
    memo = _revision_memo
    now = time.monotonic()
    if max_age > 0 and memo is not None and now - memo[0] < max_age:
        return memo[1]
    with connection.cursor() as cursor:
        cursor.execute(_REVISION_SQL)
        row = cursor.fetchone()
    revision = row[0] if row else ""
    _revision_memo = (now, revision)
    return revision


def revision_ttl() -> float:
    """How long a process trusts the revision it read last (``MARKETPLACE_REVISION_TTL``).

    A write in this process is seen at once (``forget_revision``), another process's within
    this many seconds; cached Marketplace requests meanwhile touch no database at all. 1 s by
    default; 0 under the test settings, where rolled-back tests reuse the process.
    """
    default = 0.0 if settings.PORTAL_ENV == "test" else 1.0
    return float(getattr(settings, "MARKETPLACE_REVISION_TTL", default))


def forget_revision() -> None:
    """Make this process read the revision again at its next request (called on writes)."""
    global _revision_memo
    _revision_memo = None


@dataclass(frozen=True)
class CatalogSnapshot:
    revision: str
    entries: tuple[CatalogEntry, ...]


_lock = threading.Lock()
_snapshot: CatalogSnapshot | None = None
_responses: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_responses_bytes = 0
# Cached response bodies of this process, oldest dropped first. A full catalog with icons is
# about 1.5 MB per body, so the budget is in bytes, not in entries.
_RESPONSES_BUDGET = 32 * 1024 * 1024
_selections: OrderedDict[tuple[object, ...], list[CatalogEntry]] = OrderedDict()
_MAX_SELECTIONS = 64


def _load_entries() -> tuple[CatalogEntry, ...]:
    """Every entry in catalog order, with the query keys from columns only.

    The entries' text (mostly icon data) is loaded when an entry is first rendered
    (``_load_texts``), so a large catalog loads fast and memory holds what is served.
    """
    rows = Release.objects.order_by("position", "pk").values_list(
        "pk",
        "plugin__plugin_id",
        "version",
        "manifest__name",
        "manifest__description",
        "min_server_version",
        "enterprise",
        "hosting",
    )
    keys: dict[str, VersionKey] = {}  # many releases share a min_server_version

    def key(text: str) -> VersionKey:
        if text not in keys:
            keys[text] = version_key(text)
        return keys[text]

    return tuple(
        CatalogEntry(
            plugin_id=plugin_id,
            version=version_key(version),
            name_lower=name.lower() if isinstance(name, str) else "",
            description_lower=description.lower() if isinstance(description, str) else "",
            min_server_version=key(minimum) if minimum else None,
            enterprise=enterprise,
            hosting=hosting,
            row_id=pk,
        )
        for pk, plugin_id, version, name, description, minimum, enterprise, hosting in (
            rows.iterator(chunk_size=2000)
        )
    )


_TEXTS_BY_ID = 500


def _load_texts(items: list[CatalogEntry]) -> bool:
    """Load the entry text of the items that were never rendered; False if a row is gone."""
    missing = [item for item in items if item.needs_text]
    if not missing:
        return True
    rows = Release.objects.values_list("pk", "entry")
    if len(missing) <= _TEXTS_BY_ID:
        rows = rows.filter(pk__in=[item.row_id for item in missing])
    # Otherwise one pass over the table: one query whatever the catalog size.
    texts = dict(rows.iterator(chunk_size=2000))
    for item in missing:
        if item.row_id not in texts:
            return False  # deleted since the snapshot was loaded: the catalog changed
        item.text = texts[item.row_id]
    return True


def catalog_snapshot() -> CatalogSnapshot:
    """Every catalog entry in catalog order, loaded once per revision per process."""
    global _snapshot, _responses_bytes
    revision = catalog_revision(max_age=revision_ttl())
    snapshot = _snapshot
    if snapshot is not None and snapshot.revision == revision:
        return snapshot
    with _lock:
        if _snapshot is None or _snapshot.revision != revision:
            _snapshot = CatalogSnapshot(revision=revision, entries=_load_entries())
            _responses.clear()
            _selections.clear()
            _responses_bytes = 0
        return _snapshot


def reset_caches() -> None:
    """Forget the loaded catalog and cached responses of this process."""
    global _snapshot, _responses_bytes
    forget_revision()
    with _lock:
        _snapshot = None
        _responses.clear()
        _selections.clear()
        _responses_bytes = 0


def marketplace_plugins_body(*, query: MarketplaceQuery) -> bytes:
    """The exact ``GET /api/v1/plugins`` body; cached per revision and every parameter."""
    global _responses_bytes
    snapshot = catalog_snapshot()
    key = (snapshot.revision, *query.cache_key())
    body = _responses.get(key)
    if body is not None:
        return body
    # A body too large for the budget is rebuilt from its cached selection (joining the
    # entries' cached JSON), which skips the gates, the reduction and the sort.
    items = _selections.get(key)
    if items is None:
        items = select_entries(snapshot.entries, query)
    if not _load_texts(items):
        reset_caches()
        return marketplace_plugins_body(query=query)
    body = render_json(items, query.platform)
    with _lock:
        if snapshot is _snapshot:
            if len(body) <= _RESPONSES_BUDGET // 4 and key not in _responses:
                _responses[key] = body
                _responses_bytes += len(body)
                while _responses_bytes > _RESPONSES_BUDGET and _responses:
                    _responses_bytes -= len(_responses.popitem(last=False)[1])
            else:
                _selections[key] = items
                while len(_selections) > _MAX_SELECTIONS:
                    _selections.popitem(last=False)
    return body


# Large columns that lists never show: left out of list queries (detail reads load them).
_HEAVY_RELEASE_FIELDS = ("entry", "raw", "manifest")


def plugin_get(plugin_id: str) -> Plugin:
    try:
        return Plugin.objects.select_related("latest_release__plugin").get(plugin_id=plugin_id)
    except Plugin.DoesNotExist:
        raise NotFound(f"plugin {plugin_id!r} does not exist") from None


def release_get(plugin_id: str, version: str) -> Release:
    try:
        return Release.objects.select_related("plugin").get(
            plugin__plugin_id=plugin_id, version=version
        )
    except Release.DoesNotExist:
        raise NotFound(f"release {plugin_id!r} {version!r} does not exist") from None


# The computed labels (spec section 5) and the release fields they come from.
_LABEL_RULES: dict[str, dict[str, object]] = {
    PARTNER["name"]: {"author_type": AuthorType.PARTNER},
    COMMUNITY["name"]: {"author_type": AuthorType.COMMUNITY},
    BETA["name"]: {"release_stage": ReleaseStage.BETA},
    EXPERIMENTAL["name"]: {"release_stage": ReleaseStage.EXPERIMENTAL},
    ENTERPRISE["name"]: {"enterprise": True},
}


def release_label_q(name: str, prefix: str = "") -> Q:
    """Releases carrying a label: computed from their fields, or stored in imported data.

    ``prefix`` reaches the release through a relation, e.g. ``"latest_release__"``.
    """
    stored = Q(**{f"{prefix}label_names__contains": f"|{name}|"})
    rule = _LABEL_RULES.get(name)
    if rule is None:
        return stored
    return Q(**{f"{prefix}{key}": value for key, value in rule.items()}) | stored


def release_compatible_q(server_version: str, prefix: str = "") -> Q:
    """Releases whose min_server_version is at most ``server_version``, by semver precedence.

    Raises ``InvalidInput`` when ``server_version`` is not a semantic version.
    """
    key = db_version_key(server_version)
    return Q(**{f"{prefix}min_server_version_key": ""}) | Q(
        **{f"{prefix}min_server_version_key__lte": key}
    )


def plugin_list(
    *,
    search: str = "",
    author_type: str = "",
    release_stage: str = "",
    hosting: str | None = None,
    enterprise: bool | None = None,
    label: str = "",
    certified: bool | None = None,
    compatible_with: str = "",
) -> QuerySet[Plugin]:
    """Plugins with their newest release, ready for listing.

    Field filters apply to the newest release; ``certified`` to any release (one certified
    release makes a certified plugin) and ``compatible_with`` to any release (some version
    installs on that server).
    """
    plugins = (
        Plugin.objects.select_related("latest_release__plugin")
        .defer(*(f"latest_release__{name}" for name in _HEAVY_RELEASE_FIELDS))
        .order_by("plugin_id")
    )
    if search:
        text = search.strip()
        plugins = plugins.filter(
            Q(plugin_id__icontains=text) | Q(name__icontains=text) | Q(description__icontains=text)
        )
    if author_type:
        plugins = plugins.filter(latest_release__author_type=author_type)
    if release_stage:
        plugins = plugins.filter(latest_release__release_stage=release_stage)
    if hosting is not None:
        plugins = plugins.filter(latest_release__hosting=hosting)
    if enterprise is not None:
        plugins = plugins.filter(latest_release__enterprise=enterprise)
    if label:
        plugins = plugins.filter(release_label_q(label, prefix="latest_release__"))
    if certified is not None:
        any_certified = Exists(Release.objects.filter(plugin=OuterRef("pk"), certified=True))
        plugins = plugins.filter(any_certified) if certified else plugins.exclude(any_certified)
    if compatible_with:
        compatible = Release.objects.filter(
            release_compatible_q(compatible_with), plugin=OuterRef("pk")
        )
        plugins = plugins.filter(Exists(compatible))
    return plugins


def release_list(*, plugin_id: str | None = None) -> QuerySet[Release]:
    """Releases, newest version first (within a plugin); one plugin's history with ``plugin_id``."""
    releases = Release.objects.select_related("plugin").defer(*_HEAVY_RELEASE_FIELDS)
    if plugin_id is not None:
        releases = releases.filter(plugin__plugin_id=plugin_id)
    return releases.order_by("plugin__plugin_id", "-version_key", "-position")
