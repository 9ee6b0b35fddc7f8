"""The demo catalog: real signed bundles covering every kind of listing; idempotent."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from common.bundle import read_bundle
from marketplace.demo import DEMO_PLUGINS, load_demo
from marketplace.models import Release
from marketplace.versions import version_key

pytestmark = pytest.mark.django_db


def test_demo_covers_every_author_type_stage_and_hosting(
    portal_keyring: Any, local_storage: Path
) -> None:
    summary = load_demo()
    total = sum(len(p.versions) for p in DEMO_PLUGINS)
    assert summary["releases published"] == total == Release.objects.count()
    releases = Release.objects.all()
    assert {r.author_type for r in releases} == {"mattermost", "partner", "community"}
    assert {r.release_stage for r in releases} == {"production", "beta", "experimental"}
    assert {r.hosting for r in releases} == {"", "cloud", "on-prem"}
    assert releases.filter(enterprise=True).exists()
    assert any(len(p.versions) >= 3 for p in DEMO_PLUGINS)
    assert all(r.signature and r.bundle_sha256 and r.is_hosted for r in releases)
    assert all(default_storage.exists(r.bundle_name) for r in releases)


def test_demo_is_idempotent(portal_keyring: Any, local_storage: Path) -> None:
    load_demo()
    before = list(Release.objects.order_by("pk").values_list("pk", "bundle_sha256"))
    assert load_demo()["releases published"] == 0
    assert list(Release.objects.order_by("pk").values_list("pk", "bundle_sha256")) == before


def test_demo_bundles_are_valid_and_their_server_prints_a_handshake(
    portal_keyring: Any, local_storage: Path, tmp_path: Path
) -> None:
    load_demo()
    release = Release.objects.get(plugin__plugin_id="com.pluginportal.tasks", version="1.0.1")
    info = read_bundle(local_storage / release.bundle_name)
    assert info.has_server and info.has_webapp and info.icon_svg
    with tarfile.open(local_storage / release.bundle_name) as tar:
        tar.extractall(tmp_path, filter="data")
    executable = tmp_path / "com.pluginportal.tasks" / "server/dist/plugin-linux-amd64"
    assert os.access(executable, os.X_OK)
    env = {**os.environ, "MATTERMOST_PLUGIN": "Securely message teams, anywhere."}
    process = subprocess.Popen([str(executable)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("1|1|tcp|127.0.0.1:") and line.rstrip().endswith("|netrpc|")
        assert process.poll() is None  # it stays up
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_latest_versions_in_the_marketplace_api(
    portal_keyring: Any, local_storage: Path, client: Any
) -> None:
    load_demo()
    served = client.get("/api/v1/plugins?per_page=-1&enterprise_plugins=true").json()
    welcome = next(e for e in served if e["manifest"]["id"] == "com.pluginportal.welcome")
    expected = max(DEMO_PLUGINS[0].versions, key=version_key)
    assert welcome["manifest"]["version"] == expected
    assert Release.objects.get(
        plugin__plugin_id="com.pluginportal.welcome", version=expected
    ).certified
