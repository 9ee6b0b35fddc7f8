"""Plugin endpoints through HTTP: upload, list, statuses, enable/disable, remove, webapp."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.bundle import webapp_bundle_hash
from hostserver.models import HostPlugin, HostServer, PluginState
from tests.hostserver.conftest import Api, assert_app_error

pytestmark = pytest.mark.django_db

PID = "com.example.hello"


def _states(host: HostServer) -> dict:
    host.refresh_from_db()
    return host.config["PluginSettings"]["PluginStates"]


def test_upload_installs_and_returns_201_manifest(api, host, make_bundle):
    bundle = make_bundle()
    response = api.upload(bundle)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    manifest = response.json()
    assert manifest["id"] == PID and manifest["version"] == "1.0.0"
    assert manifest["webapp"] == {"bundle_path": "webapp/dist/main.js"}

    plugin = HostPlugin.objects.get(host=host, plugin_id=PID)
    assert plugin.generation == 1
    assert plugin.bundle_path == f"hostservers/{host.name}/plugins/{PID}.tar.gz"
    with default_storage.open(plugin.bundle_path) as stored:
        assert stored.read() == bundle
    extracted = host.plugin_dir / PID
    assert (extracted / "plugin.json").is_file()
    assert (extracted / "webapp/dist/main.js").is_file()
    assert plugin.webapp_hash == webapp_bundle_hash(extracted / "webapp/dist/main.js")
    # Installed, not enabled: Mattermost never enables on upload.
    assert PID not in _states(host)
    # Nothing left in the scratch space.
    assert list((host.root_dir / "tmp").iterdir()) == []


def test_upload_of_an_installed_id_without_force_is_400_and_keeps_the_old(api, host, make_bundle):
    api.upload(make_bundle(version="1.0.0"))
    response = api.upload(make_bundle(version="2.0.0"))
    assert_app_error(response, 400, "app.plugin.install_id.app_error")
    plugin = HostPlugin.objects.get(host=host)
    assert plugin.version == "1.0.0" and plugin.generation == 1


def test_upload_with_force_replaces_and_bumps_generation(api, host, make_bundle):
    api.upload(make_bundle(version="1.0.0"))
    new = make_bundle(version="2.0.0")
    response = api.upload(new, force=True)
    assert response.status_code == 201
    assert response.json()["version"] == "2.0.0"
    plugin = HostPlugin.objects.get(host=host)
    assert plugin.version == "2.0.0" and plugin.generation == 2
    with default_storage.open(plugin.bundle_path) as stored:
        assert stored.read() == new
    assert "2.0.0" in (host.plugin_dir / PID / "webapp/dist/main.js").read_text()
    # Only one object per plugin in the file store.
    _dirs, files = default_storage.listdir(f"hostservers/{host.name}/plugins")
    assert files == [f"{PID}.tar.gz"]


def test_force_field_must_be_exactly_true(api, host, make_bundle):
    api.upload(make_bundle(version="1.0.0"))
    response = api.client.post(
        api.base + "/plugins",
        {"plugin": _file(make_bundle(version="2.0.0")), "force": "1"},
        headers=api._headers(None),
    )
    assert_app_error(response, 400, "app.plugin.install_id.app_error")


def _file(content: bytes):
    import io

    handle = io.BytesIO(content)
    handle.name = "plugin.tar.gz"
    return handle


def test_upload_without_the_plugin_field_is_400(api):
    response = api.client.post(
        api.base + "/plugins", {"other": _file(b"x")}, headers=api._headers(None)
    )
    assert_app_error(response, 400, "api.plugin.upload.no_file.app_error")


def test_upload_needs_a_session_then_admin(host, user_token, make_bundle):
    assert_app_error(Api(host).upload(make_bundle()), 401, "api.context.session_expired.app_error")
    response = Api(host, user_token).upload(make_bundle())
    assert_app_error(response, 403, "api.context.permissions.app_error")
    assert not HostPlugin.objects.exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [("Enable", False), ("EnableUploads", False), ("RequirePluginSignature", True)],
)
def test_upload_refused_501_when_uploads_are_off(api, host, make_bundle, key, value):
    host.config["PluginSettings"][key] = value
    host.save()
    response = api.upload(make_bundle())
    assert_app_error(response, 501, "app.plugin.upload_disabled.app_error")
    assert not HostPlugin.objects.exists()


def test_upload_over_max_file_size_is_413(api, host, make_bundle):
    host.config["FileSettings"]["MaxFileSize"] = 100
    host.save()
    response = api.upload(make_bundle())
    assert_app_error(response, 413, "api.plugin.upload.file_too_large.app_error")
    assert not HostPlugin.objects.exists()


def test_list_splits_active_and_inactive(api, host, make_bundle):
    api.upload(make_bundle("com.example.one"))
    api.upload(make_bundle("com.example.two"))
    HostPlugin.objects.filter(plugin_id="com.example.two").update(state=PluginState.RUNNING)
    data = api.get("/plugins").json()
    assert [m["id"] for m in data["active"]] == ["com.example.two"]
    assert [m["id"] for m in data["inactive"]] == ["com.example.one"]


def test_list_when_empty_has_empty_arrays(api):
    assert api.get("/plugins").json() == {"active": [], "inactive": []}


def test_list_query_count_does_not_grow_with_plugins(api, host, make_bundle):
    api.upload(make_bundle("com.example.one"))
    with CaptureQueriesContext(connection) as one:
        api.get("/plugins")
    for n in range(3):
        api.upload(make_bundle(f"com.example.more{n}"))
    with CaptureQueriesContext(connection) as four:
        assert len(api.get("/plugins").json()["inactive"]) == 4
    assert len(four) == len(one)
    with CaptureQueriesContext(connection) as statuses:
        api.get("/plugins/statuses")
    assert len(statuses) == len(one)


def test_statuses_have_every_key(api, host, make_bundle):
    api.upload(make_bundle())
    HostPlugin.objects.update(state=PluginState.FAILED_TO_START, error="boom")
    [status] = api.get("/plugins/statuses").json()
    assert status == {
        "plugin_id": PID,
        "cluster_id": "",
        "plugin_path": str(host.plugin_dir / PID),
        "state": 3,
        "error": "boom",
        "name": "Hello",
        "description": "",
        "version": "1.0.0",
    }


def test_enable_and_disable_write_plugin_states(api, host, make_bundle):
    api.upload(make_bundle())
    assert api.post(f"/plugins/{PID}/enable").json() == {"status": "OK"}
    assert _states(host)[PID] == {"Enable": True}
    assert api.post(f"/plugins/{PID}/disable").json() == {"status": "OK"}
    assert _states(host)[PID] == {"Enable": False}


def test_enable_lower_cases_the_id(api, host, make_bundle):
    api.upload(make_bundle())
    assert api.post("/plugins/COM.Example.Hello/enable").status_code == 200
    assert _states(host)[PID] == {"Enable": True}


def test_enable_of_unknown_plugin_is_404(api, host):
    response = api.post("/plugins/com.example.nope/enable")
    assert_app_error(response, 404, "app.plugin.not_installed.app_error")
    assert "com.example.nope" not in _states(host)


def test_remove_deletes_row_dir_files_and_disables(api, host, make_bundle):
    api.upload(make_bundle())
    api.post(f"/plugins/{PID}/enable")
    (host.client_dir / PID).mkdir(parents=True)
    assert api.delete(f"/plugins/{PID}").json() == {"status": "OK"}
    assert not HostPlugin.objects.exists()
    assert not (host.plugin_dir / PID).exists()
    assert not (host.client_dir / PID).exists()
    assert not default_storage.exists(f"hostservers/{host.name}/plugins/{PID}.tar.gz")
    assert _states(host)[PID] == {"Enable": False}
    assert_app_error(api.delete(f"/plugins/{PID}"), 404, "app.plugin.not_installed.app_error")


def test_plugin_endpoints_answer_501_when_plugins_are_disabled(api, host):
    host.config["PluginSettings"]["Enable"] = False
    host.save()
    for response in (
        api.get("/plugins"),
        api.get("/plugins/statuses"),
        api.get("/plugins/webapp"),
        api.post(f"/plugins/{PID}/enable"),
        api.delete(f"/plugins/{PID}"),
    ):
        assert_app_error(response, 501, "app.plugin.disabled.app_error")


def test_read_endpoints_are_403_for_plain_users(host, user_token):
    api = Api(host, user_token)
    assert_app_error(api.get("/plugins"), 403, "api.context.permissions.app_error")
    assert_app_error(api.get("/plugins/statuses"), 403, "api.context.permissions.app_error")


def test_webapp_is_public_and_lists_active_webapp_plugins(api, anon_api, host, make_bundle):
    api.upload(
        make_bundle(
            "com.example.web",
            description="secret text",
            server={"executable": "server/plugin"},
            settings_schema={"header": "h", "footer": "", "settings": []},
        )
    )
    api.upload(make_bundle("com.example.noweb", webapp=False))
    api.upload(make_bundle("com.example.idle"))
    HostPlugin.objects.exclude(plugin_id="com.example.idle").update(state=PluginState.RUNNING)
    plugin = HostPlugin.objects.get(plugin_id="com.example.web")
    response = anon_api.get("/plugins/webapp")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "com.example.web",
            "name": "Hello",
            "version": "1.0.0",
            "webapp": {
                "bundle_path": f"/static/com.example.web/com.example.web_{plugin.webapp_hash}"
                "_bundle.js"
            },
        }
    ]


def test_broken_multipart_body_is_400(api, host):
    response = api.client.post(
        api.base + "/plugins",
        b'--xyz\r\nContent-Disposition: form-data; name="plugin"; filename="p"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=",
        headers=api._headers(None),
    )
    assert response.status_code == 400
    assert response.json()["id"].startswith("api.plugin.upload.")
    assert not HostPlugin.objects.exists()


def test_raw_body_without_multipart_is_no_file(api, make_bundle):
    response = api.client.post(
        api.base + "/plugins",
        make_bundle(),
        content_type="application/gzip",
        headers=api._headers(None),
    )
    assert_app_error(response, 400, "api.plugin.upload.no_file.app_error")


def test_webapp_and_local_marketplace_query_counts_do_not_grow(api, anon_api, host, make_bundle):
    api.upload(make_bundle("com.example.one"))
    HostPlugin.objects.update(state=PluginState.RUNNING)
    with CaptureQueriesContext(connection) as webapp_one:
        anon_api.get("/plugins/webapp")
    with CaptureQueriesContext(connection) as market_one:
        api.get("/plugins/marketplace?local_only=true")
    for n in range(3):
        api.upload(make_bundle(f"com.example.more{n}"))
    HostPlugin.objects.update(state=PluginState.RUNNING)
    with CaptureQueriesContext(connection) as webapp_four:
        assert len(anon_api.get("/plugins/webapp").json()) == 4
    with CaptureQueriesContext(connection) as market_four:
        assert len(api.get("/plugins/marketplace?local_only=true").json()) == 4
    assert len(webapp_four) == len(webapp_one)
    assert len(market_four) == len(market_one)


def test_failed_forced_reinstall_puts_the_previous_plugin_back(api, host, make_bundle, monkeypatch):
    old = make_bundle(version="1.0.0")
    api.upload(old)
    before = (host.plugin_dir / PID / "webapp/dist/main.js").read_text()

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(HostPlugin, "save", broken_save)
    response = api.upload(make_bundle(version="2.0.0"), force=True)
    assert_app_error(response, 500, "api.context.internal_error.app_error")
    plugin = HostPlugin.objects.get()
    assert plugin.version == "1.0.0" and plugin.generation == 1
    with default_storage.open(plugin.bundle_path) as stored:
        assert stored.read() == old
    assert (host.plugin_dir / PID / "webapp/dist/main.js").read_text() == before
    assert list((host.root_dir / "tmp").iterdir()) == []


def test_stale_scratch_leftovers_are_cleaned_but_fresh_ones_kept(api, host, make_bundle):
    import os
    import time

    scratch = host.root_dir / "tmp"
    stale, fresh = scratch / "install-stale", scratch / "install-fresh"
    for folder in (stale, fresh):
        (folder / "staged").mkdir(parents=True)
    old = time.time() - 7 * 3600
    os.utime(stale, (old, old))
    assert api.upload(make_bundle()).status_code == 201
    assert not stale.exists()
    assert fresh.exists()
