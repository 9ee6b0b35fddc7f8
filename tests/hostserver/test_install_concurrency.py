"""Concurrent installs of the same id never corrupt state (row, directory, file store agree)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from common.bundle.build import build_bundle
from hostserver.errors import AppError
from hostserver.models import HostPlugin, HostServer
from hostserver.services import host_create, plugin_install, plugin_remove

pytestmark = pytest.mark.django_db(transaction=True)

PID = "com.example.race"
THREADS = 4


def _bundles(tmp_path: Path) -> list[Path]:
    paths = []
    for n in range(THREADS):
        manifest = {
            "id": PID,
            "name": "Race",
            "version": f"1.0.{n}",
            "webapp": {"bundle_path": "main.js"},
        }
        path = tmp_path / f"race-{n}.tar.gz"
        path.write_bytes(build_bundle(manifest, {"main.js": f"// {n}\n" + "x" * 50_000}))
        paths.append(path)
    return paths


def _race(host_pk: int, bundles: list[Path], *, force: bool) -> list[object]:
    results: list[object] = [None] * len(bundles)
    barrier = threading.Barrier(len(bundles))

    def run(index: int) -> None:
        try:
            host = HostServer.objects.get(pk=host_pk)
            barrier.wait()
            results[index] = plugin_install(host=host, bundle=bundles[index], force=force)
        except Exception as exc:  # collected and asserted on below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bundles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _assert_consistent(host: HostServer) -> HostPlugin:
    plugin = HostPlugin.objects.get(host=host, plugin_id=PID)
    on_disk = json.loads((host.plugin_dir / PID / "plugin.json").read_text())
    assert on_disk["version"] == plugin.version
    import hashlib

    with default_storage.open(plugin.bundle_path) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == plugin.bundle_sha256
    _dirs, files = default_storage.listdir(f"hostservers/{host.name}/plugins")
    assert files == [f"{PID}.tar.gz"]
    assert sorted(p.name for p in host.plugin_dir.iterdir()) == [PID]
    assert list((host.root_dir / "tmp").iterdir()) == []
    return plugin


def test_concurrent_installs_without_force_let_exactly_one_win(isolated_roots, tmp_path):
    host = host_create(name="race-host")
    results = _race(host.pk, _bundles(tmp_path), force=False)
    winners = [r for r in results if isinstance(r, HostPlugin)]
    losers = [r for r in results if isinstance(r, AppError)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1
    assert {e.error_id for e in losers} == {"app.plugin.install_id.app_error"}
    plugin = _assert_consistent(host)
    assert plugin.version == winners[0].version and plugin.generation == 1


def test_concurrent_forced_installs_serialise(isolated_roots, tmp_path):
    host = host_create(name="race-host")
    results = _race(host.pk, _bundles(tmp_path), force=True)
    assert all(isinstance(r, HostPlugin) for r in results), results
    plugin = _assert_consistent(host)
    assert plugin.generation == THREADS


def test_install_racing_a_remove_stays_consistent(isolated_roots, tmp_path):
    host = host_create(name="race-host")
    bundles = _bundles(tmp_path)
    plugin_install(host=host, bundle=bundles[0])
    errors: list[BaseException] = []

    def remove() -> None:
        try:
            plugin_remove(host=HostServer.objects.get(pk=host.pk), plugin_id=PID)
        except AppError as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=remove)
    thread.start()
    try:
        plugin_install(host=host, bundle=bundles[1], force=True)
    except AppError as exc:
        errors.append(exc)
    thread.join(timeout=120)
    if HostPlugin.objects.filter(plugin_id=PID).exists():
        _assert_consistent(host)
    else:
        assert not (host.plugin_dir / PID).exists()
        folder = f"hostservers/{host.name}/plugins"
        assert default_storage.listdir(folder) == ([], [])
