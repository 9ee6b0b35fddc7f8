"""Startup sync: plugin directories rebuilt from the file store, signatures when required."""

from __future__ import annotations

import shutil

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from common.bundle.build import build_bundle
from hostserver.models import PluginState
from hostserver.runtime import Supervisor
from hostserver.services import trusted_key_add

from . import plugins
from .conftest import EXE, FAST, Driver, exe, install, server_manifest

pytestmark = pytest.mark.django_db

RUNNING = lambda p: p.state == PluginState.RUNNING  # noqa: E731
FAILED_TO_START = lambda p: p.state == PluginState.FAILED_TO_START  # noqa: E731


def _require_signatures(host) -> None:
    host.config["PluginSettings"]["RequirePluginSignature"] = True
    host.save(update_fields=["config"])


def _start(host_root) -> Driver:
    supervisor = Supervisor(FAST, root=host_root)
    supervisor.acquire()
    return Driver(supervisor)


def test_stale_plugin_dir_is_rebuilt_from_the_file_store(host, host_root) -> None:
    plugin = install(host, server_manifest("com.example.stale"), exe(plugins.GOOD))
    stale = host.plugin_dir / "com.example.stale"
    (stale / "server" / "dist").mkdir(parents=True)
    (stale / EXE).write_text("#!/bin/sh\nexit 9\n")
    (stale / EXE).chmod(0o755)

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, RUNNING)
    finally:
        driver.supervisor.shutdown()

    assert "sock" in (stale / EXE).read_text()  # the stored bundle's executable, not the stale one


def test_signed_plugin_runs_when_signatures_are_required(host, host_root, portal_keyring) -> None:
    _require_signatures(host)
    trusted_key_add(host=host, armored=portal_keyring.export_public(), name="portal")
    manifest = server_manifest("com.example.signed")
    plugin = install(host, manifest, exe(plugins.GOOD), signature=b"placeholder")
    # Sign exactly the bytes the file store holds.
    with default_storage.open(plugin.bundle_path, "rb") as stored:
        data = stored.read()
    default_storage.delete(plugin.signature_path)
    default_storage.save(plugin.signature_path, ContentFile(portal_keyring.sign_detached(data)))

    driver = _start(host_root)
    try:
        driver.settle(plugin, RUNNING)
    finally:
        driver.supervisor.shutdown()


def test_untrusted_signature_is_refused_at_sync(host, host_root, portal_keyring) -> None:
    _require_signatures(host)  # no trusted key on this host
    manifest = server_manifest("com.example.untrusted")
    plugin = install(host, manifest, exe(plugins.GOOD), signature=b"not a signature")

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, FAILED_TO_START)
    finally:
        driver.supervisor.shutdown()

    assert plugin.error.startswith("Unable to verify plugin signature")
    assert not (host.plugin_dir / "com.example.untrusted").exists()


def test_unsigned_plugin_is_refused_when_signatures_are_required(host, host_root) -> None:
    _require_signatures(host)
    plugin = install(host, server_manifest("com.example.unsigned"), exe(plugins.GOOD))

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, FAILED_TO_START)
    finally:
        driver.supervisor.shutdown()

    assert plugin.error == "signature required but the plugin has none: com.example.unsigned"


def test_bundle_altered_in_the_file_store_is_refused(host, host_root) -> None:
    plugin = install(host, server_manifest("com.example.altered"), exe(plugins.GOOD))
    default_storage.delete(plugin.bundle_path)
    default_storage.save(
        plugin.bundle_path, ContentFile(build_bundle(server_manifest("com.example.altered")))
    )
    shutil.rmtree(host.plugin_dir / "com.example.altered", ignore_errors=True)

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, FAILED_TO_START)
    finally:
        driver.supervisor.shutdown()

    assert "does not match its checksum" in plugin.error


def test_bundle_missing_from_the_file_store_fails_to_start(host, host_root) -> None:
    plugin = install(host, server_manifest("com.example.lost"), exe(plugins.GOOD))
    default_storage.delete(plugin.bundle_path)

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, FAILED_TO_START)
    finally:
        driver.supervisor.shutdown()

    assert "missing from the file store" in plugin.error


def test_plugin_dir_is_rebuilt_from_an_s3_file_store(host, host_root, s3_storage) -> None:
    plugin = install(host, server_manifest("com.example.s3"), exe(plugins.GOOD))
    listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket_name)
    assert [o["Key"] for o in listed["Contents"]] == [plugin.bundle_path]

    driver = _start(host_root)
    try:
        plugin = driver.settle(plugin, RUNNING)
    finally:
        driver.supervisor.shutdown()

    assert (host.plugin_dir / "com.example.s3" / EXE).is_file()
