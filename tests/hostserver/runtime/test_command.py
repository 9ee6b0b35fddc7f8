"""``manage.py hostserver_supervisor`` as its own process, as ``make run`` starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from hostserver.models import HostPlugin, HostServer, PluginState
from hostserver.runtime.process import process_running

from . import plugins
from .conftest import exe, install, server_manifest, wait_gone
from .live import live_roots  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[3]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _start(root: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.test_settings",
        "DATABASE_URL": _database_url(),
        "HOSTSERVER_ROOT": str(root),
        "MEDIA_ROOT": str(settings.STORAGES["default"]["OPTIONS"]["location"]),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "hostserver_supervisor", "--interval", "0.1", *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_row(plugin: HostPlugin, predicate: Any, timeout: float = 30.0) -> HostPlugin:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plugin.refresh_from_db()
        if predicate(plugin):
            return plugin
        time.sleep(0.1)
    pytest.fail(f"state {plugin.state} error {plugin.error!r}")


def test_command_runs_plugins_and_stops_them_on_sigterm(live_roots: Path) -> None:  # noqa: F811
    host = HostServer.objects.create(
        name="cmd-host", server_version="10.5.0", config={"PluginSettings": {"Enable": True}}
    )
    plugin = install(host, server_manifest("com.example.cmd"), exe(plugins.GOOD))
    supervisor = _start(live_roots)
    try:
        plugin = _wait_row(plugin, lambda p: p.state == PluginState.RUNNING)
        pid = plugin.pid
        assert pid and process_running(pid)

        second = _start(live_roots)
        out, _ = second.communicate(timeout=60)
        assert second.returncode != 0
        assert "another supervisor is running" in out

        supervisor.send_signal(signal.SIGTERM)
        out, _ = supervisor.communicate(timeout=60)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()

    assert supervisor.returncode == 0, out
    assert "stopping all plugins" in out
    assert wait_gone(pid)
    plugin.refresh_from_db()
    assert plugin.state == PluginState.NOT_RUNNING and plugin.pid is None
