"""Demo data of the host servers (``manage.py load_demo`` calls :func:`load_demo`).

The three default hosts, and on ``community`` one small real plugin (a webapp bundle and a
public file), installed and enabled, so the admin pages and ``/plugins/webapp`` show something.
Idempotent: an installed demo plugin is left alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from common.bundle.build import build_bundle
from hostserver.selectors import plugin_get
from hostserver.services import host_ensure_defaults, plugin_enable, plugin_install

DEMO_HOST = "community"
DEMO_PLUGIN_ID = "com.example.portal-demo"

_WEBAPP = (
    "(function () {\n"
    "  class PortalDemoPlugin {\n"
    "    initialize(registry) {\n"
    "      console.log('Plugin Portal demo plugin loaded');\n"
    "    }\n"
    "  }\n"
    f"  window.registerPlugin('{DEMO_PLUGIN_ID}', new PortalDemoPlugin());\n"
    "})();\n"
)


def demo_bundle() -> bytes:
    manifest = {
        "id": DEMO_PLUGIN_ID,
        "name": "Portal Demo",
        "description": "A webapp-only plugin installed by the portal's demo data.",
        "version": "1.0.0",
        "min_server_version": "9.0.0",
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    files = {"webapp/dist/main.js": _WEBAPP, "public/hello.txt": "Hello from the portal demo\n"}
    return build_bundle(manifest, files, mtime=1_700_000_000)


def load_demo() -> dict[str, Any]:
    hosts = host_ensure_defaults()
    installed: list[str] = []
    for host in hosts:
        if host.name != DEMO_HOST or plugin_get(host=host, plugin_id=DEMO_PLUGIN_ID):
            continue
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "demo.tar.gz"
            path.write_bytes(demo_bundle())
            plugin_install(host=host, bundle=path)
        plugin_enable(host=host, plugin_id=DEMO_PLUGIN_ID)
        installed.append(f"{host.name}:{DEMO_PLUGIN_ID}")
    return {"host servers": [host.name for host in hosts], "demo plugins": installed}
