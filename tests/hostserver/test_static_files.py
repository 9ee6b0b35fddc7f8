"""Webapp bundles under /static/plugins/ and plugin public files, with Mattermost's headers."""

from __future__ import annotations

import pytest
from django.test import Client

from hostserver.models import HostPlugin, PluginState

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_file(host):
    folder = host.client_dir / "com.example.web"
    folder.mkdir(parents=True)
    (folder / "com.example.web_0123456789abcdef_bundle.js").write_text("console.log(1)")
    (folder / "asset.svg").write_text("<svg/>")
    return folder


def test_bundle_is_served_with_cache_headers(host, bundle_file):
    response = Client().get(
        f"/hosts/{host.name}/static/plugins/com.example.web/com.example.web_0123456789abcdef_bundle.js"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"console.log(1)"
    assert response["Cache-Control"] == "max-age=31556926, public"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "javascript" in response["Content-Type"]


def test_sibling_assets_are_served(host, bundle_file):
    response = Client().get(f"/hosts/{host.name}/static/plugins/com.example.web/asset.svg")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "com.example.web/",
        "com.example.web",
        "com.example.web/../../plugins/x",
        "..%2F..%2Fetc%2Fpasswd",
        "com.example.web/%2e%2e/%2e%2e/etc/passwd",
        "com.example.web/missing.js",
        "",
    ],
)
def test_missing_traversal_and_trailing_slash_are_404(host, bundle_file, path):
    response = Client().get(f"/hosts/{host.name}/static/plugins/{path}")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-cache, public"


def test_symlink_out_of_the_client_dir_is_not_followed(host, bundle_file, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (bundle_file / "leak.txt").symlink_to(secret)
    response = Client().get(f"/hosts/{host.name}/static/plugins/com.example.web/leak.txt")
    assert response.status_code == 404


def test_public_files_only_for_active_plugins(api, host, make_bundle):
    from common.bundle.build import build_bundle

    bundle = build_bundle(
        {"id": "com.example.pub", "name": "Pub", "version": "1.0.0"},
        {"public/hello.txt": "hi", "server/secret.txt": "no"},
    )
    assert api.upload(bundle).status_code == 201
    url = f"/hosts/{host.name}/plugins/com.example.pub/public/hello.txt"
    assert Client().get(url).status_code == 404  # installed but not running
    HostPlugin.objects.update(state=PluginState.RUNNING)
    response = Client().get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hi"
    base = f"/hosts/{host.name}/plugins/com.example.pub/public/"
    assert Client().get(base + "../server/secret.txt").status_code == 404
    assert Client().get(base).status_code == 404
    host.config["PluginSettings"]["Enable"] = False
    host.save()
    response = Client().get(url)
    assert response.status_code == 501
    assert response.json()["id"] == "app.plugin.disabled.app_error"


def test_head_is_answered_and_other_methods_are_not(host, bundle_file):
    url = f"/hosts/{host.name}/static/plugins/com.example.web/asset.svg"
    assert Client().head(url).status_code == 200
    assert Client().post(url).status_code == 405
