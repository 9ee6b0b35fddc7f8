"""Import of a Mattermost ``plugins.json`` into the catalog (spec sections 3, 8 and 10)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction

from common.errors import InvalidInput
from marketplace.compat.wire import EntryError, FileError, load_json, normalize_entry
from marketplace.models import Plugin, Release, ReleaseSource
from marketplace.services.catalog import (
    catalog_touch,
    entry_text,
    next_position,
    plugins_refresh,
    release_fields,
)

T = TypeVar("T")
#: Wraps an iterable to show progress: ``progress(items, total, description)``.
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

_BATCH = 500


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    plugins_created: int = 0
    refused: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def _no_progress(items: Iterable[T], total: int, desc: str) -> Iterable[T]:
    return items


def _describe(index: int, entry: Any) -> str:
    manifest = entry.get("manifest") if isinstance(entry, dict) else None
    if isinstance(manifest, dict):
        return f"entry #{index} ({manifest.get('id')!r} {manifest.get('version')!r})"
    return f"entry #{index}"


def _parse(data: bytes) -> list[Any]:
    try:
        entries = load_json(data)
    except (ValueError, FileError) as exc:
        raise InvalidInput(f"the file is not valid JSON: {exc}") from exc
    if not isinstance(entries, list):
        kind = type(entries).__name__
        raise InvalidInput(f"the file must hold a JSON array of entries, not a {kind}")
    return entries


def _normalise_all(
    entries: list[Any], report: ImportReport, progress: Progress
) -> dict[tuple[str, str], tuple[int, dict[str, Any], str]]:
    """Normalise every entry; keep the later of duplicates. Any FileError aborts the import."""
    kept: dict[tuple[str, str], tuple[int, dict[str, Any], str]] = {}
    for index, raw in enumerate(progress(entries, len(entries), "checking")):
        try:
            entry = normalize_entry(raw)
        except FileError as exc:
            raise InvalidInput(f"{_describe(index, raw)}: {exc}; nothing was imported") from exc
        except EntryError as exc:
            report.refused.append(f"{_describe(index, raw)} refused: {exc}")
            continue
        key = (entry["manifest"]["id"], entry["manifest"]["version"])
        if key in kept:
            earlier = kept.pop(key)[0]
            report.duplicates.append(
                f"{key[0]} {key[1]} is listed at entries #{earlier} and #{index}: "
                f"the later one (#{index}) is kept"
            )
        # ASCII escapes keep even a lone surrogate of the file storable and unchanged.
        raw_text = json.dumps(raw, separators=(",", ":"))
        kept[key] = (index, entry, raw_text)
    return kept


@transaction.atomic
def catalog_import(*, data: bytes, progress: Progress | None = None) -> ImportReport:
    """Import a ``plugins.json`` idempotently, keeping every field of every entry.

    Entries with an invalid semver ``version`` or ``min_server_version`` (or a malformed known
    field) are refused and reported; the rest are imported. A file that is not a JSON array, or
    holds an element without a manifest object, is refused whole and nothing changes. Releases
    this portal hosts are never overwritten by an import.
    """
    show = progress or _no_progress
    entries = _parse(data)
    report = ImportReport(total=len(entries))
    kept = _normalise_all(entries, report, show)
    ordered = sorted(kept.values(), key=lambda item: item[0])

    ids = {entry["manifest"]["id"] for _, entry, _ in ordered}
    plugins = {p.plugin_id: p for p in Plugin.objects.filter(plugin_id__in=ids)}
    missing = [Plugin(plugin_id=plugin_id) for plugin_id in sorted(ids - plugins.keys())]
    Plugin.objects.bulk_create(missing, batch_size=_BATCH)
    report.plugins_created = len(missing)
    plugins = {p.plugin_id: p for p in Plugin.objects.filter(plugin_id__in=ids)}
    existing = {
        (r.plugin.plugin_id, r.version): r
        for r in Release.objects.filter(plugin__plugin_id__in=ids).select_related("plugin")
    }

    base = next_position()
    to_create: list[Release] = []
    to_update: list[Release] = []
    in_file: list[Release] = []
    for offset, (index, entry, raw_text) in enumerate(show(ordered, len(ordered), "importing")):
        plugin_id, version = entry["manifest"]["id"], entry["manifest"]["version"]
        fields = release_fields(entry)
        release = existing.get((plugin_id, version))
        if release is None:
            release = Release(
                plugin=plugins[plugin_id],
                source=ReleaseSource.IMPORTED,
                raw=raw_text,
                position=base + offset,
                **fields,
            )
            to_create.append(release)
        elif release.source == ReleaseSource.PUBLISHED:
            report.refused.append(
                f"entry #{index} ({plugin_id!r} {version!r}) refused: this release is hosted and "
                "signed by the portal; an import does not overwrite it"
            )
            continue
        elif release.entry == entry_text(entry) and release.raw == raw_text:
            report.unchanged += 1
        else:
            for name, value in fields.items():
                setattr(release, name, value)
            release.raw = raw_text
            to_update.append(release)
        in_file.append(release)

    Release.objects.bulk_create(to_create, batch_size=_BATCH)
    if to_update:
        Release.objects.bulk_update(to_update, [*fields.keys(), "raw"], batch_size=_BATCH)
    report.created, report.updated = len(to_create), len(to_update)
    if to_create or to_update:
        # The file's order becomes the catalog order of its entries (the tie rule).
        for offset, release in enumerate(in_file):
            release.position = base + offset
        Release.objects.bulk_update(in_file, ["position"], batch_size=_BATCH)
        touched = {release.plugin_id for release in to_create + to_update}
        plugins_refresh(plugin_ids=sorted(touched))
        catalog_touch()
    return report


def catalog_import_file(*, path: Path, progress: Progress | None = None) -> ImportReport:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    return catalog_import(data=data, progress=progress)
