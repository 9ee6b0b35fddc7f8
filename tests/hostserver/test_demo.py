"""The host servers' demo data: real bundle, idempotent."""

from __future__ import annotations

import pytest

from hostserver.demo import DEMO_PLUGIN_ID, load_demo
from hostserver.models import HostPlugin, HostServer

pytestmark = pytest.mark.django_db


def test_demo_creates_hosts_and_installs_an_enabled_plugin_once(isolated_roots, settings):
    settings.HOSTSERVER_DEFAULT_NAMES = ["ci-extensions", "community"]
    first = load_demo()
    assert first["demo plugins"] == [f"community:{DEMO_PLUGIN_ID}"]
    community = HostServer.objects.get(name="community")
    plugin = HostPlugin.objects.get(host=community)
    assert plugin.plugin_id == DEMO_PLUGIN_ID and plugin.webapp_hash
    assert (community.plugin_dir / DEMO_PLUGIN_ID / "public" / "hello.txt").is_file()
    assert community.config["PluginSettings"]["PluginStates"][DEMO_PLUGIN_ID] == {"Enable": True}
    assert load_demo()["demo plugins"] == []
    assert HostPlugin.objects.get().generation == 1
