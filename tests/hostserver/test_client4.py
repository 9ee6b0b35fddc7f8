"""The real Mattermost JavaScript client (Client4 of @mattermost/client) against a live host server.

Runs ``tests/client4/client4_flow.js`` with Node: every plugin method Client4 has, asserted on
the Node side. Skipped only when Node or the npm package is absent, and then only when
``PORTAL_REQUIRE_CLIENT4`` is not ``1`` (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from common.roles import PORTAL_ADMINS
from hostserver.services import host_create, trusted_key_add
from tests.hostserver.runtime import live, plugins
from tests.hostserver.runtime.live import server_bundle

CLIENT4_DIR = Path(__file__).resolve().parent.parent / "client4"
SCRIPT = CLIENT4_DIR / "client4_flow.js"
PASSWORD = "correct horse battery staple"

live_roots = live.live_roots
supervisor_thread = live.supervisor_thread
file_server = live.file_server

pytestmark = [pytest.mark.client4, pytest.mark.django_db(transaction=True)]


def _node() -> str:
    node = shutil.which("node")
    missing = []
    if node is None:
        missing.append("the node executable")
    if not (CLIENT4_DIR / "node_modules" / "@mattermost" / "client" / "package.json").exists():
        missing.append(f"@mattermost/client (run `npm ci` in {CLIENT4_DIR})")
    if missing:
        reason = "Client4 test needs " + " and ".join(missing)
        if os.environ.get("PORTAL_REQUIRE_CLIENT4") == "1":
            pytest.fail(reason + " (PORTAL_REQUIRE_CLIENT4=1)")
        pytest.skip(reason)
    assert node is not None
    return node


def test_client4_drives_every_plugin_method(
    live_server, settings, portal_keyring, supervisor_thread, file_server, tmp_path
) -> None:
    from marketplace.services import release_publish

    node = _node()
    # Download URLs of published releases and the host's MarketplaceURL point at this server.
    settings.PORTAL_BASE_URL = live_server.url
    host = host_create(name="ci-extensions")
    trusted_key_add(host=host, armored=portal_keyring.export_public(), name="portal")
    admin = User.objects.create_user("admin", "admin@example.com", PASSWORD)
    admin.groups.add(Group.objects.get_or_create(name=PORTAL_ADMINS)[0])
    User.objects.create_user("member", "member@example.com", PASSWORD)

    bundles = {
        "v1": server_bundle("com.example.client4", "1.0.0"),
        "v2": server_bundle("com.example.client4", "1.1.0"),
        "market": server_bundle("com.example.market", "3.0.0"),
    }
    for name, data in bundles.items():
        (tmp_path / f"{name}.tar.gz").write_bytes(data)
    (tmp_path / "bad.tar.gz").write_bytes(
        server_bundle("com.example.silent", "1.0.0", script=plugins.GARBAGE)
    )
    (file_server.root / "from-url.tar.gz").write_bytes(
        server_bundle("com.example.fromurl", "0.5.0", webapp=False)
    )
    release_publish(
        bundle=tmp_path / "market.tar.gz", author_type="community", release_stage="production"
    )

    env = {
        **os.environ,
        "CLIENT4_BASE_URL": f"{live_server.url}/hosts/{host.name}",
        "CLIENT4_ADMIN_USER": "admin",
        "CLIENT4_ADMIN_PASSWORD": PASSWORD,
        "CLIENT4_USER": "member",
        "CLIENT4_PASSWORD": PASSWORD,
        "CLIENT4_BUNDLE": str(tmp_path / "v1.tar.gz"),
        "CLIENT4_BUNDLE_V2": str(tmp_path / "v2.tar.gz"),
        "CLIENT4_BUNDLE_ID": "com.example.client4",
        "CLIENT4_URL_BUNDLE_URL": f"{file_server.url}/from-url.tar.gz",
        "CLIENT4_URL_BUNDLE_ID": "com.example.fromurl",
        "CLIENT4_MARKETPLACE_ID": "com.example.market",
        "CLIENT4_BAD_BUNDLE": str(tmp_path / "bad.tar.gz"),
        "CLIENT4_BAD_BUNDLE_ID": "com.example.silent",
        "CLIENT4_TIMEOUT": "30",
    }
    result = subprocess.run(
        [node, str(SCRIPT)],
        cwd=CLIENT4_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "checks passed" in result.stdout
    assert "FAIL" not in output
    print(result.stdout)
