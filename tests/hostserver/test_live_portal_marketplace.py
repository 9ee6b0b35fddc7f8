"""End to end over real HTTP: the portal's own marketplace (/api/v1/plugins, /downloads) feeds a
host server, driven by the portal's Mattermost client class, with the portal's real key."""

from __future__ import annotations

import pytest

from common.bundle.build import build_bundle
from common.mattermost import MattermostAPIError, MattermostClient
from hostserver.models import HostPlugin
from hostserver.services import host_ensure_defaults
from tests.hostserver.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PID = "com.example.livehello"


def _bundle(version: str) -> bytes:
    manifest = {
        "id": PID,
        "name": "Live Hello",
        "version": version,
        "description": "served by the portal itself",
        "webapp": {"bundle_path": "webapp/main.js"},
    }
    return build_bundle(manifest, {"webapp/main.js": f"console.log('{version}')"})


@pytest.fixture
def portal(live_server, settings, portal_keyring, isolated_roots, admin_user, tmp_path):
    from marketplace.services import release_publish

    settings.PORTAL_BASE_URL = live_server.url
    settings.HOSTSERVER_BASE_URL = live_server.url
    settings.HOSTSERVER_DEFAULT_NAMES = ["community"]
    path = tmp_path / "live.tar.gz"
    path.write_bytes(_bundle("1.2.0"))
    release_publish(bundle=path, author_type="community", release_stage="production")
    [host] = host_ensure_defaults()  # trusts the portal key, MarketplaceURL = the portal
    return host


def _client(live_server, host) -> MattermostClient:
    return MattermostClient.login(f"{live_server.url}/hosts/{host.name}", "alice", PASSWORD)


def test_defaults_point_at_the_portal_and_trust_its_key(portal, live_server, portal_signing_key):
    config = portal.config
    assert config["PluginSettings"]["MarketplaceURL"] == live_server.url
    assert "127.0.0.1" in config["ServiceSettings"]["AllowedUntrustedInternalConnections"]
    assert [k.fingerprint for k in portal.trusted_keys.all()] == [portal_signing_key.fingerprint]


def test_marketplace_list_and_install_from_the_portal(portal, live_server):
    with _client(live_server, portal) as client:
        listed = client.get_marketplace_plugins()
        entry = next(e for e in listed if e["manifest"]["id"] == PID)
        assert entry["installed_version"] == ""
        assert entry["download_url"].startswith(live_server.url + "/downloads/")
        assert entry["signature"]

        manifest = client.install_marketplace_plugin(PID)
        assert manifest["version"] == "1.2.0"
        plugin = HostPlugin.objects.get(host=portal, plugin_id=PID)
        assert plugin.signature_path
        listed = client.get_marketplace_plugins()
        assert next(e for e in listed if e["manifest"]["id"] == PID)["installed_version"] == "1.2.0"

        client.enable_plugin(PID)
        assert any(s["plugin_id"] == PID for s in client.get_plugin_statuses())
        client.remove_plugin(PID)
        assert not HostPlugin.objects.exists()


def test_install_from_the_portals_download_url(portal, live_server):
    url = f"{live_server.url}/downloads/{PID}/1.2.0/{PID}-1.2.0.tar.gz"
    with _client(live_server, portal) as client:
        assert client.install_from_url(url)["id"] == PID
        with pytest.raises(MattermostAPIError) as excinfo:
            client.install_from_url(url)
        assert excinfo.value.status_code == 400
        assert excinfo.value.error_id == "app.plugin.install_id.app_error"
        assert client.install_from_url(url, force=True)["id"] == PID
    assert HostPlugin.objects.get().generation == 2


def test_upload_and_errors_through_the_client(portal, live_server):
    with _client(live_server, portal) as client:
        assert client.upload_plugin(_bundle("3.0.0"))["version"] == "3.0.0"
        assert client.get_plugins()["inactive"][0]["id"] == PID
        with pytest.raises(MattermostAPIError) as excinfo:
            client.upload_plugin(b"not a bundle", force=True)
        assert excinfo.value.status_code == 400
        assert excinfo.value.error_id == "app.plugin.extract.app_error"
