"""The Mattermost-compatible Marketplace API (``/api/v1``) and bundle downloads.

Views parse, call one selector or service, and answer. Marketplace errors have empty bodies, as
the Go service's do.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import InvalidInput, NotFound
from marketplace import selectors, services
from marketplace.compat import ALL_LABELS, go_json, parse_query

_LABELS_BODY = (go_json(list(ALL_LABELS)) + "\n").encode()


def _empty(status: int) -> HttpResponse:
    return HttpResponse(b"", status=status, content_type="text/plain; charset=utf-8")


@require_GET
def plugins(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/plugins``: the catalog query of spec section 2."""
    try:
        query = parse_query(request.GET.getlist)
    except InvalidInput:
        return _empty(400)
    body = selectors.marketplace_plugins_body(query=query)
    return HttpResponse(body, content_type="application/json")


@require_GET
def labels(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_LABELS_BODY, content_type="application/json")


def _git_head(repo: Path) -> str:
    """The commit checked out in ``repo``, read from ``.git`` (no git process); "" if unknown."""
    git = repo / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (git / ref).is_file():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return ""


@lru_cache(maxsize=1)
def _build_info() -> tuple[str, str]:
    """(release tag, full commit hash) from the environment (set by the image build), else git."""
    tag = os.environ.get("PORTAL_RELEASE_ID", "")
    build_hash = os.environ.get("PORTAL_BUILD_HASH", "") or _git_head(Path(settings.BASE_DIR))
    return tag, build_hash


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    tag, build_hash = _build_info()
    body = {
        "status": "pass",
        "version": "1",
        "releaseID": tag,
        "details": {"buildInfo": {"buildHash": build_hash, "buildHashShort": build_hash[:7]}},
        "description": "The Plugin Portal's Mattermost-compatible plugin marketplace",
    }
    return HttpResponse((go_json(body) + "\n").encode(), content_type="application/health+json")


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown paths under /api/v1 (a trailing slash included): 404 with a plain-text body."""
    return HttpResponse(
        b"404 page not found\n", status=404, content_type="text/plain; charset=utf-8"
    )


@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, plugin_id: str, version: str, filename: str) -> HttpResponseBase:
    """A hosted release's bundle or signature, streamed from storage with its sha256."""
    try:
        download = services.release_download_open(
            plugin_id=plugin_id,
            version=version,
            filename=filename,
            count=request.method == "GET",
        )
    except NotFound:
        return HttpResponse(b"Not Found\n", status=404, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        download.file,
        as_attachment=True,
        filename=filename,
        content_type=download.content_type,
    )
    response["Content-Length"] = str(download.size)
    response["X-Checksum-Sha256"] = download.sha256
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(download.sha256)).decode()
    return response
