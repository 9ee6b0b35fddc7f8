"""``/api/v4/system/ping`` and ``/api/v4/config...``."""

from __future__ import annotations

import copy
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection

from hostserver import config as mmconfig
from hostserver import errors, selectors, services
from hostserver.api.base import Context, Reply, endpoint
from hostserver.errors import AppError
from hostserver.models import HostServer


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _filestore_ok() -> bool:
    try:
        default_storage.exists("hostservers/.ping")
        return True
    except Exception:
        return False


@endpoint(require_session=False)
def ping(ctx: Context) -> Reply:
    data: dict[str, Any] = {
        "status": "OK",
        "AndroidLatestVersion": "",
        "AndroidMinVersion": "",
        "IosLatestVersion": "",
        "IosMinVersion": "",
        "ActiveSearchBackend": "database",
    }
    headers: dict[str, str] = {}
    if ctx.request.GET.get("get_server_status", "").lower() in ("true", "1"):
        database = "OK" if _database_ok() else "UNHEALTHY"
        filestore = "OK" if _filestore_ok() else "UNHEALTHY"
        data["database_status"] = database
        data["filestore_status"] = filestore
        headers = {"status": "OK", "database_status": database, "filestore_status": filestore}
        if database != "OK" or filestore != "OK":
            data["status"] = "UNHEALTHY"
            headers["status"] = "UNHEALTHY"
        if ctx.is_system_admin:
            data["root_status"] = False
    if ctx.request.GET.get("device_id"):
        data["CanReceiveNotifications"] = "unknown"  # no push proxy here
    rest = ctx.request.GET.get("use_rest_semantics", "").lower() == "true"
    status = 500 if data["status"] != "OK" and not rest else 200
    return Reply(data, status=status, headers=headers)


def config_json(host: HostServer) -> dict[str, Any]:
    """The config as the API shows it: trusted key names appear as SignaturePublicKeyFiles."""
    data = copy.deepcopy(host.config)
    data.setdefault("PluginSettings", {})["SignaturePublicKeyFiles"] = [
        key.name for key in selectors.trusted_key_list(host=host)
    ]
    return data


@endpoint()
def config_get(ctx: Context) -> Reply:
    ctx.require_permission("sysconsole_read_plugins")
    return Reply(config_json(ctx.host))


def _patch(ctx: Context, *, replace_maps: bool = False) -> Reply:
    ctx.require_permission("manage_system")
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise errors.invalid_body_param("config")
    host = services.host_config_patch(host=ctx.host, patch=body, replace_maps=replace_maps)
    return Reply(config_json(host))


@endpoint()
def config_patch(ctx: Context) -> Reply:
    return _patch(ctx)


@endpoint(require_session=False)
def config_client(ctx: Context) -> Reply:
    if ctx.request.GET.get("format") != "old":
        raise AppError(
            "api.config.client.old_format.app_error",
            "New format for the client configuration is not supported yet. "
            "Please specify format=old in the query string.",
            501,
        )
    host = ctx.host
    plugin_settings = host.config.get("PluginSettings", {})
    service = host.config.get("ServiceSettings", {})

    def flag(value: Any) -> str:
        return "true" if value else "false"

    data = {
        "Version": host.server_version,
        "BuildNumber": host.server_version,
        "BuildDate": "",
        "BuildHash": "",
        "BuildHashEnterprise": "none",
        "BuildEnterpriseReady": "false",
        "IsLicensed": "false",
        "SiteURL": service.get("SiteURL", ""),
        "SiteName": f"Plugin Portal host {host.name}",
        "DiagnosticsEnabled": "false",
        "TelemetryId": "",
        "PluginsEnabled": flag(plugin_settings.get("Enable")),
        "IsDefaultMarketplace": flag(
            plugin_settings.get("MarketplaceURL") == mmconfig.DEFAULT_MARKETPLACE_URL
        ),
        "EnableUserAccessTokens": flag(service.get("EnableUserAccessTokens")),
        "EnableMarketplace": flag(plugin_settings.get("EnableMarketplace")),
        "EnableUploads": flag(plugin_settings.get("EnableUploads")),
        "RequirePluginSignature": flag(plugin_settings.get("RequirePluginSignature")),
        "MaxFileSize": str(host.config.get("FileSettings", {}).get("MaxFileSize", 0)),
    }
    return Reply(data)


@endpoint()
def config_put(ctx: Context) -> Reply:
    """``PUT /config``: Mattermost replaces the whole config; sections and keys we do not keep
    are ignored, and maps (``PluginStates``, ``Plugins``) are replaced, not merged."""
    return _patch(ctx, replace_maps=True)


@endpoint(require_session=False)
def license_client(ctx: Context) -> Reply:
    if ctx.request.GET.get("format") != "old":
        raise AppError(
            "api.license.client.old_format.app_error",
            "New format for the client license is not supported yet. "
            "Please specify format=old in the query string.",
            501,
        )
    return Reply({"IsLicensed": "false"})
