"""The Marketplace API over the real plugins.json files (public data kept outside the repo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from marketplace.compat import computed_labels, go_json
from marketplace.models import Plugin, Release
from marketplace.services import catalog_import_file
from marketplace.versions import version_key
from tests.conftest import require_shared

pytestmark = pytest.mark.django_db

SERVER_QUERY = (
    "page=0&filter=&server_version=9.11.0&enterprise_plugins=false&cloud=false"
    "&build_enterprise_ready=false&local_only=false&remote_only=false&platform=linux-amd64"
    "&plugin_id=&return_all_versions=false"
)


def load(relative: str) -> tuple[Path, list[dict[str, Any]]]:
    path = require_shared(relative)
    catalog_import_file(path=path)
    return path, json.loads(path.read_bytes())


def get(client: Client, query: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/plugins?{query}")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["manifest"]["id"], entry["manifest"]["version"]


def test_production_file_imports_134_entries_of_7_ids() -> None:
    path = require_shared("data/marketplace/plugins.json")
    report = catalog_import_file(path=path)
    assert (report.total, report.created, report.refused, report.duplicates) == (134, 134, [], [])
    assert Plugin.objects.count() == 7
    assert Release.objects.filter(plugin__plugin_id="com.mattermost.calls").count() == 49


def test_production_file_round_trips_every_entry(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    served = {}
    for cloud in ("false", "true"):
        query = f"per_page=-1&return_all_versions=true&enterprise_plugins=true&cloud={cloud}"
        served.update({key(e): e for e in get(client, query)})
    assert len(served) == 134
    for entry in raw:
        got = dict(served[key(entry)])
        computed = computed_labels(
            author_type=entry["author_type"],
            release_stage=entry["release_stage"],
            enterprise=entry["enterprise"],
        )
        assert got.pop("labels", []) == computed, key(entry)
        assert got == entry, key(entry)


def test_served_bytes_are_go_encoding_of_the_file_entries(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    body = client.get("/api/v1/plugins?plugin_id=jira&return_all_versions=true").content
    expected = [e for e in raw if e["manifest"]["id"] == "jira"]
    assert body == (go_json(expected) + "\n").encode()


def test_return_all_versions_counts(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    everything = "per_page=-1&return_all_versions=true&enterprise_plugins=true"
    assert len(get(client, everything)) == sum(e["hosting"] != "cloud" for e in raw) == 131
    on_cloud = sum(e["hosting"] != "on-prem" for e in raw)
    assert len(get(client, everything + "&cloud=true")) == on_cloud
    assert len(get(client, "per_page=-1&return_all_versions=true")) == 130  # no msteams
    assert len(get(client, "return_all_versions=true")) == 100  # default page size


def test_msteams_is_enterprise_only(client: Client) -> None:
    load("data/marketplace/plugins.json")
    msteams = "com.mattermost.msteams-sync"
    assert get(client, f"plugin_id={msteams}") == []
    assert get(client, f"plugin_id={msteams}&server_version=9.11.0") == []
    (entry,) = get(client, f"plugin_id={msteams}&enterprise_plugins=true")
    assert entry["enterprise"] is True
    assert entry["labels"][-1]["name"] == "Professional/Enterprise"
    # Servers older than 5.25 never sent the flag; msteams needs a newer server, so the gate
    # that applies there is min_server_version: the pre-5.25 exception shows it to no one.
    minimum = entry["manifest"]["min_server_version"]
    assert get(client, f"plugin_id={msteams}&server_version={minimum}") == []
    assert len(get(client, f"plugin_id={msteams}&server_version=5.24.0")) == 0


def test_zoom_cloud_builds_are_served_to_cloud_servers_only(client: Client) -> None:
    load("data/marketplace/plugins.json")
    cloud = get(client, "plugin_id=zoom&return_all_versions=true&per_page=-1&cloud=true")
    onprem = get(client, "plugin_id=zoom&return_all_versions=true&per_page=-1")
    cloud_versions = {e["manifest"]["version"] for e in cloud}
    onprem_versions = {e["manifest"]["version"] for e in onprem}
    assert {"1.5.0-cloud", "1.5.1-cloud", "1.6.0-cloud"} <= cloud_versions
    assert not {v for v in onprem_versions if v.endswith("-cloud")}
    assert "1.6.0" in onprem_versions and "1.6.0" not in cloud_versions
    assert all(e["hosting"] in ("", "cloud") for e in cloud)


def test_empty_platforms_are_served_as_three_empty_objects(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    empty = next(e for e in raw if not any(e["platforms"].values()))
    cloud = "true" if empty["hosting"] == "cloud" else "false"
    served = get(
        client,
        f"plugin_id={empty['manifest']['id']}&return_all_versions=true&per_page=-1"
        f"&enterprise_plugins=true&cloud={cloud}",
    )
    (entry,) = [e for e in served if key(e) == key(empty)]
    assert entry["platforms"] == {"linux-amd64": {}, "darwin-amd64": {}, "windows-amd64": {}}
    assert b'"platforms":{"linux-amd64":{},"darwin-amd64":{},"windows-amd64":{}}' in (
        go_json(entry).encode()
    )


def test_server_query_returns_latest_compatible_per_id_with_linux_bundles(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    served = get(client, SERVER_QUERY)
    ids = [e["manifest"]["id"] for e in served]
    assert len(ids) == len(set(ids)) == 6  # msteams is enterprise-only
    for entry in served:
        plugin_id, version = key(entry)
        candidates = [
            e
            for e in raw
            if e["manifest"]["id"] == plugin_id
            and e["hosting"] != "cloud"
            and version_key(e["manifest"].get("min_server_version") or "0.0.0")
            <= version_key("9.11.0")
        ]
        best = max(version_key(e["manifest"]["version"]) for e in candidates)
        assert version_key(version) == best, plugin_id
        linux = entry["platforms"]["linux-amd64"]
        if linux.get("download_url") and linux.get("signature"):
            assert entry["download_url"] == linux["download_url"]
            assert entry["signature"] == linux["signature"]
    names = [e["manifest"]["name"].lower() for e in served]
    assert names == sorted(names)


def test_name_changed_ids_are_served_under_their_newest_name(client: Client) -> None:
    _, raw = load("data/marketplace/plugins.json")
    calls_names = {
        e["manifest"]["name"] for e in raw if e["manifest"]["id"] == "com.mattermost.calls"
    }
    assert {"Calls", "Calls (Beta)"} <= calls_names
    (calls,) = get(client, "plugin_id=com.mattermost.calls")
    assert calls["manifest"]["name"] == "Calls"
    everything = get(client, "plugin_id=com.mattermost.calls&return_all_versions=true&per_page=-1")
    assert len(everything) == sum(
        e["manifest"]["id"] == "com.mattermost.calls" and e["hosting"] != "cloud" for e in raw
    )
    assert get(client, "filter=calls (beta)") == []  # filter applies after the reduction


def test_master_file_stored_labels_come_before_computed_ones(client: Client) -> None:
    _, raw = load("data/marketplace/master/plugins.json")
    stored = next(e for e in raw if e.get("labels"))
    served = get(
        client,
        f"plugin_id={stored['manifest']['id']}&return_all_versions=true&per_page=-1"
        "&enterprise_plugins=true&cloud=" + ("true" if stored["hosting"] == "cloud" else "false"),
    )
    (entry,) = [e for e in served if key(e) == key(stored)]
    names = [label["name"] for label in entry["labels"]]
    assert names[0] == "Enterprise (E20)"
    assert names[1:] == ["Professional/Enterprise"] if stored["enterprise"] else names[1:] == []
    assert entry["labels"][0] == stored["labels"][0]


def test_master_file_duplicate_keeps_the_later_entry() -> None:
    path = require_shared("data/marketplace/master/plugins.json")
    report = catalog_import_file(path=path)
    assert (report.total, report.created, Plugin.objects.count()) == (117, 116, 30)
    assert len(report.duplicates) == 1 and "com.mattermost.nps 1.0.0" in report.duplicates[0]
    release = Release.objects.get(plugin__plugin_id="com.mattermost.nps", version="1.0.0")
    assert "/download/v1.0.0/" in release.download_url
