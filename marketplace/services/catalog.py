"""Writes shared by every catalog change: release rows from entries, plugin summaries, revision."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import Max

from marketplace import selectors
from marketplace.compat.wire import parse_go_time
from marketplace.models import CatalogState, Plugin, Release
from marketplace.versions import db_version_key


def entry_text(entry: dict[str, Any]) -> str:
    """Canonical stored text of a normalised entry (key order kept)."""
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def release_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Column values of a ``Release`` from its normalised entry: the one mapping."""
    manifest = entry["manifest"]
    minimum = manifest.get("min_server_version") or ""
    labels = entry.get("labels") or []
    text = entry["updated_at"]
    moment = parse_go_time(text)[1]
    return {
        "version": manifest["version"],
        "version_key": db_version_key(manifest["version"]),
        "min_server_version": minimum,
        "min_server_version_key": db_version_key(minimum) if minimum else "",
        "manifest": manifest,
        "hosting": entry["hosting"],
        "author_type": entry["author_type"],
        "release_stage": entry["release_stage"],
        "enterprise": entry["enterprise"],
        "homepage_url": entry["homepage_url"],
        "release_notes_url": entry["release_notes_url"],
        "download_url": entry["download_url"],
        "signature": entry["signature"],
        "repo_name": entry["repo_name"],
        "platforms": entry["platforms"],
        "labels": labels,
        "label_names": "".join(f"|{label.get('name', '')}|" for label in labels),
        "updated_at": moment,
        "updated_at_text": text,
        "entry": entry_text(entry),
    }


def next_position() -> int:
    current = Release.objects.aggregate(top=Max("position"))["top"]
    return 0 if current is None else current + 1


def catalog_touch() -> None:
    """Bump the catalog revision; call inside the transaction that changed the catalog."""
    CatalogState.objects.update_or_create(pk=1, defaults={"revision": uuid.uuid4().hex})
    # This process reads the new token at its next request (inside this transaction too).
    selectors.forget_revision()


def plugins_refresh(*, plugin_ids: list[int]) -> None:
    """Recompute each plugin's summary from its newest release (highest version, then latest)."""
    for plugin in Plugin.objects.filter(pk__in=plugin_ids):
        releases = Release.objects.filter(plugin=plugin)
        latest = releases.order_by("-version_key", "-position").first()
        plugin.release_count = releases.count()
        plugin.latest_release = latest
        if latest is not None:
            manifest = latest.manifest
            plugin.name = manifest.get("name") or ""
            plugin.description = manifest.get("description") or ""
            plugin.homepage_url = latest.homepage_url or manifest.get("homepage_url") or ""
            plugin.support_url = manifest.get("support_url") or ""
            plugin.release_notes_url = latest.release_notes_url
            plugin.author_type = latest.author_type
            plugin.release_stage = latest.release_stage
            plugin.repo_name = latest.repo_name
            plugin.icon_data = json.loads(latest.entry).get("icon_data", "")
        plugin.save()
