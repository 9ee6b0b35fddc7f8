"""Rebuild plugin directories from the file store, which is the truth (Mattermost's syncPlugins).

The extracted directory is a cache. It is rebuilt when missing or when it was extracted from a
different bundle (a marker beside it, outside the plugin's own files, records the sha256), and
the bundle's signature is verified first when ``RequirePluginSignature`` is on.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from django.core.files.storage import default_storage

from common.bundle import extract_bundle
from common.errors import PortalError
from hostserver.models import HostPlugin, HostServer

from .activation import ActivationError
from .records import trusted_keys


class SyncError(ActivationError):
    pass


def _marker(host: HostServer, plugin_id: str) -> Path:
    return host.root_dir / "synced" / f"{plugin_id}.sha256"


def plugin_dir_current(host: HostServer, plugin: HostPlugin) -> bool:
    target = host.plugin_dir / plugin.plugin_id
    marker = _marker(host, plugin.plugin_id)
    try:
        return target.is_dir() and marker.read_text().strip() == plugin.bundle_sha256
    except OSError:
        return False


def sync_plugin_dir(host: HostServer, plugin: HostPlugin, *, only_if_missing: bool) -> bool:
    """Make ``plugin_dir/<id>`` match the stored bundle; True when it was (re)extracted."""
    target = host.plugin_dir / plugin.plugin_id
    if only_if_missing and target.is_dir():
        return False
    require_signature = bool(
        (host.config.get("PluginSettings") or {}).get("RequirePluginSignature")
    )
    if not only_if_missing and not require_signature and plugin_dir_current(host, plugin):
        return False
    if not plugin.bundle_path:
        raise SyncError(f"no bundle in the file store for plugin: {plugin.plugin_id}")
    host.plugin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sync-", dir=host.plugin_dir) as scratch:
        local = Path(scratch) / "bundle.tar.gz"
        digest = _fetch(plugin.bundle_path, local)
        if plugin.bundle_sha256 and digest != plugin.bundle_sha256:
            raise SyncError(
                f"bundle in the file store does not match its checksum: {plugin.plugin_id}"
            )
        if require_signature:
            _verify(host, plugin, local)
        fresh = Path(scratch) / "extracted"
        try:
            # The same lenient manifest rules as the install path: a bundle Mattermost would
            # accept (e.g. without a name) must also come back from the file store.
            extract_bundle(local, fresh, strict=False)
        except PortalError as exc:
            raise SyncError(f"unable to extract plugin bundle: {exc}") from exc
        old = Path(scratch) / "old"
        if target.exists():
            target.rename(old)
        fresh.rename(target)
    marker = _marker(host, plugin.plugin_id)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(plugin.bundle_sha256 or digest)
    return True


def forget_plugin(host: HostServer, plugin_id: str) -> None:
    """The plugin was removed: drop its webapp copy and our marker (the API removes the dir)."""
    shutil.rmtree(host.client_dir / plugin_id, ignore_errors=True)
    _marker(host, plugin_id).unlink(missing_ok=True)


def _fetch(name: str, dest: Path) -> str:
    sha = hashlib.sha256()
    try:
        with default_storage.open(name, "rb") as source, dest.open("wb") as out:
            while chunk := source.read(1024 * 1024):
                sha.update(chunk)
                out.write(chunk)
    except Exception as exc:  # Storage backends raise their own types (S3: botocore errors).
        raise SyncError(f"bundle {name} missing from the file store: {exc}") from exc
    return sha.hexdigest()


def _verify(host: HostServer, plugin: HostPlugin, local: Path) -> None:
    from common.signing import verify_detached

    if not plugin.signature_path:
        raise SyncError(f"signature required but the plugin has none: {plugin.plugin_id}")
    try:
        with default_storage.open(plugin.signature_path, "rb") as sig:
            signature = sig.read()
    except Exception as exc:  # As above: any storage backend's error.
        raise SyncError(f"signature missing from the file store: {plugin.plugin_id}") from exc
    try:
        verify_detached(local, signature, trusted_keys(host=host))
    except PortalError as exc:
        # Mattermost's api.plugin.verify_plugin.app_error wording, with the reason.
        raise SyncError(f"Unable to verify plugin signature: {exc}") from exc
