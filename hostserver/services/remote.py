"""What a host server fetches over HTTP: bundles from a URL and the remote marketplace.

All outbound traffic goes through :mod:`common.http` with the host's own address policy,
``ServiceSettings.AllowedUntrustedInternalConnections``: as in Mattermost, private and loopback
addresses are refused unless listed there.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from common.errors import InvalidInput, UpstreamError
from common.http import AddressPolicy, download, get_json
from hostserver import config as mmconfig
from hostserver import errors
from hostserver.errors import AppError
from hostserver.manifests import is_valid_plugin_id
from hostserver.models import HostPlugin, HostServer
from hostserver.services.plugins import plugin_install, scratch_dir

GZIP_MAGIC = b"\x1f\x8b"


def require_plugins(host: HostServer) -> None:
    if not mmconfig.plugin_setting(host.config, "Enable"):
        raise errors.plugins_disabled()


def require_uploads(host: HostServer, *, upload: bool) -> None:
    """Mattermost refuses manual installs when uploads are off or signatures are required."""
    refused = (
        not mmconfig.plugin_setting(host.config, "Enable")
        or not mmconfig.plugin_setting(host.config, "EnableUploads")
        or mmconfig.plugin_setting(host.config, "RequirePluginSignature")
    )
    if refused:
        raise errors.uploads_disabled() if upload else errors.plugins_disabled()


def require_marketplace(host: HostServer) -> None:
    require_plugins(host)
    if not mmconfig.plugin_setting(host.config, "EnableMarketplace"):
        raise errors.marketplace_disabled()


def address_policy(host: HostServer) -> AddressPolicy:
    return AddressPolicy(
        allow_private=False, allowed=mmconfig.untrusted_internal_allowlist(host.config)
    )


def max_download_bytes(host: HostServer) -> int:
    max_file = host.config.get("FileSettings", {}).get("MaxFileSize") or 0
    cap = int(settings.OUTBOUND_MAX_DOWNLOAD_BYTES)
    return min(cap, int(max_file)) if max_file else cap


def download_timeout() -> float:
    return float(
        getattr(settings, "HOSTSERVER_DOWNLOAD_TIMEOUT_SECONDS", settings.OUTBOUND_TIMEOUT_SECONDS)
    )


def _download_failed(
    why: str, error_id: str = "api.plugin.install.download_failed.app_error", status: int = 400
) -> AppError:
    return AppError(
        error_id, f"An error occurred while downloading the plugin: {why}", status, detail=why
    )


def download_bundle(*, host: HostServer, url: str, dest: Path, error_id: str, status: int) -> None:
    """Download ``url`` into ``dest`` under the host's rules, or raise an AppError saying why."""
    if not url:
        raise _download_failed("no plugin_download_url given", error_id, status)
    if not url.startswith(("http://", "https://")):
        raise _download_failed(f"invalid url {url!r}", error_id, status)
    insecure_ok = bool(mmconfig.plugin_setting(host.config, "AllowInsecureDownloadURL"))
    if url.startswith("http://") and not insecure_ok:
        raise _download_failed(
            f"insecure url not allowed {url} (PluginSettings.AllowInsecureDownloadURL is false)",
            error_id,
            status,
        )
    try:
        with dest.open("wb") as handle:
            download(
                url,
                handle,
                max_bytes=max_download_bytes(host),
                timeout=download_timeout(),
                policy=address_policy(host),
                require_https=not insecure_ok,
            )
    except InvalidInput as exc:
        why = str(exc)
        if exc.code == "address_refused":
            why = (
                f"{why.split('. ')[0]}. This host server only reaches private addresses listed "
                "in ServiceSettings.AllowedUntrustedInternalConnections."
            )
        raise _download_failed(why, error_id, status) from exc
    except UpstreamError as exc:
        raise _download_failed(str(exc), error_id, status) from exc
    with dest.open("rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            raise _download_failed(
                "the downloaded file is not a gzip-compressed tar archive", error_id, status
            )


@contextlib.contextmanager
def _downloaded(*, host: HostServer, url: str, error_id: str, status: int) -> Iterator[Path]:
    """The bundle at ``url``, downloaded into the host's scratch space for the ``with`` block."""
    work = Path(tempfile.mkdtemp(prefix="download-", dir=scratch_dir(host)))
    try:
        dest = work / "plugin.tar.gz"
        download_bundle(host=host, url=url, dest=dest, error_id=error_id, status=status)
        yield dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def plugin_install_from_url(*, host: HostServer, url: str, force: bool) -> HostPlugin:
    """``POST /plugins/install_from_url``: download, then install like an upload."""
    require_uploads(host, upload=False)
    with _downloaded(
        host=host, url=url, error_id="api.plugin.install.download_failed.app_error", status=400
    ) as bundle:
        return plugin_install(host=host, bundle=bundle, signature=None, force=force)


# --- marketplace -------------------------------------------------------------------------------


def runtime_platform() -> str:
    """``<GOOS>-<GOARCH>`` of this server, as Mattermost sends it."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    system = platform.system().lower() or "linux"
    return f"{system}-{arch}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def marketplace_query(
    *, host: HostServer, plugin_id: str = "", remote_only: bool = False
) -> dict[str, str]:
    """Exactly the query a Mattermost server sends to ``MarketplaceURL/api/v1/plugins``
    (``per_page`` absent: the marketplace then answers its default page of 100)."""
    return {
        "page": "0",
        "filter": "",
        "server_version": host.server_version,
        "build_enterprise_ready": "false",
        "enterprise_plugins": "false",
        "cloud": "false",
        "local_only": "false",
        "remote_only": _bool(remote_only),
        "platform": runtime_platform(),
        "plugin_id": plugin_id,
        "return_all_versions": "false",
    }


def marketplace_url(host: HostServer) -> str:
    base = str(mmconfig.plugin_setting(host.config, "MarketplaceURL") or "").rstrip("/")
    return f"{base or mmconfig.DEFAULT_MARKETPLACE_URL}/api/v1/plugins"


def marketplace_fetch(
    *, host: HostServer, plugin_id: str = "", remote_only: bool = False
) -> list[dict[str, Any]]:
    """The remote marketplace's entries (``manifest: null`` ones dropped)."""
    try:
        data = get_json(
            marketplace_url(host),
            params=marketplace_query(host=host, plugin_id=plugin_id, remote_only=remote_only),
            timeout=download_timeout(),
            policy=address_policy(host),
        )
    except (UpstreamError, InvalidInput) as exc:
        raise AppError(
            "app.plugin.marketplace_client.failed_to_fetch",
            f"Failed to get plugins from the marketplace server: {exc}",
            500,
            detail=str(exc),
        ) from exc
    if data is None or data == "":
        return []
    if not isinstance(data, list):
        raise AppError(
            "app.plugin.marketplace_client.failed_to_fetch",
            "Failed to get plugins from the marketplace server: the answer is not a JSON array.",
            500,
        )
    return [
        entry
        for entry in data
        if isinstance(entry, dict) and isinstance(entry.get("manifest"), dict)
    ]


def _signature_bytes(entry: dict[str, Any]) -> bytes:
    encoded = entry.get("signature") or ""
    if not encoded:
        raise AppError(
            "app.plugin.marketplace_plugins.signature_not_found.app_error",
            "Could not find the requested plugin signature.",
            500,
        )
    try:
        return base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AppError(
            "app.plugin.signature_decode.app_error",
            "Unable to decode base64 signature.",
            501,
            detail=str(exc),
        ) from exc


def marketplace_install(*, host: HostServer, plugin_id: str) -> HostPlugin:
    """``POST /plugins/marketplace``: latest compatible release from the remote marketplace,
    signature always verified against the host's trusted keys, installed with force."""
    require_marketplace(host)
    not_found = AppError(
        "app.plugin.marketplace_plugins.not_found.app_error",
        "Could not find the requested plugin.",
        500,
        detail=f"plugin_id={plugin_id}",
    )
    # An id that cannot exist is not worth a request (and never reaches the query string).
    valid_id = is_valid_plugin_id(plugin_id)
    if not valid_id or not mmconfig.plugin_setting(host.config, "EnableRemoteMarketplace"):
        raise not_found
    entries = marketplace_fetch(host=host, plugin_id=plugin_id)
    if not entries:
        raise not_found
    if len(entries) > 1:
        raise AppError(
            "app.plugin.install_marketplace_plugin.app_error",
            f"Failed to install marketplace plugin: {len(entries)} entries match {plugin_id!r}.",
            500,
        )
    entry = entries[0]
    url = str(entry.get("download_url") or "")
    if not url:
        raise not_found
    signature = _signature_bytes(entry)
    with _downloaded(
        host=host, url=url, error_id="app.plugin.install_marketplace_plugin.app_error", status=500
    ) as bundle:
        return plugin_install(
            host=host,
            bundle=bundle,
            signature=signature,
            force=True,
            verify=True,
            expected_id=plugin_id,
        )
