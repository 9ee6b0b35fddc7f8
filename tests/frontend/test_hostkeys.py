"""Admin page of the keys a host server trusts: list, add (real OpenPGP keys only), remove,
one-click trust of the portal's key; portal admins only."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hostserver import selectors as host_selectors
from hostserver.services import host_create, trusted_key_add
from tests.conftest import PortalSigningKey
from tests.frontend.conftest import client_for

pytestmark = pytest.mark.django_db

GARBAGE = (
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot really a key\n-----END PGP PUBLIC KEY BLOCK-----"
)


@pytest.fixture
def host() -> Any:
    return host_create(name="keys-test")


@pytest.fixture
def other_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second real public key (ed25519: quick to make), in its own short GnuPG home."""
    from common.signing import Keyring

    home = Path(tempfile.mkdtemp(prefix="ok-", dir="/tmp")) / "g"
    keyring = Keyring(home)
    keyring.ensure_key(name="Other Key", email="other@portal.invalid", key_type="ed25519")
    yield keyring.export_public()
    keyring.release_agent()
    shutil.rmtree(home.parent, ignore_errors=True)


def key_names(host: Any) -> list[str]:
    return [k.name for k in host_selectors.trusted_key_list(host=host)]


def url(name: str, host: Any) -> str:
    return reverse(name, args=[host.name])


def test_admin_adds_a_real_key(
    admin_user: User, host, portal_signing_key: PortalSigningKey
) -> None:
    client = client_for(admin_user)
    response = client.post(
        url("frontend:host-keys", host),
        {"name": "acme-ci", "armored": portal_signing_key.public_key},
    )
    assert response.status_code == 302
    [key] = host_selectors.trusted_key_list(host=host)
    assert (key.name, key.fingerprint) == ("acme-ci", portal_signing_key.fingerprint)
    page = client.get(url("frontend:host-keys", host)).content.decode()
    assert "acme-ci" in page and portal_signing_key.fingerprint in page
    assert 'for="id_armored"' in page and 'for="id_name"' in page


def test_garbage_key_is_refused_next_to_the_field_and_nothing_stored(
    admin_user: User, host
) -> None:
    response = client_for(admin_user).post(
        url("frontend:host-keys", host), {"name": "junk", "armored": GARBAGE}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "armored" in errors and "name" not in errors
    assert "OpenPGP public key" in errors["armored"][0]
    html = response.content.decode()
    # What the admin typed is still there.
    assert 'value="junk"' in html and "not really a key" in html
    assert key_names(host) == []


def test_duplicate_name_and_duplicate_key_are_shown_on_their_field(
    admin_user: User, host, portal_signing_key: PortalSigningKey, other_key: str
) -> None:
    trusted_key_add(host=host, armored=other_key, name="acme-ci")
    client = client_for(admin_user)
    same_name = client.post(
        url("frontend:host-keys", host),
        {"name": "acme-ci", "armored": portal_signing_key.public_key},
    )
    assert same_name.status_code == 400
    assert "already trusts a key named" in same_name.context["form"].errors["name"][0]
    same_key = client.post(url("frontend:host-keys", host), {"name": "other", "armored": other_key})
    assert same_key.status_code == 400
    assert "already trusts this key as “acme-ci”" in same_key.context["form"].errors["armored"][0]
    assert 'value="other"' in same_key.content.decode()
    assert key_names(host) == ["acme-ci"]


def test_admin_removes_a_key(admin_user: User, host, portal_signing_key: PortalSigningKey) -> None:
    trusted_key_add(host=host, armored=portal_signing_key.public_key, name="acme-ci")
    client = client_for(admin_user)
    response = client.post(url("frontend:host-key-remove", host), {"key_name": "acme-ci"})
    assert response.status_code == 302
    assert key_names(host) == []
    again = client.post(url("frontend:host-key-remove", host), {"key_name": "acme-ci"}, follow=True)
    assert "has no trusted key named" in again.content.decode()


def test_one_click_trusts_the_portal_key_once(admin_user: User, host, portal_keyring) -> None:
    client = client_for(admin_user)
    page = client.get(url("frontend:host-keys", host)).content.decode()
    assert "Trust the portal&#x27;s key" in page or "Trust the portal's key" in page
    response = client.post(url("frontend:host-key-trust-portal", host))
    assert response.status_code == 302
    [key] = host_selectors.trusted_key_list(host=host)
    assert (key.name, key.fingerprint) == ("portal", portal_keyring.fingerprint())
    page = client.get(url("frontend:host-keys", host)).content.decode()
    assert "host-key-trust-portal" not in page and "/keys/trust-portal/" not in page
    client.post(url("frontend:host-key-trust-portal", host))
    assert key_names(host) == ["portal"]


def test_portal_key_gets_another_name_when_portal_is_taken(
    admin_user: User, host, portal_keyring, other_key: str
) -> None:
    trusted_key_add(host=host, armored=other_key, name="portal")
    client_for(admin_user).post(url("frontend:host-key-trust-portal", host))
    fingerprint = portal_keyring.fingerprint()
    assert key_names(host) == ["portal", f"portal-{fingerprint[-16:].lower()}"]


def test_non_admins_change_nothing(
    developer: User, host, portal_signing_key: PortalSigningKey, portal_keyring
) -> None:
    trusted_key_add(host=host, armored=portal_signing_key.public_key, name="acme-ci")
    dev = client_for(developer)
    assert dev.get(url("frontend:host-keys", host)).status_code == 403
    add = dev.post(url("frontend:host-keys", host), {"name": "x", "armored": GARBAGE})
    assert add.status_code == 403
    assert (
        dev.post(url("frontend:host-key-remove", host), {"key_name": "acme-ci"}).status_code == 403
    )
    assert dev.post(url("frontend:host-key-trust-portal", host)).status_code == 403
    anonymous = Client().post(url("frontend:host-key-remove", host), {"key_name": "acme-ci"})
    assert anonymous.status_code == 302 and reverse("frontend:login") in anonymous["Location"]
    assert key_names(host) == ["acme-ci"]


def test_key_forms_need_csrf(admin_user: User, host) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(url("frontend:host-keys", host), {"name": "x", "armored": GARBAGE})
    assert response.status_code == 403
    assert key_names(host) == []


def test_unknown_host_is_404(admin_user: User) -> None:
    response = client_for(admin_user).get(reverse("frontend:host-keys", args=["nope"]))
    assert response.status_code == 404
