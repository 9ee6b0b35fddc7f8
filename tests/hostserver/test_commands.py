"""``hostserver_ensure`` and ``hostserver_keys``, and the services behind them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hostserver.models import HostServer, HostTrustedKey
from hostserver.services import host_ensure_defaults

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_ensure_creates_the_three_defaults_with_mattermost_settings(isolated_roots, settings):
    settings.HOSTSERVER_DEFAULT_NAMES = ["ci-extensions", "ci-extensions-release", "community"]
    output = _run("hostserver_ensure")
    assert "community" in output
    hosts = {h.name: h for h in HostServer.objects.all()}
    assert set(hosts) == {"ci-extensions", "ci-extensions-release", "community"}
    plugin_settings = hosts["community"].config["PluginSettings"]
    assert plugin_settings["Enable"] is True
    assert plugin_settings["EnableUploads"] is True
    assert plugin_settings["RequirePluginSignature"] is False
    assert plugin_settings["EnableMarketplace"] is True
    assert plugin_settings["EnableRemoteMarketplace"] is True
    assert plugin_settings["AllowInsecureDownloadURL"] is True
    assert plugin_settings["MarketplaceURL"] == settings.PORTAL_BASE_URL
    service = hosts["community"].config["ServiceSettings"]
    assert service["SiteURL"] == f"{settings.HOSTSERVER_BASE_URL}/hosts/community"
    assert hosts["community"].server_version == settings.HOSTSERVER_SERVER_VERSION
    assert hosts["community"].plugin_dir.is_dir()


def test_ensure_is_idempotent_cheap_and_keeps_admin_changes(isolated_roots, settings):
    settings.HOSTSERVER_DEFAULT_NAMES = ["community"]
    settings.PORTAL_GNUPG_HOME = settings.HOSTSERVER_ROOT / "no-gpg"
    [host] = host_ensure_defaults()
    host.config["PluginSettings"]["EnableUploads"] = False
    host.save()
    with CaptureQueriesContext(connection) as queries:
        [again] = host_ensure_defaults()
    assert again.pk == host.pk
    assert again.config["PluginSettings"]["EnableUploads"] is False
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE")) for q in queries)
    assert HostServer.objects.count() == 1


def test_ensure_trusts_the_portal_key_once(
    isolated_roots, settings, portal_keyring, portal_signing_key
):
    settings.HOSTSERVER_DEFAULT_NAMES = ["community", "ci-extensions"]
    host_ensure_defaults()
    host_ensure_defaults()
    keys = HostTrustedKey.objects.all()
    assert sorted(k.host.name for k in keys) == ["ci-extensions", "community"]
    assert {k.fingerprint for k in keys} == {portal_signing_key.fingerprint}


def test_keys_add_list_remove(host, tmp_path, portal_signing_key):
    key_file = tmp_path / "partner.asc"
    key_file.write_text(portal_signing_key.public_key)
    assert "added partner" in _run("hostserver_keys", "add", str(key_file), "--host", host.name)
    listed = _run("hostserver_keys", "list", "--host", host.name)
    assert f"partner\t{portal_signing_key.fingerprint}" in listed
    with pytest.raises(CommandError, match="already trusts"):
        _run("hostserver_keys", "add", str(key_file), "--host", host.name, "--name", "again")
    _run("hostserver_keys", "remove", "partner", "--host", host.name)
    assert not HostTrustedKey.objects.exists()
    assert "trusts no public key" in _run("hostserver_keys", "list", "--host", host.name)


def test_keys_refuse_garbage_and_unknown_names(host, tmp_path):
    junk = tmp_path / "junk.asc"
    junk.write_text("not a key")
    with pytest.raises(CommandError):
        _run("hostserver_keys", "add", str(junk), "--host", host.name)
    with pytest.raises(CommandError, match="no trusted key"):
        _run("hostserver_keys", "remove", "nope", "--host", host.name)
    with pytest.raises(CommandError, match="no host server"):
        _run("hostserver_keys", "list", "--host", "missing")
    assert not HostTrustedKey.objects.exists()


def test_trusted_keys_show_in_config(api, host, portal_signing_key):
    from hostserver.services import trusted_key_add

    trusted_key_add(host=host, armored=portal_signing_key.public_key, name="portal")
    config = api.get("/config").json()
    assert config["PluginSettings"]["SignaturePublicKeyFiles"] == ["portal"]


def test_hosts_create_list_and_set_version(isolated_roots):
    assert "created lab" in _run("hostserver_hosts", "create", "lab", "--server-version", "9.11.0")
    assert "lab\t9.11.0\t" in _run("hostserver_hosts", "list")
    assert "10.1.2" in _run("hostserver_hosts", "set-version", "lab", "10.1.2")
    assert HostServer.objects.get(name="lab").server_version == "10.1.2"


@pytest.mark.parametrize(
    "args",
    [
        ("create", "Bad Name"),
        ("create", "lab", "--server-version", "v9"),
        ("set-version", "lab", "nine"),
        ("set-version", "missing", "9.0.0"),
    ],
)
def test_hosts_refuse_bad_names_and_versions(isolated_roots, args):
    from hostserver.services import host_create

    host_create(name="lab", server_version="9.0.0")
    with pytest.raises(CommandError):
        _run("hostserver_hosts", *args)
    assert list(HostServer.objects.values_list("name", "server_version")) == [("lab", "9.0.0")]
