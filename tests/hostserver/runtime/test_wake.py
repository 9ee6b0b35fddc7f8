"""A change of desired state wakes the supervisor at once, not at its next poll."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from hostserver.models import HostServer, PluginState
from hostserver.runtime import Supervisor, notify_supervisor
from hostserver.services import plugin_disable, plugin_enable

from . import plugins
from .conftest import exe, install, server_manifest, wait_gone
from .live import LIVE, live_roots  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_enable_and_disable_wake_a_sleeping_supervisor(live_roots: Path) -> None:  # noqa: F811
    host = HostServer.objects.create(
        name="wake-host", server_version="10.5.0", config={"PluginSettings": {"Enable": True}}
    )
    plugin = install(host, server_manifest("com.example.wake"), exe(plugins.GOOD), enabled=False)
    # A poll interval far longer than the test may take: only a notification can wake it.
    supervisor = Supervisor(replace(LIVE, interval=120.0), root=live_roots)
    supervisor.acquire()
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.3)  # the first pass is done; the loop sleeps
        plugin_enable(host=host, plugin_id="com.example.wake")
        plugin = _wait(plugin, PluginState.RUNNING)
        pid = plugin.pid

        plugin_disable(host=host, plugin_id="com.example.wake")
        plugin = _wait(plugin, PluginState.NOT_RUNNING)
        assert wait_gone(pid)
    finally:
        stop.set()
        notify_supervisor(live_roots)
        thread.join(timeout=10)
    assert not thread.is_alive(), "stop did not interrupt the sleep"


def _wait(plugin, state, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plugin.refresh_from_db()
        if plugin.state == state:
            return plugin
        time.sleep(0.05)
    pytest.fail(f"still {plugin.state} ({plugin.error!r}): the supervisor was not woken")
