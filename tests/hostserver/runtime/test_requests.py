"""Install and enable through the real services: statuses never show a stale answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostserver.models import HostPlugin, PluginState
from hostserver.services import host_create, plugin_enable, plugin_install

from . import plugins
from .conftest import Driver
from .live import server_bundle

pytestmark = pytest.mark.django_db

RUNNING = lambda p: p.state == PluginState.RUNNING  # noqa: E731


@pytest.fixture
def real_host(host_root):
    return host_create(name="requests-host")


def _install(host, tmp_path: Path, data: bytes, *, force: bool = False) -> HostPlugin:
    path = tmp_path / f"bundle-{len(list(tmp_path.iterdir()))}.tar.gz"
    path.write_bytes(data)
    return plugin_install(host=host, bundle=path, force=force)


def test_forced_reinstall_shows_starting_until_the_new_bundle_runs(
    driver: Driver, real_host, tmp_path
) -> None:
    plugin = _install(real_host, tmp_path, server_bundle("com.example.re", "1.0.0"))
    plugin_enable(host=real_host, plugin_id="com.example.re")
    plugin = driver.settle(plugin, RUNNING)
    old_pid = plugin.pid

    _install(real_host, tmp_path, server_bundle("com.example.re", "2.0.0"), force=True)
    plugin.refresh_from_db()

    assert plugin.state == PluginState.STARTING  # not the old version's Running
    plugin = driver.settle(plugin, lambda p: RUNNING(p) and p.pid != old_pid)
    assert plugin.running_generation == plugin.generation == 2
    assert plugin.version == "2.0.0"


def test_enable_after_a_failure_retries_without_a_disable_in_between(
    driver: Driver, real_host, tmp_path
) -> None:
    real_host.server_version = "8.0.0"  # below the bundle's min_server_version 9.0.0
    real_host.save(update_fields=["server_version"])
    plugin = _install(real_host, tmp_path, server_bundle("com.example.again"))
    plugin_enable(host=real_host, plugin_id="com.example.again")
    plugin = driver.settle(plugin, lambda p: p.state == PluginState.FAILED_TO_START)
    assert plugin.error == "plugin requires Mattermost 9.0.0: com.example.again"
    real_host.server_version = "10.5.0"
    real_host.save(update_fields=["server_version"])

    plugin_enable(host=real_host, plugin_id="com.example.again")
    plugin.refresh_from_db()

    assert plugin.state == PluginState.STARTING and plugin.error == ""
    driver.settle(plugin, RUNNING)


def test_enable_of_a_running_plugin_leaves_it_running(driver: Driver, real_host, tmp_path) -> None:
    plugin = _install(real_host, tmp_path, server_bundle("com.example.twice"))
    plugin_enable(host=real_host, plugin_id="com.example.twice")
    plugin = driver.settle(plugin, RUNNING)
    pid = plugin.pid

    plugin_enable(host=real_host, plugin_id="com.example.twice")
    driver.supervisor.reconcile_once()
    plugin.refresh_from_db()

    assert plugin.state == PluginState.RUNNING and plugin.pid == pid


def test_a_wrong_state_of_a_running_plugin_is_corrected(
    driver: Driver, real_host, tmp_path
) -> None:
    plugin = _install(real_host, tmp_path, server_bundle("com.example.heal", script=plugins.GOOD))
    plugin_enable(host=real_host, plugin_id="com.example.heal")
    plugin = driver.settle(plugin, RUNNING)
    HostPlugin.objects.filter(pk=plugin.pk).update(state=PluginState.NOT_RUNNING, pid=None)

    plugin = driver.settle(plugin, RUNNING)

    assert plugin.pid == driver.supervisor.active[(real_host.pk, "com.example.heal")].process.pid


def test_install_of_a_disabled_plugin_does_not_claim_starting(real_host, tmp_path) -> None:
    plugin = _install(real_host, tmp_path, server_bundle("com.example.idle"))

    assert plugin.state == PluginState.NOT_RUNNING
    plugin.refresh_from_db()
    assert plugin.state == PluginState.NOT_RUNNING
