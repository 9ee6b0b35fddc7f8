"""``POST /plugins/install_from_url`` against a real HTTP server on loopback."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage

from hostserver.models import HostPlugin
from tests.hostserver.conftest import assert_app_error
from tests.hostserver.httpserver import http_server

pytestmark = pytest.mark.django_db

FAILED = "api.plugin.install.download_failed.app_error"


@pytest.fixture
def server():
    with http_server() as srv:
        yield srv


def _install(api, url: str, force: str | None = None):
    query = f"plugin_download_url={quote(url, safe='')}"
    if force is not None:
        query += f"&force={force}"
    return api.post(f"/plugins/install_from_url?{query}")


def _assert_nothing_left(host) -> None:
    assert not HostPlugin.objects.exists()
    assert not host.plugin_dir.exists() or list(host.plugin_dir.iterdir()) == []
    scratch = host.root_dir / "tmp"
    assert not scratch.exists() or list(scratch.iterdir()) == []
    folder = f"hostservers/{host.name}/plugins"
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])


def test_install_from_url_installs(api, host, server, make_bundle):
    bundle = make_bundle()
    url = server.serve("/hello.tar.gz", bundle)
    response = _install(api, url)
    assert response.status_code == 201, response.content
    assert response.json()["id"] == "com.example.hello"
    plugin = HostPlugin.objects.get()
    with default_storage.open(plugin.bundle_path) as stored:
        assert stored.read() == bundle


@pytest.mark.parametrize(
    ("force", "replaced"),
    [("true", True), ("1", True), ("T", True), ("false", False), ("yes", False)],
)
def test_force_is_parsed_like_go_parsebool(api, host, server, make_bundle, force, replaced):
    _install(api, server.serve("/v1.tar.gz", make_bundle(version="1.0.0")))
    response = _install(api, server.serve("/v2.tar.gz", make_bundle(version="2.0.0")), force)
    if replaced:
        assert response.status_code == 201
        assert HostPlugin.objects.get().version == "2.0.0"
    else:
        assert_app_error(response, 400, "app.plugin.install_id.app_error")
        assert HostPlugin.objects.get().version == "1.0.0"


def test_missing_url_is_400(api):
    assert_app_error(api.post("/plugins/install_from_url"), 400, FAILED)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_url(api, host):
    response = _install(api, f"http://127.0.0.1:{_free_port()}/x.tar.gz")
    body = assert_app_error(response, 400, FAILED)
    assert body["message"].startswith("An error occurred while downloading the plugin")
    _assert_nothing_left(host)


def test_404_url(api, host, server):
    body = assert_app_error(_install(api, server.base_url + "/missing.tar.gz"), 400, FAILED)
    assert "404" in body["message"]
    _assert_nothing_left(host)


def test_too_large_download(api, host, server, make_bundle):
    host.config["FileSettings"]["MaxFileSize"] = 64
    host.save()
    body = assert_app_error(_install(api, server.serve("/big.tar.gz", make_bundle())), 400, FAILED)
    assert "limit" in body["message"] or "large" in body["message"]
    _assert_nothing_left(host)


def test_slow_download_times_out(api, host, server, make_bundle, settings):
    settings.HOSTSERVER_DOWNLOAD_TIMEOUT_SECONDS = 0.5
    url = server.serve("/slow.tar.gz", make_bundle(), delay=3)
    body = assert_app_error(_install(api, url), 400, FAILED)
    assert "did not answer within" in body["message"]
    _assert_nothing_left(host)


def test_not_gzip_download(api, host, server):
    url = server.serve("/page.tar.gz", b"<html>login page</html>", content_type="text/html")
    body = assert_app_error(_install(api, url), 400, FAILED)
    assert "gzip" in body["message"]
    _assert_nothing_left(host)


def test_private_address_refused_unless_allowed(api, host, server, make_bundle):
    host.config["ServiceSettings"]["AllowedUntrustedInternalConnections"] = ""
    host.save()
    url = server.serve("/p.tar.gz", make_bundle())
    body = assert_app_error(_install(api, url), 400, FAILED)
    assert "AllowedUntrustedInternalConnections" in body["message"]
    assert server.requests == []  # refused before connecting
    _assert_nothing_left(host)
    host.config["ServiceSettings"]["AllowedUntrustedInternalConnections"] = "127.0.0.0/8"
    host.save()
    assert _install(api, url).status_code == 201


def test_plain_http_refused_without_allow_insecure(api, host, server, make_bundle):
    host.config["PluginSettings"]["AllowInsecureDownloadURL"] = False
    host.save()
    body = assert_app_error(_install(api, server.serve("/p.tar.gz", make_bundle())), 400, FAILED)
    assert "insecure" in body["message"]
    _assert_nothing_left(host)


@pytest.mark.parametrize("url", ["ftp://example.com/x.tar.gz", "file:///etc/passwd", "x"])
def test_non_http_urls_refused(api, host, url):
    assert_app_error(_install(api, url), 400, FAILED)
    _assert_nothing_left(host)


def test_hostile_download_leaves_nothing(api, host, server):
    from tests.hostserver.test_hostile_bundles import HOSTILE

    url = server.serve("/evil.tar.gz", HOSTILE["symlink"][0])
    assert_app_error(_install(api, url), 400, "app.plugin.extract.app_error")
    _assert_nothing_left(host)


def test_refused_when_signatures_are_required(api, host, server, make_bundle):
    host.config["PluginSettings"]["RequirePluginSignature"] = True
    host.save()
    response = _install(api, server.serve("/p.tar.gz", make_bundle()))
    assert_app_error(response, 501, "app.plugin.disabled.app_error")
    assert server.requests == []


def test_redirect_to_a_private_address_is_refused(api, host, server):
    # The portal's loopback host is allowed; a redirect must not smuggle us elsewhere.
    url = server.serve(
        "/jump.tar.gz", b"", status=302, headers={"Location": "http://10.255.255.1/x.tar.gz"}
    )
    body = assert_app_error(_install(api, url), 400, FAILED)
    assert "10.255.255.1" in body["message"]
    _assert_nothing_left(host)


def test_redirect_within_allowed_hosts_is_followed(api, host, server, make_bundle):
    target = server.serve("/real.tar.gz", make_bundle())
    url = server.serve("/moved.tar.gz", b"", status=301, headers={"Location": target})
    assert _install(api, url).status_code == 201
