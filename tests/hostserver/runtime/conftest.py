"""Host servers, installed plugins (real bundles in the real file store) and a supervisor."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from common.bundle.build import FileSpec, build_bundle
from hostserver.models import HostPlugin, HostServer
from hostserver.runtime import RuntimeConfig, Supervisor
from hostserver.runtime.process import group_members, marked_processes, process_running

EXE = "server/dist/plugin-linux-amd64"

#: Short timings so the tests finish quickly; health checks off unless a test wants them.
FAST = RuntimeConfig(
    interval=0.05,
    # Generous: a loaded CI machine can take a second to start a Python script.
    handshake_timeout=5.0,
    health_interval=3600.0,
    stop_timeout=0.5,
    restart_window=3600.0,
    log_max_bytes=64 * 1024,
)


@pytest.fixture
def host_root(settings: Any, tmp_path: Path) -> Path:
    settings.HOSTSERVER_ROOT = tmp_path / "hostservers"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return settings.HOSTSERVER_ROOT


@pytest.fixture
def host(host_root: Path) -> HostServer:
    return HostServer.objects.create(
        name="ci-extensions",
        server_version="10.5.0",
        config={"PluginSettings": {"Enable": True, "EnableUploads": True, "PluginStates": {}}},
    )


def server_manifest(plugin_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": plugin_id,
        "name": plugin_id,
        "version": "1.0.0",
        "server": {"executables": {"linux-amd64": EXE}, "executable": ""},
        **extra,
    }


def set_enabled(host: HostServer, plugin_id: str, enabled: bool) -> None:
    host.refresh_from_db()
    states = host.config.setdefault("PluginSettings", {}).setdefault("PluginStates", {})
    states[plugin_id] = {"Enable": enabled}
    host.save(update_fields=["config"])


def install(
    host: HostServer,
    manifest: dict[str, Any],
    files: dict[str, FileSpec] | None = None,
    *,
    enabled: bool = True,
    signature: bytes | None = None,
) -> HostPlugin:
    """Store a real bundle in the file store and record it, as the install service does."""
    data = build_bundle(manifest, files or {})
    plugin_id = manifest["id"]
    name = f"hostservers/{host.name}/plugins/{plugin_id}.tar.gz"
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(data))
    sig_name = ""
    if signature is not None:
        sig_name = default_storage.save(name + ".sig", ContentFile(signature))
    plugin, created = HostPlugin.objects.get_or_create(
        host=host,
        plugin_id=plugin_id,
        defaults={
            "manifest": manifest,
            "version": manifest.get("version", ""),
            "bundle_path": stored,
            "signature_path": sig_name,
            "bundle_sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    if not created:
        # The install service swaps a freshly extracted tree in; here the supervisor rebuilds it.
        shutil.rmtree(host.plugin_dir / plugin_id, ignore_errors=True)
        HostPlugin.objects.filter(pk=plugin.pk).update(
            manifest=manifest,
            version=manifest.get("version", ""),
            bundle_path=stored,
            bundle_sha256=hashlib.sha256(data).hexdigest(),
            generation=plugin.generation + 1,
        )
        plugin.refresh_from_db()
    set_enabled(host, plugin_id, enabled)
    return plugin


def exe(script: str) -> dict[str, FileSpec]:
    return {EXE: (script, 0o755)}


@dataclass
class Driver:
    supervisor: Supervisor

    def settle(
        self, plugin: HostPlugin, until: Callable[[HostPlugin], bool], timeout: float = 15.0
    ) -> HostPlugin:
        """Reconcile until ``until(row)`` holds; fail with the last row if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            self.supervisor.reconcile_once()
            plugin.refresh_from_db()
            if until(plugin):
                return plugin
            if time.monotonic() > deadline:
                pytest.fail(
                    f"state {plugin.state} error {plugin.error!r} pid {plugin.pid} after {timeout}s"
                )
            time.sleep(0.05)


@pytest.fixture
def driver(host_root: Path) -> Iterator[Driver]:
    supervisor = Supervisor(FAST, root=host_root)
    supervisor.acquire()
    yield Driver(supervisor)
    pids = [a.process.pid for a in supervisor.active.values() if a.process and a.process.pid]
    supervisor.shutdown()
    for pid in pids:
        assert not group_members(pid), f"plugin process group {pid} left behind"
    left = marked_processes(f"{host_root.resolve()}::", prefix=True)
    assert not left, f"plugin processes left behind: {left}"


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_running(pid):
            return True
        time.sleep(0.05)
    return not process_running(pid)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
