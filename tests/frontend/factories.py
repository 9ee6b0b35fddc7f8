"""Real catalog content for UI tests: bundles built with common.bundle.build, published through
the marketplace's own service (stored, signed with the portal key, listed)."""

from __future__ import annotations

import io
from typing import Any

from common.bundle.build import build_bundle

ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<circle cx="5" cy="5" r="4"/></svg>'
)


def bundle_bytes(
    plugin_id: str,
    version: str = "1.0.0",
    *,
    name: str | None = None,
    description: str = "",
    min_server_version: str = "",
    icon: bool = False,
    **manifest: Any,
) -> bytes:
    data: dict[str, Any] = {
        "id": plugin_id,
        "name": name or plugin_id.replace("-", " ").title(),
        "version": version,
        "description": description or f"The {plugin_id} plugin.",
        "homepage_url": f"https://example.com/{plugin_id}",
        "support_url": f"https://example.com/{plugin_id}/issues",
        "webapp": {"bundle_path": "webapp/dist/main.js"},
        **manifest,
    }
    if min_server_version:
        data["min_server_version"] = min_server_version
    files: dict[str, Any] = {"webapp/dist/main.js": "console.log('hello');\n"}
    if icon:
        data["icon_path"] = "assets/icon.svg"
        files["assets/icon.svg"] = ICON
    return build_bundle(data, files)


def publish(
    plugin_id: str,
    version: str = "1.0.0",
    *,
    author_type: str = "community",
    release_stage: str = "production",
    certified: bool = False,
    enterprise: bool = False,
    **manifest: Any,
) -> Any:
    from marketplace.services.releases import release_publish

    return release_publish(
        bundle=io.BytesIO(bundle_bytes(plugin_id, version, **manifest)),
        author_type=author_type,
        release_stage=release_stage,
        certified=certified,
        enterprise=enterprise,
    )


APACHE_LICENSE = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION
"""


def source_archive(
    plugin_id: str, *, extra: dict[str, str] | None = None, licence: bool = True
) -> bytes:
    """A small plugin source tree as .tar.gz (Go server part, LICENSE, README)."""
    import gzip
    import tarfile

    files = {
        **({"LICENSE": APACHE_LICENSE} if licence else {}),
        "README.md": f"# {plugin_id}\n\nDoes a useful thing.\n",
        "server/plugin.go": (
            'package main\n\nimport "github.com/mattermost/mattermost/server/public/plugin"\n\n'
            "type Plugin struct{ plugin.MattermostPlugin }\n\n"
            "func main() { plugin.ClientMain(&Plugin{}) }\n"
        ),
        **(extra or {}),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{plugin_id}-main/{name}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def submit(
    owner: Any,
    plugin_id: str = "com.example.greeter",
    version: str = "1.0.0",
    *,
    licence_file: bool = True,
) -> Any:
    """A submission made through certification's own service, with real files."""
    from django.test import TestCase

    from certification.services.submissions import SourceInput, submission_create

    # The intake (source check, start of the basic review) runs after commit, as in production.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return submission_create(
            owner=owner,
            name="",
            repository_url=f"https://github.com/example/{plugin_id}",
            nightly_url=f"https://builds.example.com/{plugin_id}/latest.tar.gz",
            licence="Apache-2.0",
            bundle=bundle_bytes(plugin_id, version),
            source=SourceInput(
                archive=source_archive(plugin_id, licence=licence_file), filename="src.tar.gz"
            ),
        )
