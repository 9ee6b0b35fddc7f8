"""Fixtures for tests against a live host server: isolated roots, a supervisor loop in a thread,
a static file server for install_from_url. Import the fixtures you use into the test module."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from common.bundle.build import build_bundle
from hostserver.runtime import RuntimeConfig, Supervisor, notify_supervisor

from . import plugins
from .conftest import EXE

LIVE = RuntimeConfig(interval=0.1, handshake_timeout=10.0, stop_timeout=1.0)


@pytest.fixture
def live_roots(settings: Any, tmp_path: Path) -> Path:
    settings.HOSTSERVER_ROOT = tmp_path / "hosts"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return settings.HOSTSERVER_ROOT


@pytest.fixture
def supervisor_thread(live_roots: Path) -> Iterator[Supervisor]:
    """The real supervisor loop, in a thread of the test process (it shares the test DB)."""
    supervisor = Supervisor(LIVE, root=live_roots)
    supervisor.acquire()
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), name="supervisor", daemon=True)
    thread.start()
    yield supervisor
    stop.set()
    notify_supervisor(live_roots)
    thread.join(timeout=30)
    assert not thread.is_alive(), "the supervisor did not stop"


class FileServer(NamedTuple):
    url: str
    root: Path


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[FileServer]:
    """A plain HTTP server on loopback serving a folder (the install_from_url source)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FileServer(f"http://127.0.0.1:{server.server_address[1]}", root)
    server.shutdown()
    server.server_close()


def server_bundle(
    plugin_id: str, version: str = "1.0.0", *, script: str = plugins.GOOD, webapp: bool = True
) -> bytes:
    """A real bundle: a go-plugin-like executable and (optionally) a webapp bundle."""
    manifest: dict[str, Any] = {
        "id": plugin_id,
        "name": f"Test {plugin_id}",
        "description": "A plugin built by the test suite.",
        "version": version,
        "min_server_version": "9.0.0",
        "server": {"executables": {"linux-amd64": EXE}, "executable": ""},
    }
    files: dict[str, Any] = {EXE: (script, 0o755)}
    if webapp:
        manifest["webapp"] = {"bundle_path": "webapp/dist/main.js"}
        files["webapp/dist/main.js"] = f"console.log('{plugin_id} {version}');"
    return build_bundle(manifest, files)
