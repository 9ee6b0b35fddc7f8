"""Non-API files a host server serves: webapp bundles (``/static/plugins/``) and the ``public/``
folder of active plugins (``/plugins/<id>/public/``), with Mattermost's headers."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from hostserver import errors, selectors
from hostserver.api.base import error_response, resolve_host
from hostserver.ids import new_id
from hostserver.manifests import PLUGIN_ID_RE
from hostserver.models import PluginState


def _not_found(*, cache: bool) -> HttpResponse:
    response = HttpResponseNotFound(b"404 page not found\n", content_type="text/plain")
    response["X-Content-Type-Options"] = "nosniff"
    if cache:
        response["Cache-Control"] = "no-cache, public"
    return response


def _contained_file(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it is a regular file inside ``root`` (no traversal, no links out)."""
    if not relative or relative.endswith("/") or "\x00" in relative:
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    base = root.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def _file_response(path: Path) -> FileResponse:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type in ("application/javascript", "text/javascript"):
        content_type = "application/javascript"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def static_plugin_file(request: HttpRequest, host: str, path: str) -> HttpResponseBase:
    """``/static/plugins/<id>/<file>`` from the host's ``ClientDirectory``."""
    host_obj = resolve_host(host)
    if host_obj is None or request.path.endswith("/"):
        return _not_found(cache=True)
    found = _contained_file(host_obj.client_dir, path)
    if found is None:
        return _not_found(cache=True)
    response = _file_response(found)
    response["Cache-Control"] = "max-age=31556926, public"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def plugin_public_file(
    request: HttpRequest, host: str, plugin_id: str, path: str
) -> HttpResponseBase:
    """``/plugins/<id>/public/<file>``: only for active plugins, as Mattermost serves them."""
    host_obj = resolve_host(host)
    if host_obj is None or not PLUGIN_ID_RE.match(plugin_id):
        return _not_found(cache=False)
    if not host_obj.config.get("PluginSettings", {}).get("Enable"):
        return error_response(errors.plugins_disabled(), new_id())
    plugin = selectors.plugin_get(host=host_obj, plugin_id=plugin_id)
    if plugin is None or plugin.state != PluginState.RUNNING or request.path.endswith("/"):
        return _not_found(cache=False)
    found = _contained_file(host_obj.plugin_dir / plugin.plugin_id / "public", path)
    if found is None:
        return _not_found(cache=False)
    return _file_response(found)
