"""Hostile and malformed uploads: Mattermost's error shape, and NOTHING left behind."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile

import pytest
from django.core.files.storage import default_storage

from common.bundle.build import build_bundle
from hostserver.models import HostPlugin
from tests.hostserver.conftest import assert_app_error, manifest, raw_tar_gz

pytestmark = pytest.mark.django_db

EXTRACT = "app.plugin.extract.app_error"
MANIFEST = "app.plugin.manifest.app_error"
INVALID_ID = "app.plugin.invalid_id.app_error"


def _entry(name: str, kind: bytes = tarfile.REGTYPE, **attrs) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o644
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def _manifest_entry(root: str = "p") -> tuple[tarfile.TarInfo, bytes]:
    return _entry(f"{root}/plugin.json"), json.dumps(manifest("com.example.evil")).encode()


def _with_manifest(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    return raw_tar_gz([(_entry("p", tarfile.DIRTYPE), None), _manifest_entry(), *members])


def _bomb() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info, content = _manifest_entry(root="p")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
        zeros = tarfile.TarInfo("p/zeros.bin")
        zeros.size = 40 * 1024 * 1024
        tar.addfile(zeros, io.BytesIO(bytes(zeros.size)))
    return gzip.compress(raw.getvalue(), compresslevel=9)


def _zip() -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("plugin.json", json.dumps(manifest()))
    return raw.getvalue()


HOSTILE = {
    "random bytes": (b"this is not a bundle at all", 400, EXTRACT),
    "empty file": (b"", 400, EXTRACT),
    "zip archive": (_zip(), 400, EXTRACT),
    "gzip but not tar": (gzip.compress(b"hello" * 1000), 400, EXTRACT),
    "truncated gzip": (build_bundle(manifest())[:-40], 400, EXTRACT),
    "parent traversal": (_with_manifest((_entry("p/../../evil.sh"), b"x")), 400, EXTRACT),
    "absolute path": (_with_manifest((_entry("/tmp/evil.sh"), b"x")), 400, EXTRACT),
    "symlink": (
        _with_manifest((_entry("p/link", tarfile.SYMTYPE, linkname="/etc/passwd"), None)),
        400,
        EXTRACT,
    ),
    "hard link": (
        _with_manifest((_entry("p/hard", tarfile.LNKTYPE, linkname="p/plugin.json"), None)),
        400,
        EXTRACT,
    ),
    "fifo": (_with_manifest((_entry("p/fifo", tarfile.FIFOTYPE), None)), 400, EXTRACT),
    "char device": (_with_manifest((_entry("p/dev", tarfile.CHRTYPE), None)), 400, EXTRACT),
    "duplicate entry": (_with_manifest(_manifest_entry()), 400, EXTRACT),
    "decompression bomb": (_bomb(), 400, EXTRACT),
    "no manifest": (build_bundle(manifest(), manifest_name="README.json"), 400, MANIFEST),
    "unparseable manifest": (
        raw_tar_gz([(_entry("plugin.json"), b"{not json")]),
        400,
        MANIFEST,
    ),
    "manifest is a list": (raw_tar_gz([(_entry("plugin.json"), b"[1, 2]")]), 400, MANIFEST),
    "yaml alias bomb": (
        raw_tar_gz([(_entry("plugin.yml"), b"a: &a [1,2]\nb: [*a,*a]\nid: com.x.y\n")]),
        400,
        None,
    ),
    "id too short": (build_bundle(manifest("ab")), 400, INVALID_ID),
    "id with spaces": (build_bundle(manifest("bad id here")), 400, INVALID_ID),
    "id with slash": (build_bundle(manifest("../../etc"), top_dir="p"), 400, INVALID_ID),
    "webapp bundle missing": (
        build_bundle(manifest(webapp={"bundle_path": "webapp/main.js"})),
        500,
        "app.plugin.webapp_bundle.app_error",
    ),
    "webapp bundle escapes": (
        build_bundle(manifest(webapp={"bundle_path": "../../../etc/passwd"})),
        500,
        "app.plugin.webapp_bundle.app_error",
    ),
}


def _assert_nothing_left(host) -> None:
    assert not HostPlugin.objects.exists()
    assert not host.plugin_dir.exists() or list(host.plugin_dir.iterdir()) == []
    scratch = host.root_dir / "tmp"
    assert not scratch.exists() or list(scratch.iterdir()) == []
    folder = f"hostservers/{host.name}/plugins"
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])
    host.refresh_from_db()
    assert host.config["PluginSettings"]["PluginStates"] == {}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_upload_is_refused_and_leaves_nothing(api, host, case):
    content, status, error_id = HOSTILE[case]
    response = api.upload(content)
    assert response.status_code == status, response.content
    body = response.json()
    assert response["Content-Type"] == "application/json"
    assert body["status_code"] == status
    if error_id:
        assert_app_error(response, status, error_id)
    else:
        assert body["id"] in (EXTRACT, MANIFEST)
    assert body["message"]
    _assert_nothing_left(host)


def test_refused_force_upload_keeps_the_installed_plugin_intact(api, host, make_bundle):
    good = make_bundle("com.example.evil")
    assert api.upload(good).status_code == 201
    before = sorted(p.name for p in (host.plugin_dir / "com.example.evil").rglob("*"))
    response = api.upload(HOSTILE["symlink"][0], force=True)
    assert_app_error(response, 400, EXTRACT)
    plugin = HostPlugin.objects.get()
    assert plugin.generation == 1
    assert sorted(p.name for p in (host.plugin_dir / "com.example.evil").rglob("*")) == before
    with default_storage.open(plugin.bundle_path) as stored:
        assert stored.read() == good


def test_error_message_says_why(api):
    body = api.upload(HOSTILE["symlink"][0]).json()
    assert "link" in body["message"].lower()
    body = api.upload(HOSTILE["parent traversal"][0]).json()
    assert ".." in body["message"] or "parent" in body["message"].lower()
