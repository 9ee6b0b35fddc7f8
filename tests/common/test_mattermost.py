"""MattermostClient against a live host server (real HTTP, real supervisor, real processes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from common.errors import UpstreamError
from common.mattermost import MattermostAPIError, MattermostClient
from common.roles import PORTAL_ADMINS
from hostserver.models import HostPlugin, HostServer
from hostserver.services import host_create
from tests.hostserver.runtime import live, plugins
from tests.hostserver.runtime.live import server_bundle

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"

# Fixtures shared with the host server's live tests.
live_roots = live.live_roots
supervisor_thread = live.supervisor_thread
file_server = live.file_server


@pytest.fixture
def host(live_roots, live_server, settings) -> HostServer:
    settings.PORTAL_BASE_URL = live_server.url
    return host_create(name="ci-extensions")


@pytest.fixture
def base_url(live_server, host) -> str:
    return f"{live_server.url}/hosts/{host.name}"


@pytest.fixture
def admin(base_url) -> MattermostClient:
    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=PORTAL_ADMINS)[0])
    return MattermostClient.login(base_url, "alice", PASSWORD)


def test_plugin_lifecycle_through_the_client(admin, host, supervisor_thread, tmp_path) -> None:
    bundle = tmp_path / "good.tar.gz"
    bundle.write_bytes(server_bundle("com.example.life"))

    manifest = admin.upload_plugin(bundle)
    assert manifest["id"] == "com.example.life"
    assert admin.get_plugins()["inactive"][0]["id"] == "com.example.life"

    admin.enable_plugin("com.example.life")
    status = admin.wait_for_plugin_state("com.example.life", timeout=20)

    assert status["state"] == 2, status
    row = HostPlugin.objects.get(host=host, plugin_id="com.example.life")
    assert row.pid and Path(f"/proc/{row.pid}").exists()
    assert [m["id"] for m in admin.get_plugins()["active"]] == ["com.example.life"]
    webapp = admin.get_webapp_plugins()
    assert webapp[0]["webapp"]["bundle_path"].startswith("/static/com.example.life/")

    admin.disable_plugin("com.example.life")
    admin.remove_plugin("com.example.life")
    assert admin.get_plugin_statuses() == []
    with pytest.raises(MattermostAPIError) as err:
        admin.remove_plugin("com.example.life")
    assert err.value.status_code == 404
    assert err.value.error_id == "app.plugin.not_installed.app_error"


def test_upload_bytes_duplicate_and_force(admin) -> None:
    admin.upload_plugin(server_bundle("com.example.dup"))

    with pytest.raises(MattermostAPIError) as err:
        admin.upload_plugin(server_bundle("com.example.dup", "1.1.0"))

    assert err.value.status_code == 400
    assert err.value.error_id == "app.plugin.install_id.app_error"
    assert err.value.request_id
    assert admin.upload_plugin(server_bundle("com.example.dup", "1.1.0"), force=True)[
        "version"
    ] == ("1.1.0")


def test_failed_start_is_reported_by_wait(admin, supervisor_thread) -> None:
    admin.upload_plugin(server_bundle("com.example.broken", script=plugins.GARBAGE))
    admin.enable_plugin("com.example.broken")

    status = admin.wait_for_plugin_state("com.example.broken", timeout=20)

    assert status["state"] == 3
    assert "bad handshake" in status["error"]


def test_wait_times_out_without_a_supervisor(admin) -> None:
    admin.upload_plugin(server_bundle("com.example.idle"))
    admin.enable_plugin("com.example.idle")

    with pytest.raises(UpstreamError, match="did not start within"):
        admin.wait_for_plugin_state("com.example.idle", timeout=0.5)


def test_install_from_url(admin, file_server) -> None:
    (file_server.root / "p.tar.gz").write_bytes(server_bundle("com.example.url"))

    manifest = admin.install_from_url(f"{file_server.url}/p.tar.gz")

    assert manifest["id"] == "com.example.url"
    with pytest.raises(MattermostAPIError) as err:
        admin.install_from_url(f"{file_server.url}/missing.tar.gz")
    assert err.value.error_id == "api.plugin.install.download_failed.app_error"


def test_marketplace_list_and_install(admin, host, portal_keyring, tmp_path) -> None:
    from hostserver.services import trusted_key_add
    from marketplace.services import release_publish

    trusted_key_add(host=host, armored=portal_keyring.export_public(), name="portal")
    bundle = tmp_path / "m.tar.gz"
    bundle.write_bytes(server_bundle("com.example.market", "2.0.0"))
    release_publish(bundle=bundle, author_type="community", release_stage="production")

    listed = admin.get_marketplace_plugins(filter="com.example.market")

    assert [p["manifest"]["id"] for p in listed] == ["com.example.market"]
    assert listed[0]["installed_version"] == ""
    manifest = admin.install_marketplace_plugin("com.example.market")
    assert manifest["version"] == "2.0.0"
    assert admin.get_marketplace_plugins(local_only=True)[0]["installed_version"] == "2.0.0"


def test_non_admin_gets_403(base_url, admin) -> None:
    User.objects.create_user("bob", "bob@example.com", PASSWORD)
    bob = MattermostClient.login(base_url, "bob", PASSWORD)

    with pytest.raises(MattermostAPIError) as err:
        bob.get_plugins()

    assert err.value.status_code == 403
    assert err.value.error_id == "api.context.permissions.app_error"


def test_bad_credentials_and_bad_token(base_url, admin) -> None:
    with pytest.raises(MattermostAPIError) as err:
        MattermostClient.login(base_url, "alice", "wrong")
    assert err.value.status_code == 401

    with pytest.raises(MattermostAPIError) as err:
        MattermostClient(base_url, "x" * 26).get_plugin_statuses()
    assert err.value.status_code == 401
    assert isinstance(err.value, UpstreamError)


def test_ping_and_config(admin) -> None:
    assert admin.ping()["status"] == "OK"
    admin.patch_config({"PluginSettings": {"EnableMarketplace": False}})
    assert admin.get_config()["PluginSettings"]["EnableMarketplace"] is False
    with pytest.raises(MattermostAPIError) as err:
        admin.get_marketplace_plugins()
    assert err.value.status_code == 501


def test_unreachable_server_is_an_upstream_error() -> None:
    client = MattermostClient("http://127.0.0.1:9/hosts/x", "t" * 26)

    with pytest.raises(UpstreamError) as err:
        client.get_plugins()

    assert not isinstance(err.value, MattermostAPIError)
    assert "could not list plugins" in str(err.value)
