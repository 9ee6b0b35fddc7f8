"""Demo catalog of our own plugins, with real signed bundles (``manage.py load_demo`` calls it).

Every author type, release stage and hosting value is covered, plus an enterprise plugin and
a plugin with several versions. Bundles are built with ``common.bundle.build.build_bundle``
(fixed timestamps, so a rebuild is byte-identical) and published through ``release_publish``,
so they are validated, stored, signed and downloadable like any other release. Idempotent:
releases already in the catalog are left alone.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.bundle.build import build_bundle
from marketplace.models import Release
from marketplace.services import release_certify, release_publish

# A fixed build time (2026-01-01T00:00:00Z): rebuilding a demo bundle gives the same bytes.
_MTIME = 1767225600

# The server side of every demo plugin: checks go-plugin's magic cookie as a real plugin does,
# listens on a loopback port, prints the handshake line and stays up until it is stopped.
SERVER_SCRIPT = """#!/usr/bin/env python3
import os, signal, socket, sys

if os.environ.get("MATTERMOST_PLUGIN") != "Securely message teams, anywhere.":
    print("This binary is a plugin. These are not meant to be executed directly.", file=sys.stderr)
    sys.exit(1)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print("1|1|tcp|127.0.0.1:%d|netrpc|" % server.getsockname()[1], flush=True)
while True:
    connection, _ = server.accept()
    connection.close()
"""

_PLATFORMS = ("linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64")


def _icon(color: str, letter: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{color}"/>'
        '<text x="32" y="42" font-size="30" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{letter}</text></svg>'
    )


def _webapp(plugin_id: str, name: str) -> str:
    return (
        "(function () {\n"
        f"  class Plugin {{ initialize(registry, store) {{ console.log('{name} loaded'); }} }}\n"
        f"  window.registerPlugin('{plugin_id}', new Plugin());\n"
        "})();\n"
    )


@dataclass(frozen=True)
class DemoPlugin:
    plugin_id: str
    name: str
    description: str
    versions: tuple[str, ...]
    author_type: str
    release_stage: str
    hosting: str = ""
    enterprise: bool = False
    color: str = "#1c58d9"
    min_server_version: str = "9.5.0"
    certified: bool = False
    settings: list[dict[str, Any]] = field(default_factory=list)


DEMO_PLUGINS: tuple[DemoPlugin, ...] = (
    DemoPlugin(
        "com.pluginportal.welcome",
        "Welcome Bot",
        "Greets new members of a team with a message you write.",
        ("1.0.0", "1.1.0", "1.2.0-beta.1", "1.2.0"),
        "mattermost",
        "production",
        certified=True,
        settings=[
            {
                "key": "WelcomeMessage",
                "display_name": "Welcome message",
                "type": "longtext",
                "help_text": "Posted to every new member.",
                "default": "Welcome aboard!",
            }
        ],
    ),
    DemoPlugin(
        "com.pluginportal.polls",
        "Quick Polls",
        "Create polls in any channel with a slash command.",
        ("0.9.0",),
        "partner",
        "beta",
        hosting="cloud",
        color="#7a3ec8",
    ),
    DemoPlugin(
        "com.pluginportal.standup",
        "Standup Reminders",
        "Asks each member for a daily standup and posts a summary.",
        ("0.3.0",),
        "community",
        "experimental",
        hosting="on-prem",
        color="#d24b4e",
    ),
    DemoPlugin(
        "com.pluginportal.compliance-export",
        "Compliance Export",
        "Exports messages to an archive for compliance reviews.",
        ("2.0.0",),
        "mattermost",
        "production",
        enterprise=True,
        color="#2a7d4f",
        min_server_version="9.11.0",
    ),
    DemoPlugin(
        "com.pluginportal.tasks",
        "Channel Tasks",
        "Keep a shared to-do list in every channel.",
        ("1.0.0", "1.0.1"),
        "community",
        "production",
        color="#e08a00",
    ),
)


def demo_bundle(plugin: DemoPlugin, version: str) -> bytes:
    """The bytes of a real, valid bundle of a demo plugin."""
    slug = plugin.plugin_id.rsplit(".", 1)[-1]
    manifest: dict[str, Any] = {
        "id": plugin.plugin_id,
        "name": plugin.name,
        "description": plugin.description,
        "homepage_url": f"https://github.com/plugin-portal/mattermost-plugin-{slug}",
        "support_url": f"https://github.com/plugin-portal/mattermost-plugin-{slug}/issues",
        "release_notes_url": (
            f"https://github.com/plugin-portal/mattermost-plugin-{slug}/releases/tag/v{version}"
        ),
        "icon_path": "assets/icon.svg",
        "version": version,
        "min_server_version": plugin.min_server_version,
        "server": {
            "executables": {name: f"server/dist/plugin-{name}" for name in _PLATFORMS},
        },
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    if plugin.settings:
        manifest["settings_schema"] = {"header": "", "footer": "", "settings": plugin.settings}
    files: dict[str, Any] = {
        "assets/icon.svg": _icon(plugin.color, plugin.name[0]),
        "webapp/dist/main.js": _webapp(plugin.plugin_id, plugin.name),
        "README.md": f"# {plugin.name}\n\n{plugin.description}\n",
    }
    for name in _PLATFORMS:
        files[f"server/dist/plugin-{name}"] = (SERVER_SCRIPT, 0o755)
    return build_bundle(manifest, files, mtime=_MTIME)


def load_demo() -> dict[str, Any]:
    """Publish every demo release that is not in the catalog yet; return what was done."""
    published: list[str] = []
    with tempfile.TemporaryDirectory(prefix="portal-demo-") as tmp:
        for plugin in DEMO_PLUGINS:
            for version in plugin.versions:
                if Release.objects.filter(
                    plugin__plugin_id=plugin.plugin_id, version=version
                ).exists():
                    continue
                path = Path(tmp) / f"{plugin.plugin_id}-{version}.tar.gz"
                path.write_bytes(demo_bundle(plugin, version))
                release_publish(
                    bundle=path,
                    author_type=plugin.author_type,
                    release_stage=plugin.release_stage,
                    hosting=plugin.hosting,
                    enterprise=plugin.enterprise,
                )
                if plugin.certified:
                    release_certify(plugin_id=plugin.plugin_id, version=version, actor=None)
                published.append(f"{plugin.plugin_id} {version}")
    total = sum(len(plugin.versions) for plugin in DEMO_PLUGINS)
    return {"releases published": len(published), "demo releases in catalog": total}
