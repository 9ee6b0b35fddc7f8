"""What every /api/v4 response shares: headers, AppError bodies, 404/405/413, ping, config."""

from __future__ import annotations

import re

import pytest

from hostserver.models import HostServer
from tests.hostserver.conftest import Api, assert_app_error

pytestmark = pytest.mark.django_db

ID_RE = re.compile(r"^[a-z0-9]{26}$")


def test_ping_is_public_with_mattermost_headers(anon_api, host):
    response = anon_api.get("/system/ping")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert ID_RE.match(response["X-Request-ID"])
    assert response["X-Version-ID"].startswith(f"{host.server_version}.{host.server_version}.")
    assert response["X-Version-ID"].endswith(".false")
    assert response["Expires"] == "0"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.json()
    assert body["status"] == "OK"
    assert {"AndroidLatestVersion", "AndroidMinVersion", "IosLatestVersion"} <= set(body)


def test_ping_with_server_status(anon_api):
    response = anon_api.get("/system/ping?get_server_status=true")
    body = response.json()
    assert body["database_status"] == "OK" and body["filestore_status"] == "OK"
    assert response["database_status"] == "OK"
    assert "root_status" not in body


def test_every_request_gets_a_new_request_id(anon_api):
    first = anon_api.get("/system/ping")["X-Request-ID"]
    assert first != anon_api.get("/system/ping")["X-Request-ID"]


def test_post_responses_have_no_expires_header(api, make_bundle):
    assert "Expires" not in api.upload(make_bundle())


@pytest.mark.parametrize("path", ["/nope", "/plugins/a/b/c/d", "/users/me/nothing", ""])
def test_unknown_api_routes_are_json_404(anon_api, path):
    response = anon_api.get(path)
    assert_app_error(response, 404, "api.context.404.app_error")
    assert response["X-Version-ID"]


def test_unknown_host_is_json_404(db, isolated_roots):
    response = Api(HostServer(name="no-such-host")).get("/system/ping")
    assert_app_error(response, 404, "api.context.404.app_error")
    assert not HostServer.objects.exists()


def test_default_hosts_answer_before_anyone_created_them(db, isolated_roots, settings):
    settings.HOSTSERVER_DEFAULT_NAMES = ["community"]
    response = Api(HostServer(name="community")).get("/system/ping")
    assert response.status_code == 200
    assert HostServer.objects.filter(name="community").exists()


def test_wrong_method_is_json_405(api):
    assert_app_error(api.delete("/system/ping"), 405, "api.context.method_not_allowed.app_error")
    assert_app_error(
        api.get("/plugins/x.y.z/enable"), 405, "api.context.method_not_allowed.app_error"
    )


def test_json_body_over_maximum_payload_is_413(api, host):
    host.config["ServiceSettings"]["MaximumPayloadSizeBytes"] = 1000
    host.save()
    response = api.post("/users/me/tokens", {"description": "x" * 2000})
    assert_app_error(response, 413, "api.context.request_body_too_large.app_error")


def test_error_body_has_exactly_mattermost_keys(anon_api):
    body = anon_api.get("/plugins").json()
    assert set(body) == {"id", "message", "detailed_error", "request_id", "status_code"}


def test_api_is_exempt_from_django_csrf(host, admin_token):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/hosts/{host.name}/api/v4/plugins/com.example.x/enable",
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert_app_error(response, 404, "app.plugin.not_installed.app_error")


def test_config_is_for_admins(api, host, user_token):
    config = api.get("/config").json()
    plugin_settings = config["PluginSettings"]
    assert plugin_settings["Enable"] is True
    assert plugin_settings["EnableUploads"] is True
    assert plugin_settings["RequirePluginSignature"] is False
    assert config["ServiceSettings"]["SiteURL"].endswith(f"/hosts/{host.name}")
    assert_app_error(Api(host, user_token).get("/config"), 403, "api.context.permissions.app_error")


def test_config_patch_merges_known_keys_and_ignores_unknown(api, host):
    response = api.put(
        "/config/patch",
        {
            "PluginSettings": {
                "EnableUploads": False,
                "Unknown": 1,
                "MarketplaceURL": "https://marketplace.example.com",
            },
            "TeamSettings": {"SiteName": "x"},
        },
    )
    assert response.status_code == 200
    assert response.json()["PluginSettings"]["EnableUploads"] is False
    host.refresh_from_db()
    assert host.config["PluginSettings"]["EnableUploads"] is False
    assert host.config["PluginSettings"]["MarketplaceURL"] == "https://marketplace.example.com"
    assert "Unknown" not in host.config["PluginSettings"]
    assert "TeamSettings" not in host.config
    assert host.config["PluginSettings"]["Enable"] is True


@pytest.mark.parametrize(
    "patch",
    [
        {"PluginSettings": {"Enable": "yes"}},
        {"PluginSettings": {"MarketplaceURL": "ftp://x"}},
        {"FileSettings": {"MaxFileSize": True}},
        {"PluginSettings": {"PluginStates": {"a.b.c": {"Enable": "true"}}}},
        {"PluginSettings": "all"},
    ],
)
def test_config_patch_rejects_wrong_types_and_changes_nothing(api, host, patch):
    before = HostServer.objects.get(pk=host.pk).config
    response = api.put("/config/patch", patch)
    assert response.status_code == 400
    assert response.json()["id"].startswith("model.config.is_valid.")
    assert HostServer.objects.get(pk=host.pk).config == before


def test_config_patch_cannot_move_directories(api, host):
    before = host.config["PluginSettings"]["Directory"]
    api.put("/config/patch", {"PluginSettings": {"Directory": "/etc"}})
    host.refresh_from_db()
    assert host.config["PluginSettings"]["Directory"] == before


def test_client_config_old_format(anon_api, host):
    body = anon_api.get("/config/client?format=old").json()
    assert body["PluginsEnabled"] == "true"
    assert body["Version"] == host.server_version
    assert body["SiteURL"].endswith(f"/hosts/{host.name}")
    response = anon_api.get("/config/client")
    assert_app_error(response, 501, "api.config.client.old_format.app_error")


def test_put_config_merges_like_a_patch(api, host):
    config = api.get("/config").json()
    config["PluginSettings"]["EnableMarketplace"] = False
    response = api.put("/config", config)
    assert response.status_code == 200
    host.refresh_from_db()
    assert host.config["PluginSettings"]["EnableMarketplace"] is False


def test_client_license_old_format(anon_api):
    assert anon_api.get("/license/client?format=old").json() == {"IsLicensed": "false"}


def test_patching_one_plugin_state_keeps_the_others(api, host):
    api.put("/config/patch", {"PluginSettings": {"PluginStates": {"a.b.c": {"Enable": True}}}})
    api.put(
        "/config/patch",
        {
            "PluginSettings": {
                "PluginStates": {"X.Y.Z": {"Enable": False}},
                "Plugins": {"a.b.c": {"Key": 1}},
            }
        },
    )
    host.refresh_from_db()
    assert host.config["PluginSettings"]["PluginStates"] == {
        "a.b.c": {"Enable": True},
        "x.y.z": {"Enable": False},
    }
    assert host.config["PluginSettings"]["Plugins"] == {"a.b.c": {"key": 1}}
    api.put("/config/patch", {"PluginSettings": {"Plugins": {"a.b.c": {"Other": "x"}}}})
    host.refresh_from_db()
    assert host.config["PluginSettings"]["Plugins"] == {"a.b.c": {"key": 1, "other": "x"}}
    config = api.get("/config").json()
    config["PluginSettings"]["PluginStates"] = {"x.y.z": {"Enable": True}}
    api.put("/config", config)
    host.refresh_from_db()
    assert host.config["PluginSettings"]["PluginStates"] == {"x.y.z": {"Enable": True}}
