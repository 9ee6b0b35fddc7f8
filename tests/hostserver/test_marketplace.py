"""``/plugins/marketplace`` against a real marketplace over loopback, with real signatures."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.storage import default_storage

from hostserver.models import HostPlugin
from hostserver.services import trusted_key_add
from hostserver.services.remote import runtime_platform
from tests.hostserver.conftest import Api, assert_app_error, manifest
from tests.hostserver.httpserver import http_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(host):
    with http_server() as srv:
        host.config["PluginSettings"]["MarketplaceURL"] = srv.base_url + "/"
        host.save()
        srv.entries = []
        srv.serve(
            "/api/v1/plugins", lambda query: _answer(srv, query), content_type="application/json"
        )
        yield srv


def _answer(srv, query) -> bytes:
    plugin_id = query.get("plugin_id", [""])[0]
    entries = [e for e in srv.entries if not plugin_id or e["manifest"]["id"] == plugin_id]
    return json.dumps(entries).encode()


def _entry(
    srv,
    bundle: bytes,
    *,
    plugin_id: str,
    name: str,
    version: str = "1.0.0",
    signature: bytes | None = None,
    **extra,
) -> dict:
    url = srv.serve(f"/dl/{plugin_id}-{version}.tar.gz", bundle)
    entry = {
        "homepage_url": "https://example.com",
        "icon_data": "",
        "download_url": url,
        "release_notes_url": "",
        "labels": [{"name": "Community", "description": "", "url": "", "color": ""}],
        "hosting": "",
        "author_type": "community",
        "release_stage": "production",
        "enterprise": False,
        "signature": base64.b64encode(signature).decode() if signature else "",
        "repo_name": "x",
        "platforms": {},
        "updated_at": "2026-01-01T00:00:00Z",
        "manifest": manifest(plugin_id, version, name=name),
    }
    entry.update(extra)
    srv.entries.append(entry)
    return entry


@pytest.fixture
def trusted(host, portal_keyring, portal_signing_key):
    trusted_key_add(host=host, armored=portal_signing_key.public_key, name="portal")
    return portal_keyring


def test_listing_sends_exactly_mattermosts_query(api, host, market):
    assert api.get("/plugins/marketplace").json() == []
    [(path, query)] = market.requests
    assert path == "/api/v1/plugins"
    assert query == {
        "page": ["0"],
        "filter": [""],
        "server_version": [host.server_version],
        "build_enterprise_ready": ["false"],
        "enterprise_plugins": ["false"],
        "cloud": ["false"],
        "local_only": ["false"],
        "remote_only": ["false"],
        "platform": [runtime_platform()],
        "plugin_id": [""],
        "return_all_versions": ["false"],
    }


def test_listing_merges_installed_filters_and_sorts(api, host, market, make_bundle):
    _entry(market, make_bundle("com.example.zeta"), plugin_id="com.example.zeta", name="Zeta")
    _entry(market, make_bundle("com.example.alpha"), plugin_id="com.example.alpha", name="alpha")
    market.entries.append({"manifest": None, "download_url": "x"})  # dropped, as Mattermost does
    api.upload(make_bundle("com.example.zeta", version="0.9.0"))
    api.upload(make_bundle("com.example.local"))  # name "Hello"

    listed = api.get("/plugins/marketplace").json()
    assert [e["manifest"]["id"] for e in listed] == [
        "com.example.alpha",
        "com.example.local",
        "com.example.zeta",
    ]
    by_id = {e["manifest"]["id"]: e for e in listed}
    assert by_id["com.example.zeta"]["installed_version"] == "0.9.0"
    assert by_id["com.example.alpha"]["installed_version"] == ""
    local = by_id["com.example.local"]
    assert local["installed_version"] == "1.0.0"
    assert local["labels"][0]["name"] == "Local"
    assert local["download_url"] == ""
    assert "repo_name" not in by_id["com.example.alpha"]  # Mattermost ignores those fields
    assert set(by_id["com.example.alpha"]) >= {"signature", "author_type", "release_stage"}

    assert [e["manifest"]["id"] for e in api.get("/plugins/marketplace?filter=ZET").json()] == [
        "com.example.zeta"
    ]
    exact = api.get("/plugins/marketplace?filter=com.example.alpha").json()
    assert [e["manifest"]["id"] for e in exact] == ["com.example.alpha"]


def test_local_only_skips_the_remote(api, host, market, make_bundle):
    _entry(market, make_bundle("com.example.remote"), plugin_id="com.example.remote", name="R")
    api.upload(make_bundle("com.example.local"))
    listed = api.get("/plugins/marketplace?local_only=true").json()
    assert [e["manifest"]["id"] for e in listed] == ["com.example.local"]
    assert market.requests == []


def test_remote_only_skips_installed_and_is_open_to_plain_users(
    host, market, make_bundle, api, user_token
):
    _entry(market, make_bundle("com.example.remote"), plugin_id="com.example.remote", name="R")
    api.upload(make_bundle("com.example.local"))
    listed = Api(host, user_token).get("/plugins/marketplace?remote_only=true").json()
    assert [e["manifest"]["id"] for e in listed] == ["com.example.remote"]
    assert market.requests[-1][1]["remote_only"] == ["true"]
    response = Api(host, user_token).get("/plugins/marketplace")
    assert_app_error(response, 403, "api.context.permissions.app_error")


def test_local_only_and_remote_only_together_is_500(api, market):
    response = api.get("/plugins/marketplace?local_only=true&remote_only=true")
    assert_app_error(response, 500, "app.plugin.marshal.app_error")


def test_marketplace_disabled_is_501(api, host):
    host.config["PluginSettings"]["EnableMarketplace"] = False
    host.save()
    assert_app_error(
        api.get("/plugins/marketplace"), 501, "app.plugin.marketplace_disabled.app_error"
    )
    assert_app_error(
        api.post("/plugins/marketplace", {"id": "com.example.x"}),
        501,
        "app.plugin.marketplace_disabled.app_error",
    )


def test_remote_marketplace_failure_is_500(api, host, market):
    market.serve("/api/v1/plugins", b"oops", status=503)
    response = api.get("/plugins/marketplace")
    assert_app_error(response, 500, "app.plugin.marketplace_client.failed_to_fetch")


def test_install_verifies_a_real_signature_and_installs(api, host, market, trusted, make_bundle):
    bundle = make_bundle("com.example.signed", version="2.1.0")
    signature = trusted.sign_detached(bundle)
    _entry(
        market,
        bundle,
        plugin_id="com.example.signed",
        name="Signed",
        version="2.1.0",
        signature=signature,
    )
    response = api.post("/plugins/marketplace", {"id": "com.example.signed"})
    assert response.status_code == 201, response.content
    assert response.json()["version"] == "2.1.0"
    plugin = HostPlugin.objects.get()
    assert plugin.signature_path.endswith("com.example.signed.tar.gz.sig")
    with default_storage.open(plugin.signature_path) as stored:
        assert stored.read() == signature
    query = market.requests[0][1]
    assert query["plugin_id"] == ["com.example.signed"]
    # Not enabled automatically.
    host.refresh_from_db()
    assert "com.example.signed" not in host.config["PluginSettings"]["PluginStates"]
    listed = api.get("/plugins/marketplace").json()
    assert listed[0]["installed_version"] == "2.1.0"


def test_install_replaces_an_installed_version(api, host, market, trusted, make_bundle):
    api.upload(make_bundle("com.example.signed", version="1.0.0"))
    bundle = make_bundle("com.example.signed", version="2.0.0")
    _entry(
        market,
        bundle,
        plugin_id="com.example.signed",
        name="S",
        version="2.0.0",
        signature=trusted.sign_detached(bundle),
    )
    assert api.post("/plugins/marketplace", {"id": "com.example.signed"}).status_code == 201
    plugin = HostPlugin.objects.get()
    assert plugin.version == "2.0.0" and plugin.generation == 2


def _nothing_installed(host) -> None:
    assert not HostPlugin.objects.exists()
    assert not host.plugin_dir.exists() or list(host.plugin_dir.iterdir()) == []
    folder = f"hostservers/{host.name}/plugins"
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])


def test_install_with_a_signature_of_other_bytes_is_refused(
    api, host, market, trusted, make_bundle
):
    bundle = make_bundle("com.example.signed")
    _entry(
        market,
        bundle,
        plugin_id="com.example.signed",
        name="S",
        signature=trusted.sign_detached(b"something else"),
    )
    response = api.post("/plugins/marketplace", {"id": "com.example.signed"})
    assert_app_error(response, 500, "api.plugin.verify_plugin.app_error")
    _nothing_installed(host)


def test_install_signed_by_an_untrusted_key_is_refused(
    api, host, market, portal_keyring, make_bundle
):
    bundle = make_bundle("com.example.signed")
    _entry(
        market,
        bundle,
        plugin_id="com.example.signed",
        name="S",
        signature=portal_keyring.sign_detached(bundle),
    )
    response = api.post("/plugins/marketplace", {"id": "com.example.signed"})
    assert_app_error(response, 500, "api.plugin.verify_plugin.app_error")
    _nothing_installed(host)


def test_install_without_signature_is_refused(api, host, market, make_bundle):
    _entry(market, make_bundle("com.example.x"), plugin_id="com.example.x", name="X")
    response = api.post("/plugins/marketplace", {"id": "com.example.x"})
    assert_app_error(response, 500, "app.plugin.marketplace_plugins.signature_not_found.app_error")
    _nothing_installed(host)


def test_install_with_undecodable_signature_is_501(api, host, market, make_bundle):
    entry = _entry(market, make_bundle("com.example.x"), plugin_id="com.example.x", name="X")
    entry["signature"] = "***not base64***"
    response = api.post("/plugins/marketplace", {"id": "com.example.x"})
    assert_app_error(response, 501, "app.plugin.signature_decode.app_error")
    _nothing_installed(host)


@pytest.mark.parametrize("body", [{"id": "com.example.none"}, {}, {"id": "../../x"}])
def test_install_of_unknown_plugin_is_500_not_found(api, host, market, body):
    response = api.post("/plugins/marketplace", body)
    assert_app_error(response, 500, "app.plugin.marketplace_plugins.not_found.app_error")


def test_install_with_bad_body_is_501(api, market):
    response = api.client.post(
        api.base + "/plugins/marketplace",
        b"{nope",
        content_type="application/json",
        headers=api._headers(None),
    )
    assert_app_error(response, 501, "app.plugin.marketplace_plugin_request.app_error")


def test_install_needs_admin(host, market, user_token):
    response = Api(host, user_token).post("/plugins/marketplace", {"id": "com.example.x"})
    assert_app_error(response, 403, "api.context.permissions.app_error")
    assert market.requests == []


def test_first_admin_visit(api, host, anon_api):
    body = api.get("/plugins/marketplace/first_admin_visit").json()
    assert body == {"name": "FirstAdminVisitMarketplace", "value": "false"}
    assert api.post("/plugins/marketplace/first_admin_visit", {}).json() == {"status": "OK"}
    assert api.get("/plugins/marketplace/first_admin_visit").json()["value"] == "true"
    response = anon_api.post("/plugins/marketplace/first_admin_visit", {})
    assert_app_error(response, 403, "api.context.permissions.app_error")


def test_install_of_a_bundle_with_another_id_is_refused(api, host, market, trusted, make_bundle):
    api.upload(make_bundle("com.example.victim"))
    bundle = make_bundle("com.example.victim", version="6.6.6")
    _entry(
        market,
        bundle,
        plugin_id="com.example.decoy",
        name="Decoy",
        signature=trusted.sign_detached(bundle),
    )
    response = api.post("/plugins/marketplace", {"id": "com.example.decoy"})
    assert_app_error(response, 500, "app.plugin.install_marketplace_plugin.app_error")
    plugin = HostPlugin.objects.get()
    assert (plugin.plugin_id, plugin.version, plugin.generation) == (
        "com.example.victim",
        "1.0.0",
        1,
    )
