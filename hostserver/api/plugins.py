"""``/api/v4/plugins...``: Mattermost's plugin management endpoints (api4/plugin.go)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile

from hostserver import errors, selectors, services
from hostserver.api.base import Context, Reply, endpoint, status_ok
from hostserver.errors import AppError
from hostserver.manifests import client_manifest, manifest_json, plugin_status_json
from hostserver.services.plugins import scratch_dir
from hostserver.services.remote import require_marketplace, require_plugins, require_uploads

WRITE = "sysconsole_write_plugins"
READ = "sysconsole_read_plugins"


def _plugin_id(ctx: Context) -> str:
    plugin_id = ctx.params.get("plugin_id", "")
    if not plugin_id:
        raise errors.invalid_url_param("plugin_id")
    return plugin_id.lower()


def _parse_bool(value: str) -> bool:
    """Go's ``strconv.ParseBool``; anything it rejects counts as false, as the handler does."""
    return value in ("1", "t", "T", "TRUE", "true", "True")


@endpoint(file_api=True)
def upload(ctx: Context) -> Reply:
    require_uploads(ctx.host, upload=True)
    ctx.require_permission(WRITE)
    files = ctx.request.FILES.getlist("plugin")
    if "plugin" not in ctx.request.FILES:
        raise AppError(
            "api.plugin.upload.no_file.app_error", "Missing file in multipart/form request.", 400
        )
    if not files:
        raise AppError(
            "api.plugin.upload.array.app_error",
            "File array is empty in multipart/form request.",
            400,
        )
    max_size = int(ctx.host.config.get("FileSettings", {}).get("MaxFileSize") or 0)
    if max_size and (files[0].size or 0) > max_size:
        raise AppError(
            "api.plugin.upload.file_too_large.app_error",
            f"Unable to upload file. File is too large (over {max_size} bytes).",
            413,
        )
    force = ctx.request.POST.get("force", "") == "true"
    plugin = _install_uploaded(ctx, files[0], force=force)
    return Reply(manifest_json(plugin.manifest), status=201)


def _install_uploaded(ctx: Context, upload_file: UploadedFile, *, force: bool) -> Any:
    if isinstance(upload_file, TemporaryUploadedFile):
        return services.plugin_install(
            host=ctx.host, bundle=Path(upload_file.temporary_file_path()), force=force
        )
    work = Path(tempfile.mkdtemp(prefix="upload-", dir=scratch_dir(ctx.host)))
    try:
        path = work / "plugin.tar.gz"
        with path.open("wb") as handle:
            for chunk in upload_file.chunks():
                handle.write(chunk)
        return services.plugin_install(host=ctx.host, bundle=path, force=force)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@endpoint()
def install_from_url(ctx: Context) -> Reply:
    require_uploads(ctx.host, upload=False)
    ctx.require_permission(WRITE)
    # A missing URL fails in the downloader, as in Mattermost (400 download_failed).
    url = ctx.request.GET.get("plugin_download_url", "")
    force = _parse_bool(ctx.request.GET.get("force", ""))
    plugin = services.plugin_install_from_url(host=ctx.host, url=url, force=force)
    return Reply(manifest_json(plugin.manifest), status=201)


@endpoint()
def plugin_list(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    ctx.require_permission(READ)
    active: list[dict[str, Any]] = []
    inactive: list[dict[str, Any]] = []
    for plugin in selectors.plugin_list(host=ctx.host):
        target = active if plugin.state == 2 else inactive
        target.append(manifest_json(plugin.manifest))
    return Reply({"active": active, "inactive": inactive})


@endpoint()
def statuses(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    ctx.require_permission(READ)
    rows = selectors.plugin_list(host=ctx.host).select_related("host")
    return Reply([plugin_status_json(plugin=plugin) for plugin in rows])


@endpoint(require_session=False)
def webapp(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    out = [
        client_manifest(plugin.manifest, webapp_hash=plugin.webapp_hash)
        for plugin in selectors.plugin_active_list(host=ctx.host)
        if plugin.webapp_hash and isinstance(plugin.manifest.get("webapp"), dict)
    ]
    return Reply(out)


@endpoint()
def remove(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    ctx.require_permission(WRITE)
    services.plugin_remove(host=ctx.host, plugin_id=_plugin_id(ctx))
    return status_ok()


@endpoint()
def enable(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    ctx.require_permission(WRITE)
    services.plugin_enable(host=ctx.host, plugin_id=_plugin_id(ctx))
    return status_ok()


@endpoint()
def disable(ctx: Context) -> Reply:
    require_plugins(ctx.host)
    ctx.require_permission(WRITE)
    services.plugin_disable(host=ctx.host, plugin_id=_plugin_id(ctx))
    return status_ok()


def _query_bool(ctx: Context, name: str) -> bool:
    # Mattermost ignores ParseBool errors here: anything unparsable is false.
    return _parse_bool(ctx.request.GET.get(name, ""))


def _marshal_error(why: str) -> AppError:
    return AppError(
        "app.plugin.marshal.app_error", f"Unable to read the marketplace filter: {why}", 500
    )


@endpoint()
def marketplace_get(ctx: Context) -> Reply:
    require_marketplace(ctx.host)
    for name in ("page", "per_page"):
        raw = ctx.request.GET.get(name, "")
        if raw and not raw.lstrip("-").isdigit():
            raise _marshal_error(f"{name}={raw!r} is not an integer")
    local_only = _query_bool(ctx, "local_only")
    remote_only = _query_bool(ctx, "remote_only")
    if local_only and remote_only:
        raise _marshal_error("local_only and remote_only cannot both be true")
    if not remote_only:
        ctx.require_permission(READ)
    entries = services.marketplace_list(
        host=ctx.host,
        filter_text=ctx.request.GET.get("filter", ""),
        local_only=local_only,
        remote_only=remote_only,
    )
    return Reply(entries)


@endpoint()
def marketplace_post(ctx: Context) -> Reply:
    require_marketplace(ctx.host)
    ctx.require_permission(WRITE)
    body = ctx.json_body()
    plugin_id = body.get("id", "") if isinstance(body, dict) else None
    if not isinstance(plugin_id, str):
        raise AppError(
            "app.plugin.marketplace_plugin_request.app_error",
            "Unable to decode the marketplace plugin request.",
            501,
        )
    plugin = services.marketplace_install(host=ctx.host, plugin_id=plugin_id.lower())
    return Reply(manifest_json(plugin.manifest), status=201)


def _first_visit_permission(ctx: Context) -> None:
    # No session requirement here in Mattermost: a missing session is a permission error.
    ctx.require_permission("manage_system")


@endpoint(require_session=False)
def first_admin_visit_get(ctx: Context) -> Reply:
    _first_visit_permission(ctx)
    value = "true" if ctx.host.first_admin_visit_marketplace else "false"
    return Reply({"name": "FirstAdminVisitMarketplace", "value": value})


@endpoint(require_session=False)
def first_admin_visit_post(ctx: Context) -> Reply:
    _first_visit_permission(ctx)
    services.host_first_admin_visit_set(host=ctx.host)
    return status_ok()
