"""Admin host-server pages, driving a live host server through its Mattermost API (real HTTP,
real supervisor thread): connect, install from the marketplace, disable, enable, upload,
remove, and who may do it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from common import roles
from hostserver import selectors as host_selectors
from hostserver.services import host_ensure_defaults
from tests.frontend.conftest import PASSWORD, client_for
from tests.frontend.factories import bundle_bytes, publish
from tests.hostserver.runtime import live

pytestmark = pytest.mark.django_db(transaction=True)

live_roots = live.live_roots
supervisor_thread = live.supervisor_thread


@pytest.fixture
def host(live_roots, live_server, settings, portal_keyring):
    settings.PORTAL_BASE_URL = live_server.url
    settings.HOSTSERVER_BASE_URL = live_server.url
    # The default hosts, as `make run` creates them: they trust the portal's signing key.
    host_ensure_defaults()
    return host_selectors.host_get(name="community")


@pytest.fixture
def admin_client(host, make_user: Callable[..., User]) -> Client:
    admin = make_user("root", groups=(roles.PORTAL_ADMINS,))
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("frontend:host-connect", args=[host.name]), {"password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    return client


def installed(host) -> dict[str, str]:
    return {p.plugin_id: p.version for p in host_selectors.plugin_list(host=host)}


def test_connect_with_a_wrong_password_is_explained(host, make_user) -> None:
    admin = make_user("root", groups=(roles.PORTAL_ADMINS,))
    client = client_for(admin)
    response = client.post(reverse("frontend:host-connect", args=[host.name]), {"password": "x"})
    assert response.status_code == 200
    assert "refused the login" in response.context["form"].errors["password"][0]
    # Not connected: the host page sends to the connect page.
    page = client.get(reverse("frontend:host-detail", args=[host.name]))
    assert page.status_code == 302
    assert page["Location"].endswith(reverse("frontend:host-connect", args=[host.name]))


def test_host_pages_are_for_admins_only(host, developer: User) -> None:
    client = client_for(developer)
    for name in ("frontend:host-detail", "frontend:host-connect"):
        assert client.get(reverse(name, args=[host.name])).status_code == 403
    assert client.get(reverse("frontend:host-list")).status_code == 403
    response = client.post(
        reverse("frontend:host-action", args=[host.name]),
        {"action": "install", "plugin_id": "anything"},
    )
    assert response.status_code == 403
    assert installed(host) == {}


def test_install_from_marketplace_disable_enable_remove(
    host, admin_client: Client, supervisor_thread
) -> None:
    publish("com.example.greeter", "1.0.0", name="Greeter", certified=True)
    page = admin_client.get(reverse("frontend:host-detail", args=[host.name]))
    assert page.status_code == 200
    offers = {o["id"]: o for o in page.context["offers"]}
    assert offers["com.example.greeter"]["installed_version"] == ""

    action = reverse("frontend:host-action", args=[host.name])
    response = admin_client.post(
        action, {"action": "install", "plugin_id": "com.example.greeter"}, follow=True
    )
    assert installed(host) == {"com.example.greeter": "1.0.0"}
    text = response.content.decode()
    assert "installed: version 1.0.0" in text
    rows = {p["id"]: p for p in response.context["plugins"]}
    assert rows["com.example.greeter"]["enabled"] is True

    admin_client.post(action, {"action": "disable", "plugin_id": "com.example.greeter"})
    page = admin_client.get(reverse("frontend:host-detail", args=[host.name]))
    assert {p["id"]: p for p in page.context["plugins"]}["com.example.greeter"]["enabled"] is False

    # A newer release in the catalog is offered as an upgrade.
    publish("com.example.greeter", "1.1.0", name="Greeter")
    page = admin_client.get(reverse("frontend:host-detail", args=[host.name]))
    assert {o["id"]: o for o in page.context["offers"]}["com.example.greeter"]["upgrade"] is True
    admin_client.post(action, {"action": "upgrade", "plugin_id": "com.example.greeter"})
    assert installed(host) == {"com.example.greeter": "1.1.0"}

    admin_client.post(action, {"action": "remove", "plugin_id": "com.example.greeter"})
    assert installed(host) == {}


def test_upload_bundle_and_bad_bundle_error_next_to_the_field(host, admin_client: Client) -> None:
    url = reverse("frontend:host-upload", args=[host.name])
    bad = SimpleUploadedFile("bad.tar.gz", b"not a gzip file", "application/gzip")
    response = admin_client.post(url, {"bundle": bad})
    assert response.status_code == 400
    assert "refused the bundle" in response.context["upload_form"].errors["bundle"][0]
    assert installed(host) == {}
    good = SimpleUploadedFile(
        "up.tar.gz", bundle_bytes("com.example.uploaded", "0.2.0"), "application/gzip"
    )
    response = admin_client.post(url, {"bundle": good})
    assert response.status_code == 302
    assert installed(host) == {"com.example.uploaded": "0.2.0"}


def test_host_action_needs_csrf(host, make_user) -> None:
    admin = make_user("root", groups=(roles.PORTAL_ADMINS,))
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(
        reverse("frontend:host-action", args=[host.name]),
        {"action": "remove", "plugin_id": "x"},
    )
    assert response.status_code == 403
